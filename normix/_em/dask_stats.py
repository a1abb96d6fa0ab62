"""The E-step adapter of a dask array: per-chunk statistics by the family's E-step, a fixed-order tree sum.

With the rows in chunks X_1, ..., X_k of n_1 + ... + n_k = n rows, the E-step
averages are

    s(X) = (1/n) Σ_j n_j s(X_j).

Each chunk becomes one float64 row ``[n_j, n_j s1, n_j s2, n_j s3, n_j ll, n_j s4,
n_j s5, n_j vec(S6)]`` (the family's own E-step on the chunk, the numba kernel when
the E-step backend is ``'cpu'``), and the k rows are added by dask's tree reduction
with a fixed fan-in (``SPLIT_EVERY``).  The tree and the order of every addition are
fixed by the graph, not by the scheduler, so a fit gives the same numbers on threads,
processes or a cluster, and a task that is run again (a worker lost mid-fit) replaces
its result rather than adding to it: every chunk counts once.

Weighted rows (:class:`normix._em.weights.WeightedRows` of a dask X and dask weights
chunked like its rows) give each chunk the row ``[W_j, W_j s1, ...]`` of its weight
total W_j = Σ_{i in j} w_i and its weighted means, and s(X) = Σ_j W_j s(X_j) / Σ_j W_j;
a chunk of total weight 0 adds a row of zeros.

A chunk of the wrong width, or with NaN or inf, raises a ``ValueError`` naming the
chunk and its rows.  The check costs nothing on good data: the rows are inspected
only when a chunk's sums are not finite.
"""
import dataclasses
import functools

import numpy as np

from normix._em.delegate import AbstractRowsAdapter
from normix._em.protocol import MixtureStatistics
from normix._em.weighted import WeightedFamily
from normix._em.weights import WeightedRows, check_positive_rows, is_uniform
from normix._kernels import dispatch

# Fan-in of the tree that adds the per-chunk sums: each addition task sums at most this
# many rows of 5 + 2d + d² numbers, so the reduction depth is log_16(chunks).
SPLIT_EVERY = 16

_SHOWN_ROWS = 5


def _chunk_name(block_info):
    """'X chunk i (rows a to b - 1)' from dask's ``block_info``."""
    info = block_info[0]
    (first, stop), _ = info["array-location"]
    return f"X chunk {info['chunk-location'][0]} (rows {first} to {stop - 1})", first


def _check_chunk(block, d, block_info):
    """``ValueError`` naming the chunk if it has the wrong width or non-finite rows."""
    name, first = _chunk_name(block_info)
    if block.ndim != 2 or block.shape[1] != d:
        raise ValueError(f"{name} has shape {block.shape}; every chunk must have shape (rows, {d})")
    bad = np.flatnonzero(~np.all(np.isfinite(block), axis=1))
    if bad.size:
        shown = ", ".join(str(first + i) for i in bad[:_SHOWN_ROWS]) + (", ..." if bad.size > _SHOWN_ROWS else "")
        raise ValueError(f"{name} holds NaN or inf in {bad.size} row(s) (rows {shown})")


def chunk_sums(block, weights=None, *, family, state, backend, d, block_info=None):
    """One chunk's row: its row count (or weight total) and its statistic sums (module docstring), shape (1, 5 + 2d + d²).

    ``weights`` is the chunk's column of weights (shape (rows, 1)) of a weighted fit.
    """
    block = np.asarray(block, dtype=np.float64)
    if block.ndim != 2 or block.shape[1] != d:
        _check_chunk(block, d, block_info)
    data, mass = block, block.shape[0]
    if weights is not None:
        data = WeightedRows(block, np.asarray(weights, dtype=np.float64)[:, 0])
        mass = float(np.sum(data.w))
    if mass == 0:
        return np.zeros((1, 5 + 2 * d + d * d))
    stats, ll = family.em_e_step(dispatch.to_backend(data, backend), dispatch.to_backend(state, backend),
                                 backend)
    s1, s2, s3, s4, s5, S6 = (np.asarray(s, dtype=np.float64) for s in stats)
    row = mass * np.concatenate([[1.0, s1, s2, s3, float(ll)], s4, s5, S6.ravel()])
    if not np.all(np.isfinite(row)):
        _check_chunk(block, d, block_info)
    return row[None, :]


def dask_e_step(family, X, state, backend, min_rows):
    """(MixtureStatistics, mean log-likelihood) of all rows of the dask array ``X`` (one compute)."""
    d = X.shape[1]
    width = 5 + 2 * d + d * d
    per_chunk = functools.partial(chunk_sums, family=family, state=dispatch.to_backend(state, "cpu"),
                                  backend=backend, d=d)
    rows = da_map_rows(per_chunk, X, width)
    total = rows.sum(axis=0, split_every=SPLIT_EVERY).compute()
    n = total[0]
    if not isinstance(X, WeightedRows) and n < min_rows:
        raise ValueError(f"X must have at least {min_rows} row(s) to fit a model of this dimension, got {int(n)}")
    sums = total[1:] / n
    stats = MixtureStatistics(sums[0], sums[1], sums[2], sums[4:4 + d], sums[4 + d:4 + 2 * d],
                              sums[4 + 2 * d:].reshape(d, d))
    return stats, sums[3]


def da_map_rows(func, X, width):
    """``func`` mapped over the row chunks of ``X`` (or of a weighted X with its weights column): one row of ``width`` each."""
    arrays = (X.X, X.w[:, None]) if isinstance(X, WeightedRows) else (X,)
    first = arrays[0]
    return first.map_blocks(func, *arrays[1:], chunks=((1,) * first.numblocks[0], (width,)), dtype=np.float64,
                            meta=np.empty((0, 0)))


def chunk_nearest(block, weights=None, *, mu, L_Sigma, block_info=None):
    """One chunk's row ``[Q_min, global index]``: its row nearest to μ in Q(x) = (x - μ)ᵀΣ⁻¹(x - μ).

    Rows of weight 0 (``weights``, a column, in a weighted fit) are left out.
    """
    block = np.asarray(block, dtype=np.float64)
    if block.shape[0] == 0:
        return np.array([[np.inf, -1.0]])
    z = np.linalg.solve(L_Sigma, (block - mu).T)
    q = np.sum(z * z, axis=0)
    if weights is not None:
        q = np.where(np.asarray(weights)[:, 0] > 0, q, np.inf)
        if not np.any(np.isfinite(q)):
            return np.array([[np.inf, -1.0]])
    row = int(np.argmin(q))
    return np.array([[q[row], block_info[0]["array-location"][0][0] + row]])


@dataclasses.dataclass(frozen=True)
class DaskRows(AbstractRowsAdapter):
    """``family`` with its E-step computed chunk by chunk over a dask array; ``min_rows`` rows at least."""

    min_rows: int

    def em_e_step(self, X, state, backend):
        """(MixtureStatistics, mean log-likelihood) of all rows of the dask array ``X``."""
        return dask_e_step(self.family, X, state, backend, self.min_rows)

    def em_nearest_row(self, X, state):
        """(index, Q) of the row nearest to μ, from one small row per chunk (one compute)."""
        nearest = functools.partial(chunk_nearest, mu=np.asarray(state.mu), L_Sigma=np.asarray(state.L_Sigma))
        per_chunk = da_map_rows(nearest, X, 2).compute()
        best = int(np.argmin(per_chunk[:, 0]))
        return int(per_chunk[best, 1]), float(per_chunk[best, 0])


def validate_dask(X, d):
    """A dask array ``X`` as float64 (n, d) with one chunk across the columns; ``ValueError`` otherwise."""
    if X.ndim != 2 or X.shape[1] != d:
        raise ValueError(f"X must have shape (n, {d}) (n observations of dimension d = {d}), got shape {X.shape}")
    if X.dtype != np.float64:
        X = X.astype(np.float64)
    if X.numblocks[1] != 1:
        X = X.rechunk({1: -1})
    return X


def weigh_dask(family, model, X, weights):
    """``(family, data)`` of a fit of the validated dask ``X`` with ``weights`` (dask or numpy, shape (n,)).

    The weights are chunked like the rows of ``X`` and checked in one compute (finite,
    >= 0, positive on at least d + 2 rows, no column of X constant over those rows),
    without bringing them to memory.  ``None`` or uniform weights return ``(family, X)``
    (the unweighted fit); otherwise ``(WeightedFamily(family), WeightedRows(X, w))``.
    """
    if weights is None:
        return family, X
    import dask.array as da

    w = weights if hasattr(weights, "dask") else np.asarray(weights, dtype=np.float64)
    if w.shape != (X.shape[0],):
        raise ValueError(f"weights must have shape ({X.shape[0]},) (one weight per row of X), got shape {w.shape}")
    if not hasattr(w, "dask"):
        w = da.from_array(w, chunks=(X.chunks[0],))
    w = w.astype(np.float64).rechunk((X.chunks[0],))
    used = w > 0
    low = da.where(used[:, None], X, np.inf).min(axis=0)
    high = da.where(used[:, None], X, -np.inf).max(axis=0)
    non_finite, negative, positive, w_min, w_max, low, high = da.compute(
        (~da.isfinite(w)).sum(), (w < 0).sum(), used.sum(), w.min(), w.max(), low, high)
    if non_finite:
        raise ValueError(f"weights must be finite: {int(non_finite)} row(s) have NaN or inf weights")
    if negative:
        raise ValueError(f"weights must be >= 0: {int(negative)} row(s) have negative weights")
    if not positive:
        raise ValueError("weights must not all be zero: a fit needs rows of positive weight")
    check_positive_rows(int(positive), model.d)
    constant = np.flatnonzero(low == high)
    if constant.size:
        raise ValueError(f"among the rows of positive weight: X must not have a constant column: column(s) "
                         f"{', '.join(str(j) for j in constant[:5])} take a single value there")
    if is_uniform(np.array([w_min, w_max])):
        return family, X
    return WeightedFamily(family), WeightedRows(X, w)
