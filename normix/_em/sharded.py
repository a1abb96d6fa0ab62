"""The E-step adapter of rows sharded over several JAX devices: one program, a ``psum`` of the statistics.

The E-step statistics are row averages, so with the rows split into shards
X = [X_1; ...; X_k] of n_1 + ... + n_k = n rows,

    s(X) = (1/n) Σ_j n_j s(X_j),

exactly (up to rounding).  :class:`ShardedRows` runs the family's own E-step on
each device's rows inside ``jax.shard_map`` and adds the k weighted results with one
``lax.psum`` (an all-reduce of 5 + 2d + d² numbers); everything else in an iteration
works on those replicated statistics.  Nothing of size n leaves a device.  Placing
the rows with ``jax.shard_map`` matters: under plain ``jit`` the compiler is free to
gather a row-sharded operand (it does so for the triangular solve that whitens the
rows) and every device would then hold all of X.

Weighted rows (:class:`normix._em.weights.WeightedRows`, the weights sharded like the
rows) weigh each device's statistics by its weight total W_j instead of its row count
n_j: s(X) = Σ_j W_j s(X_j) / Σ_j W_j, a device of total weight 0 adding zeros.

The same code serves several hosts: after ``jax.distributed.initialize()`` the mesh
spans every process's devices and X is one global array (each process holds its
own rows); the reduction is then across hosts.
"""
import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

from normix._em.delegate import AbstractRowsAdapter
from normix._em.protocol import MixtureStatistics
from normix._em.weighted import WeightedFamily
from normix._em.weights import WeightedRows, check_positive_rows, check_weights, is_uniform, row_mass
from normix._kernels import dispatch

_SHOWN_ROWS = 5


def row_mesh(X):
    """(mesh, axis name) of an array sharded by rows over a 1-D mesh, or ``ValueError`` saying how to make one."""
    sharding = X.sharding
    hint = "place X with normix.fitting.distributed.shard_rows(X)"
    if not isinstance(sharding, NamedSharding):
        raise ValueError(f"X is on {len(sharding.device_set)} devices but not with a NamedSharding "
                         f"({type(sharding).__name__}): {hint}")
    mesh, spec = sharding.mesh, tuple(sharding.spec) + (None,) * (X.ndim - len(sharding.spec))
    if len(mesh.axis_names) != 1 or X.ndim != 2 or spec != (mesh.axis_names[0], None):
        raise ValueError(f"X must be sharded by rows over a 1-D device mesh (PartitionSpec(axis, None)), "
                         f"got a {X.ndim}-D array with spec {sharding.spec} over mesh axes "
                         f"{dict(mesh.shape)}: {hint}")
    return mesh, mesh.axis_names[0]


@jax.jit
def _non_finite_rows(X):
    bad = jnp.logical_not(jnp.all(jnp.isfinite(X), axis=1))
    return jnp.sum(bad), jnp.nonzero(bad, size=_SHOWN_ROWS, fill_value=-1)[0]


def validate_rows(X, d, min_rows):
    """A row-sharded ``X`` as float64 (n, d), checked on the devices; ``ValueError`` naming the problem.

    Wrong shape, fewer than ``min_rows`` rows, or rows holding NaN or inf (the count
    and the first row indices; only these few numbers leave the devices).
    """
    if X.ndim != 2 or X.shape[1] != d:
        raise ValueError(f"X must have shape (n, {d}) (n observations of dimension d = {d}), got shape {X.shape}")
    if X.shape[0] < min_rows:
        raise ValueError(f"X must have at least {min_rows} row(s) to fit a model of this dimension, "
                         f"got {X.shape[0]}")
    if X.dtype != jnp.float64:
        X = jax.jit(lambda x: x.astype(jnp.float64), out_shardings=X.sharding)(X)
    count, rows = _non_finite_rows(X)
    count = int(count)
    if count:
        shown = ", ".join(str(int(i)) for i in rows if i >= 0) + (", ..." if count > _SHOWN_ROWS else "")
        raise ValueError(f"X must be finite: {count} row(s) hold NaN or inf (rows {shown})")
    return X


def row_specs(family, axis):
    """The ``PartitionSpec`` of the rows a ``family`` reads: X, or X with its weights (:class:`WeightedRows`)."""
    if isinstance(family, WeightedFamily):
        return WeightedRows(P(axis, None), P(axis))
    return P(axis, None)


@functools.cache
def sharded_e_step(family, mesh, axis, backend):
    """Compiled E-step over row-sharded X: per-device statistics weighted by row counts (or weight totals), one psum."""

    def local(rows, state):
        stats, ll = family.em_e_step(rows, state, backend)
        mass = row_mass(rows)

        def scaled(value):
            return jnp.where(mass > 0, value * mass, 0.0)

        return jax.lax.psum((tuple(scaled(s) for s in stats), scaled(ll), mass), axis)

    summed = jax.shard_map(local, mesh=mesh, in_specs=(row_specs(family, axis), P()), out_specs=P())

    def e_step(X, state):
        sums, ll, mass = summed(X, state)
        return MixtureStatistics(*(s / mass for s in sums)), ll / mass

    return jax.jit(e_step)


@functools.cache
def sharded_nearest_row(mesh, axis, weighted=False):
    """Compiled (Q_min, global row) per device of row-sharded X, for the row nearest to μ (of positive weight)."""

    def local(rows, mu, L_Sigma):
        X_rows = rows.X if weighted else rows
        z = jax.scipy.linalg.solve_triangular(L_Sigma, (X_rows - mu).T, lower=True)
        q = jnp.sum(z * z, axis=0)
        if weighted:
            q = jnp.where(rows.w > 0, q, jnp.inf)
        row = jnp.argmin(q)
        first = jax.lax.axis_index(axis) * X_rows.shape[0]
        return q[row][None], (first + row)[None]

    specs = WeightedRows(P(axis, None), P(axis)) if weighted else P(axis, None)
    return jax.jit(jax.shard_map(local, mesh=mesh, in_specs=(specs, P(), P()), out_specs=(P(axis), P(axis))))


@dataclasses.dataclass(frozen=True)
class ShardedRows(AbstractRowsAdapter):
    """``family`` with its E-step run per device over the rows of a 1-D mesh and summed by ``psum``."""

    mesh: Mesh
    axis: str

    def em_e_step(self, X, state, backend):
        """(MixtureStatistics, mean log-likelihood) of all rows of the row-sharded ``X``."""
        return sharded_e_step(self.family, self.mesh, self.axis, backend)(X, state)

    def em_nearest_row(self, X, state):
        """(index, Q) of the row nearest to μ: one candidate per device, the rest stays on the devices."""
        nearest = sharded_nearest_row(self.mesh, self.axis, isinstance(X, WeightedRows))
        q, rows = nearest(X, jnp.asarray(state.mu), jnp.asarray(state.L_Sigma))
        best = int(jnp.argmin(q))
        return int(rows[best]), float(q[best])


@jax.jit
def _weight_summary(X, w):
    used = w > 0
    low = jnp.min(jnp.where(used[:, None], X, jnp.inf), axis=0)
    high = jnp.max(jnp.where(used[:, None], X, -jnp.inf), axis=0)
    return jnp.sum(used), jnp.min(w), jnp.max(w), low == high


def sharded_weights(model, X, weights):
    """``(family, data)`` of a row-sharded ``X`` with ``weights``: checked, and placed on the devices like the rows.

    Only a few numbers leave the devices (the count of rows of positive weight, the
    extreme weights, which columns are constant over those rows).  ``None`` or uniform
    weights give ``(type(model), X)``.
    """
    family = type(model)
    if weights is None:
        return family, X
    n = X.shape[0]
    if not isinstance(weights, jax.Array):
        weights = check_weights(weights, (n,))
    elif weights.shape != (n,):
        raise ValueError(f"weights must have shape ({n},) (one weight per row of X), got shape {weights.shape}")
    w = jax.device_put(jnp.asarray(weights, dtype=jnp.float64), NamedSharding(X.sharding.mesh, P(X.sharding.spec[0])))
    used, w_min, w_max, constant = _weight_summary(X, w)
    if isinstance(weights, jax.Array) and not bool(jnp.all(jnp.isfinite(w))):
        raise ValueError("weights must be finite: some rows have NaN or inf weights")
    if float(w_min) < 0:
        raise ValueError("weights must be >= 0: some rows have negative weights")
    if not int(used):
        raise ValueError("weights must not all be zero: a fit needs rows of positive weight")
    check_positive_rows(int(used), model.d)
    constant = np.flatnonzero(np.asarray(constant))
    if constant.size:
        raise ValueError(f"among the rows of positive weight: X must not have a constant column: column(s) "
                         f"{', '.join(str(j) for j in constant[:5])} take a single value there")
    if is_uniform(np.array([float(w_min), float(w_max)])):
        return family, X
    return WeightedFamily(family), WeightedRows(X, w)


def sharded_rows(model, X, e_step_backend, weights=None):
    """(adapter, validated X) of a row-sharded ``X`` (with ``weights``, see :func:`sharded_weights`).

    ``ValueError`` unless the E-step runs on JAX.
    """
    if not dispatch.traceable(e_step_backend):
        raise ValueError(f"a row-sharded X needs e_step_backend='jax' (the E-step runs on the devices that hold "
                         f"the rows), got {e_step_backend!r}")
    mesh, axis = row_mesh(X)
    X = validate_rows(X, model.d, model.d + 2)
    family, X = sharded_weights(model, X, weights)
    return ShardedRows(family, mesh, axis), X
