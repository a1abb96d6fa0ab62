"""Modified Bessel function of the second kind, pure-JAX twin (twin: ``bessel_cpu.py``).

K_v(z) = ∫_0^∞ exp(-z cosh t) cosh(v t) dt (DLMF 10.32.9) is evaluated in log
space by the trapezoid rule on a window [t_lo, t_hi] that holds everything the
integrand carries above exp(-LOG_KV_WINDOW_DROP) times its peak (Takekawa 2022,
SoftwareX 17, 100923).  The same nodes give d/dv and d²/dv² of log K_v and
K_{v±1}.  Everything is branch-free: edge cases are selected with
``jnp.where`` after the core has run on safe stand-in inputs, so no NaN from an
unused branch reaches values or gradients.
"""
import jax.numpy as jnp

from normix._kernels._constants import LOG_KV_QUAD_NODES, LOG_KV_WINDOW_DROP

__all__ = ["log_kv", "log_kv_derivatives", "kv_ratio"]

_NEWTON_STEPS = 6


def _window(a, z):
    r = jnp.hypot(a, z)
    tm = jnp.arcsinh(a / z)
    r_minus_z = a * a / (r + z)
    x = a * tm
    l_ref = jnp.maximum(-r_minus_z + x + jnp.log1p(jnp.exp(-2.0 * x)) - jnp.log(2.0), 0.0)
    delta = LOG_KV_WINDOW_DROP - l_ref - r_minus_z + x
    t_hi = tm + jnp.arccosh(1.0 + delta / r)
    cut = x - r_minus_z > delta
    a_safe = jnp.where(cut, a, 1.0)
    r_minus_a = z * z / (r + a)
    r_minus_a_safe = jnp.where(r_minus_a > 0.0, r_minus_a, 1.0)
    u = jnp.minimum(tm, 1.0 + delta / a_safe)
    u = jnp.where(r_minus_a > 0.0, jnp.minimum(u, jnp.arccosh(1.0 + delta / r_minus_a_safe)), u)
    u = jnp.where(cut, u, 1.0)
    for _ in range(_NEWTON_STEPS):
        f = r * (jnp.cosh(u) - 1.0) - a * (jnp.sinh(u) - u) - delta
        df = r * jnp.sinh(u) - a * (jnp.cosh(u) - 1.0)
        u = u - f / df
    t_lo = jnp.where(cut, tm - u, 0.0)
    return t_lo, t_hi, l_ref


def _sums(a, z):
    t_lo, t_hi, l_ref = _window(a, z)
    n = LOG_KV_QUAD_NODES
    h = (t_hi - t_lo) / n
    j = jnp.arange(n + 1, dtype=jnp.float64)
    w = jnp.ones(n + 1).at[0].set(0.5).at[n].set(0.5)
    t = t_lo[..., None] + j * h[..., None]
    a_ = a[..., None]
    e = jnp.expm1(t)
    cm1 = e * e / (2.0 * (1.0 + e))
    q = jnp.exp(-2.0 * a_ * t)
    g = w * jnp.exp(-z[..., None] * cm1 + a_ * t - l_ref[..., None])
    c = 0.5 * g * (1.0 + q)
    et = 1.0 + e
    s0 = jnp.sum(c, axis=-1) * h
    s1 = jnp.sum(0.5 * g * (1.0 - q) * t, axis=-1) * h
    s2 = jnp.sum(c * t * t, axis=-1) * h
    sp = jnp.sum(0.5 * g * (et + q / et), axis=-1) * h
    sm = jnp.sum(0.5 * g * (1.0 / et + q * et), axis=-1) * h
    return l_ref, s0, s1, s2, sp, sm


def _prepare(v, z):
    v, z = jnp.broadcast_arrays(jnp.asarray(v, dtype=jnp.float64), jnp.asarray(z, dtype=jnp.float64))
    a = jnp.abs(v)
    regular = (z > 0.0) & jnp.isfinite(z) & jnp.isfinite(a)
    return v, z, regular, jnp.where(regular, a, 1.0), jnp.where(regular, z, 1.0)


def _edges(v, z, regular, values, edge_values):
    """Replace ``values`` by the documented edge values where the input is not regular."""
    bad = jnp.isnan(v) | jnp.isnan(z) | (z < 0.0)
    return tuple(jnp.where(bad, jnp.nan, jnp.where(regular, x, e)) for x, e in zip(values, edge_values))


def log_kv_derivatives(v, z):
    """(log K_v(z), ∂/∂z, ∂/∂v, ∂²/∂v² of log K_v(z)), broadcast over ``v`` and ``z``.

    Same formulas and edge values as :func:`normix._kernels.bessel_cpu.log_kv_derivatives`.
    """
    v, z, regular, a, zs = _prepare(v, z)
    l_ref, s0, s1, s2, sp, sm = _sums(a, zs)
    d1 = s1 / s0
    values = (l_ref + jnp.log(s0) - zs, -0.5 * (sp + sm) / s0, jnp.sign(v) * d1, s2 / s0 - d1 * d1)
    at_zero = z == 0.0
    at_inf = jnp.isinf(z)
    sign_inf = jnp.sign(v) * jnp.inf
    edge = (
        jnp.where(at_inf, -jnp.inf, jnp.inf),
        jnp.where(at_inf, -1.0, -jnp.inf),
        jnp.where(at_inf, 0.0, jnp.where(at_zero & (v == 0.0), 0.0, sign_inf)),
        jnp.where(at_zero, jnp.inf, 0.0),
    )
    return _edges(v, z, regular, values, edge)


def log_kv(v, z):
    """log K_v(z), broadcast over ``v`` and ``z`` (same edge values as the numba twin)."""
    return log_kv_derivatives(v, z)[0]


def log_kv_ratio_dv(v, z):
    """(log K_v(z), K_{v+1}(z)/K_v(z), ∂/∂v log K_v(z)) from one set of quadrature nodes."""
    v, z, regular, a, zs = _prepare(v, z)
    l_ref, s0, s1, _, sp, sm = _sums(a, zs)
    values = (l_ref + jnp.log(s0) - zs, jnp.where(v >= 0.0, sp, sm) / s0, jnp.sign(v) * s1 / s0)
    at_inf = jnp.isinf(z)
    ratio_at_zero = jnp.where(v > -0.5, jnp.inf, jnp.where(v == -0.5, 1.0, 0.0))
    ratio_edge = jnp.where(at_inf, 1.0, jnp.where(jnp.isinf(v), jnp.where(v > 0.0, jnp.inf, 0.0), ratio_at_zero))
    edge = (
        jnp.where(at_inf, -jnp.inf, jnp.inf),
        ratio_edge,
        jnp.where(at_inf | ((z == 0.0) & (v == 0.0)), 0.0, jnp.sign(v) * jnp.inf),
    )
    return _edges(v, z, regular, values, edge)


def kv_ratio(v, z):
    """K_{v+1}(z) / K_v(z), broadcast over ``v`` and ``z`` (same edge values as the numba twin)."""
    return log_kv_ratio_dv(v, z)[1]
