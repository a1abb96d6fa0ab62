"""Logarithm of the modified Bessel function of the second kind, log K_v(z).

``log_kv(v, z, backend='jax')`` works in log space over ``|v| <= 500`` and
1e-300 <= z <= 1e300 without overflow, to about 1e-14 relative (measured against
mpmath).  K_v(z) = ∫_0^∞ exp(-z cosh t) cosh(vt) dt (DLMF 10.32.9) is integrated
by the trapezoid rule on a window placed around the integrand's peak (Takekawa
2022); for z <= 2 and ``|v| <= 6.5`` Temme's series (1975) with the upward recurrence
in v takes over.  Both give the derivatives in v exactly (the quadrature from the
same nodes, the series by carrying them along), so nothing is differentiated by
finite differences.

Backends
--------
``'jax'`` (default)
    Pure JAX: jit-able, vmappable, differentiable in ``v`` and ``z`` through a
    custom JVP that uses ∂/∂z log K_v = v/z - K_{v+1}/K_v (DLMF 10.29.2) and the
    kernel's exact ∂/∂v and ∂²/∂v².  Used by densities and anything under ``jit``.
``'cpu'``
    The numba kernel (parallel over elements) on concrete numpy arrays; the fast
    path of the CPU EM loop.  Not traceable: it raises ``TypeError`` inside
    ``jit``, ``vmap`` or ``grad``.
"""
from normix._kernels.log_bessel import log_kv

__all__ = ["log_kv"]
