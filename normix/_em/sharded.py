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

The same code serves several hosts: after ``jax.distributed.initialize()`` the mesh
spans every process's devices and X is one global array (each process holds its
own rows); the reduction is then across hosts.
"""
import dataclasses
import functools

import jax
import jax.numpy as jnp
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

from normix._em.delegate import AbstractRowsAdapter
from normix._em.protocol import MixtureStatistics
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


@functools.cache
def sharded_e_step(family, mesh, axis, backend):
    """Compiled E-step over row-sharded X: per-device statistics weighted by row counts, then one psum."""

    def local(X_rows, state):
        stats, ll = family.em_e_step(X_rows, state, backend)
        n_rows = X_rows.shape[0]
        return jax.lax.psum((tuple(s * n_rows for s in stats), ll * n_rows), axis)

    summed = jax.shard_map(local, mesh=mesh, in_specs=(P(axis, None), P()), out_specs=P())

    def e_step(X, state):
        sums, ll = summed(X, state)
        n = X.shape[0]
        return MixtureStatistics(*(s / n for s in sums)), ll / n

    return jax.jit(e_step)


@functools.cache
def sharded_nearest_row(mesh, axis):
    """Compiled (Q_min, global row) per device of row-sharded X, for the row nearest to μ."""

    def local(X_rows, mu, L_Sigma):
        z = jax.scipy.linalg.solve_triangular(L_Sigma, (X_rows - mu).T, lower=True)
        q = jnp.sum(z * z, axis=0)
        row = jnp.argmin(q)
        first = jax.lax.axis_index(axis) * X_rows.shape[0]
        return q[row][None], (first + row)[None]

    return jax.jit(jax.shard_map(local, mesh=mesh, in_specs=(P(axis, None), P(), P()), out_specs=(P(axis), P(axis))))


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
        q, rows = sharded_nearest_row(self.mesh, self.axis)(X, jnp.asarray(state.mu), jnp.asarray(state.L_Sigma))
        best = int(jnp.argmin(q))
        return int(rows[best]), float(q[best])


def sharded_rows(model, X, e_step_backend):
    """(adapter, validated X) of a row-sharded ``X``; ``ValueError`` unless the E-step runs on JAX."""
    if not dispatch.traceable(e_step_backend):
        raise ValueError(f"a row-sharded X needs e_step_backend='jax' (the E-step runs on the devices that hold "
                         f"the rows), got {e_step_backend!r}")
    mesh, axis = row_mesh(X)
    X = validate_rows(X, model.d, model.d + 2)
    return ShardedRows(type(model), mesh, axis), X
