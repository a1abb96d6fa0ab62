"""Generalized inverse Gaussian kernels, pure JAX (twin: ``gig_cpu.py``).

Same names, signatures, broadcasting and edge values as the numba twin, whose
docstrings state the formulas.  The cores are in :mod:`normix._kernels.gig_core_jax`
(moments and Fisher information) and :mod:`normix._kernels.gig_solve_jax` (the
Newton solver of η → θ).  Everything is jit-able and vmappable; the kernels are
compiled once per input shape, so repeated eager calls do not retrace.
"""
import jax
import jax.numpy as jnp

from normix._kernels.gig_core_jax import first_and_second, first_order
from normix._kernels.gig_solve_jax import solve_one

__all__ = ["gig_moments", "gig_fisher", "gig_eta_to_theta"]


@jax.jit
def gig_moments(p, a, b):
    """(E log Y, E 1/Y, E Y) of GIG(p, a, b), broadcast over the inputs (see the numba twin)."""
    return first_order(p, a, b)[2:]


@jax.jit
def gig_fisher(p, a, b):
    """Fisher information of GIG(p, a, b), shape ``broadcast_shape + (3, 3)`` (see the numba twin)."""
    h11, h12, h13, h22, h23, h33 = first_and_second(p, a, b)[5:]
    rows = (jnp.stack([h11, h12, h13], -1), jnp.stack([h12, h22, h23], -1), jnp.stack([h13, h23, h33], -1))
    return jnp.stack(rows, -2)


def gig_eta_to_theta(eta, theta0, maxiter, tol):
    """Classical (p, a, b) from η = (E log Y, E 1/Y, E Y) rows, shape (..., 3) (see the numba twin).

    Returns ``(params (..., 3), converged (...), n_iter (...))``.
    """
    eta = jnp.asarray(eta, dtype=jnp.float64)
    theta0 = jnp.broadcast_to(jnp.asarray(theta0, dtype=jnp.float64), eta.shape)
    batch = eta.shape[:-1]
    params, converged, n_iter = _solve_rows(eta.reshape(-1, 3), theta0.reshape(-1, 3), maxiter, tol)
    return params.reshape(batch + (3,)), converged.reshape(batch), n_iter.reshape(batch)


_solve_rows = jax.jit(jax.vmap(solve_one, in_axes=(0, 0, None, None)))
