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

A chunk of the wrong width, or with NaN or inf, raises a ``ValueError`` naming the
chunk and its rows.  The check costs nothing on good data: the rows are inspected
only when a chunk's sums are not finite.
"""
import dataclasses
import functools

import numpy as np

from normix._em.delegate import AbstractRowsAdapter
from normix._em.protocol import MixtureStatistics
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


def chunk_sums(block, *, family, state, backend, d, block_info=None):
    """One chunk's row: its row count and its statistic sums (module docstring), shape (1, 5 + 2d + d²)."""
    block = np.asarray(block, dtype=np.float64)
    if block.ndim != 2 or block.shape[1] != d:
        _check_chunk(block, d, block_info)
    n_rows = block.shape[0]
    if n_rows == 0:
        return np.zeros((1, 5 + 2 * d + d * d))
    stats, ll = family.em_e_step(dispatch.to_backend(block, backend), dispatch.to_backend(state, backend),
                                 backend)
    s1, s2, s3, s4, s5, S6 = (np.asarray(s, dtype=np.float64) for s in stats)
    row = n_rows * np.concatenate([[1.0, s1, s2, s3, float(ll)], s4, s5, S6.ravel()])
    if not np.all(np.isfinite(row)):
        _check_chunk(block, d, block_info)
    return row[None, :]


def dask_e_step(family, X, state, backend, min_rows):
    """(MixtureStatistics, mean log-likelihood) of all rows of the dask array ``X`` (one compute)."""
    d = X.shape[1]
    width = 5 + 2 * d + d * d
    per_chunk = functools.partial(chunk_sums, family=family, state=dispatch.to_backend(state, "cpu"),
                                  backend=backend, d=d)
    rows = X.map_blocks(per_chunk, chunks=((1,) * X.numblocks[0], (width,)), dtype=np.float64,
                        meta=np.empty((0, 0)))
    total = rows.sum(axis=0, split_every=SPLIT_EVERY).compute()
    n = total[0]
    if n < min_rows:
        raise ValueError(f"X must have at least {min_rows} row(s) to fit a model of this dimension, got {int(n)}")
    sums = total[1:] / n
    stats = MixtureStatistics(sums[0], sums[1], sums[2], sums[4:4 + d], sums[4 + d:4 + 2 * d],
                              sums[4 + 2 * d:].reshape(d, d))
    return stats, sums[3]


def chunk_nearest(block, *, mu, L_Sigma, block_info=None):
    """One chunk's row ``[Q_min, global index]``: its row nearest to μ in Q(x) = (x - μ)ᵀΣ⁻¹(x - μ)."""
    block = np.asarray(block, dtype=np.float64)
    if block.shape[0] == 0:
        return np.array([[np.inf, -1.0]])
    z = np.linalg.solve(L_Sigma, (block - mu).T)
    q = np.sum(z * z, axis=0)
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
        per_chunk = X.map_blocks(nearest, chunks=((1,) * X.numblocks[0], (2,)), dtype=np.float64,
                                 meta=np.empty((0, 0))).compute()
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
