"""Modified Bessel function of the second kind in log space, pure-JAX twin (twin: ``bessel_cpu.py``).

Same methods, window and formulas as the numba twin (see its docstring): the
trapezoid rule on K_a(z) = ∫_0^∞ exp(-z cosh t) cosh(a t) dt (DLMF 10.32.9;
Takekawa 2022) and Temme's series at small z and order (``bessel_series_jax``).
Written branch-free for arrays: the quadrature uses a fixed grid of
LOG_KV_MAX_NODES intervals whose nodes beyond the element's own count carry zero
weight (the numba twin's rule, on the window widened for K_(a-1) that the numba
twin uses where it needs that ratio), every node quantity is
evaluated directly rather than by recurrence, and both methods run on every
element, each fed a safe stand-in where its result is not used, so that neither
values nor gradients see a NaN from the branch not taken.
"""
import jax.numpy as jnp
from jax import lax

from normix._kernels._constants import (
    LOG_2,
    LOG_KV_LEFT_NEWTON_STEPS,
    LOG_KV_MAX_NODES,
    LOG_KV_SERIES_MAX_ARG,
    LOG_KV_SERIES_MAX_ORDER,
    LOG_KV_STEP_FLAT,
    LOG_KV_STEP_PEAK,
    LOG_KV_WINDOW_DROP,
)
from normix._kernels.bessel_series_jax import temme

__all__ = ["log_kv", "log_kv_derivatives", "kv_ratio"]


def _acosh1p(x):
    """acosh(1 + x) for x >= 0, without forming 1 + x."""
    return jnp.log1p(x + jnp.sqrt(x) * jnp.sqrt(2.0 + x))


def _sinh_cosh_minus_1(u):
    """(sinh u, cosh u - 1) from one expm1, accurate for small u."""
    e = jnp.expm1(u)
    return 0.5 * e * (e + 2.0) / (e + 1.0), 0.5 * e * e / (e + 1.0)


def _grid(a, z):
    """(t_lo, h, n, t_m, r) of the numba twin's window with the K_(a-1) extension on the left."""
    r = jnp.hypot(a, z)
    r_minus_z = a * (a / (r + z))
    tm = jnp.log1p((a + r_minus_z) / z)
    r_minus_a = z * (z / (r + a))
    peak = a * tm - r_minus_z
    delta = LOG_KV_WINDOW_DROP + peak - jnp.maximum(peak - LOG_2, 0.0)
    u = _acosh1p(delta / r)
    sh, ch_minus_1 = _sinh_cosh_minus_1(u)
    u = u - (r * ch_minus_1 + a * (sh - u) - u - delta) / (r * sh + a * ch_minus_1 - 1.0)
    t_hi = tm + u
    cut = peak - tm > delta
    a_c = jnp.where(cut, a, 2.0)
    tm_c = jnp.where(cut, tm, 1.0)
    delta_c = jnp.where(cut, delta, 1.0)
    rma_c = jnp.where(cut, r_minus_a, 1.0)
    bound = jnp.where(rma_c > 0.0, _acosh1p((delta_c + tm_c) / jnp.where(rma_c > 0.0, rma_c, 1.0)), jnp.inf)
    u = jnp.minimum(tm_c, bound)
    u = jnp.where(a_c > 1.0, jnp.minimum(u, (delta_c + a_c) / jnp.where(a_c > 1.0, a_c - 1.0, 1.0)), u)

    def newton(_, u):
        sh, ch_minus_1 = _sinh_cosh_minus_1(u)
        one_minus_em = -jnp.expm1(-u)
        f = rma_c * ch_minus_1 + a_c * (u - one_minus_em) - u - delta_c
        return u - f / (rma_c * sh + a_c * one_minus_em - 1.0)

    u = lax.fori_loop(0, LOG_KV_LEFT_NEWTON_STEPS, newton, u)
    t_lo = jnp.where(cut, tm - u, 0.0)
    h = 1.0 / jnp.sqrt(1.0 / (LOG_KV_STEP_FLAT * LOG_KV_STEP_FLAT) + r / (LOG_KV_STEP_PEAK * LOG_KV_STEP_PEAK))
    n = jnp.clip(jnp.ceil((t_hi - t_lo) / h), 2.0, float(LOG_KV_MAX_NODES))
    return t_lo, (t_hi - t_lo) / n, n, tm, r


def _column(x):
    return x[..., None]


def _add_tuples(x, y):
    return tuple(xi + yi for xi, yi in zip(x, y))


def _quadrature(a, z):
    """(log K_a, ∂_a log K_a, ∂²_a log K_a, K_(a+1)/K_a, K_(a-1)/K_a) by the trapezoid rule.

    The ten node sums are one variadic reduction, so that the node quantities are
    computed once for all of them.
    """
    t_lo, h, n, tm, r = _grid(a, z)
    j = jnp.arange(LOG_KV_MAX_NODES + 1, dtype=jnp.float64)
    col = _column
    jj = jnp.minimum(j, col(n))
    weight = jnp.where(j > col(n), 0.0, jnp.where((j == 0) | (j == col(n)), 0.5, 1.0))
    s = col(t_lo - tm) + jj * col(h)
    t = col(tm) + s
    p = jnp.expm1(s)
    e_inv = 1.0 / (1.0 + p)
    a_ = col(a)
    g = weight * jnp.exp(-(col(0.5 * z * (z / (r + a))) * p * p * e_inv + a_ * (p - s)))
    q = jnp.exp(-2.0 * a_ * t)
    one_minus_q = -jnp.expm1(-2.0 * a_ * t)
    c = 0.5 * g * (1.0 + q)
    gq = g * q
    gu = 0.5 * g * one_minus_q
    terms = (c, gq, gu, gq * s, gu * s, c * s * s, g * (1.0 + p), gq * e_inv, g * e_inv, gq * (1.0 + p))
    s0, sq, su, ssq, ssu, ss2, ap, am, bp, bm = lax.reduce(
        terms, (0.0,) * len(terms), _add_tuples, (c.ndim - 1,)
    )
    w = sq / s0
    m_u = su / s0
    m_sq = ssq / s0
    m_su = ssu / s0
    m_s = m_sq + m_su
    d1 = tm * m_u + m_su
    d2 = tm * tm * w * (1.0 + m_u) + 2.0 * tm * (m_sq + m_su * w) + (ss2 / s0 - m_s * m_s) + m_sq * (m_s + m_su)
    e_tm = (a + r) / z
    up = 0.5 * (e_tm * ap + am / e_tm) / s0
    down = 0.5 * (bp / e_tm + e_tm * bm) / s0
    return a * tm - r + jnp.log(h * s0), d1, d2, up, down


def _core(v, z):
    """Both methods on safe inputs, merged: (v, z, regular, a/z, log K, ∂_a, ∂²_a, up, down), a = |v|."""
    v, z = jnp.broadcast_arrays(jnp.asarray(v, dtype=jnp.float64), jnp.asarray(z, dtype=jnp.float64))
    a = jnp.abs(v)
    regular = (z > 0.0) & jnp.isfinite(z) & jnp.isfinite(a)
    series = regular & (z <= LOG_KV_SERIES_MAX_ARG) & (a <= LOG_KV_SERIES_MAX_ORDER)
    quad = regular & ~series
    by_series = temme(jnp.where(series, a, 0.5), jnp.where(series, z, 0.5))
    by_quad = _quadrature(jnp.where(quad, a, 1.0), jnp.where(quad, z, 4.0))
    merged = tuple(jnp.where(series, x, y) for x, y in zip(by_series, by_quad))
    return (v, z, regular, jnp.where(regular, a, 0.0) / jnp.where(regular, z, 1.0)) + merged


def _edges(v, z, regular, values, edge_values):
    """``values`` where the input is regular, the documented edge values elsewhere, NaN for NaN or z < 0."""
    bad = jnp.isnan(v) | jnp.isnan(z) | (z < 0.0)
    return tuple(jnp.where(bad, jnp.nan, jnp.where(regular, x, e)) for x, e in zip(values, edge_values))


def _d1_edge(v, z):
    return jnp.where(jnp.isinf(z) | ((z == 0.0) & (v == 0.0)), 0.0, jnp.sign(v) * jnp.inf)


def log_kv_derivatives(v, z):
    """(log K_v(z), ∂/∂z, ∂/∂v, ∂²/∂v² of log K_v(z)), broadcast over ``v`` and ``z``.

    Same formulas and edge values as :func:`normix._kernels.bessel_cpu.log_kv_derivatives`.
    """
    v, z, regular, a_over_z, log_k, d1, d2, up, _ = _core(v, z)
    values = (log_k, a_over_z - up, jnp.sign(v) * d1, d2)
    at_inf = jnp.isinf(z)
    edge = (
        jnp.where(at_inf, -jnp.inf, jnp.inf),
        jnp.where(at_inf, -1.0, -jnp.inf),
        _d1_edge(v, z),
        jnp.where(z == 0.0, jnp.inf, 0.0),
    )
    return _edges(v, z, regular, values, edge)


def log_kv(v, z):
    """log K_v(z), broadcast over ``v`` and ``z`` (same edge values as the numba twin)."""
    return log_kv_derivatives(v, z)[0]


def _ratio_edge(v, z):
    at_zero = jnp.where(v > -0.5, jnp.inf, jnp.where(v == -0.5, 1.0, 0.0))
    at_inf_v = jnp.where(v > 0.0, jnp.inf, 0.0)
    return jnp.where(jnp.isinf(z), 1.0, jnp.where(jnp.isinf(v), at_inf_v, at_zero))


def log_kv_ratio_dv(v, z):
    """(log K_v(z), K_(v+1)(z)/K_v(z), ∂/∂v log K_v(z)) from one evaluation per element."""
    v, z, regular, _, log_k, d1, _, up, down = _core(v, z)
    values = (log_k, jnp.where(v >= 0.0, up, down), jnp.sign(v) * d1)
    edge = (jnp.where(jnp.isinf(z), -jnp.inf, jnp.inf), _ratio_edge(v, z), _d1_edge(v, z))
    return _edges(v, z, regular, values, edge)


def kv_ratio(v, z):
    """K_(v+1)(z) / K_v(z), broadcast over ``v`` and ``z`` (same edge values as the numba twin)."""
    return log_kv_ratio_dv(v, z)[1]
