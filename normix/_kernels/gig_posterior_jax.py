"""Log-partition and moments of GIG laws, elementwise, pure-JAX twin (twin: ``gig_posterior_cpu.py``).

Same formulas, broadcasting and edge values as the numba twin: (ψ, E log Y, E 1/Y, E Y)
of GIG(p, a, b) from one call of :func:`normix._kernels.gig_core_jax.first_order`.
Branch-free, jit-able and vmappable.
"""
import jax
import jax.numpy as jnp

from normix._kernels.gig_core_jax import first_order

__all__ = ["gig_log_partition_moments"]


@jax.jit
def gig_log_partition_moments(p, a, b):
    """(ψ, E log Y, E 1/Y, E Y) of GIG(p, a, b), broadcast over the inputs (see the numba twin)."""
    p, a, b = (jnp.asarray(x, dtype=jnp.float64) for x in (p, a, b))
    psi, _, e1, e2, e3 = first_order(p, a, b)
    return psi, e1, e2, e3
