"""Modified Bessel function of the second kind, numba twin (twin: ``bessel_jax.py``).

K_v(z) = ∫_0^∞ exp(-z cosh t) cosh(v t) dt (DLMF 10.32.9) is evaluated in log
space by the trapezoid rule on a window [t_lo, t_hi] that holds everything the
integrand carries above exp(-LOG_KV_WINDOW_DROP) times its peak (Takekawa 2022,
SoftwareX 17, 100923).  The same nodes give d/dv and d²/dv² of log K_v and
K_{v±1}, so the value and its exact derivatives cost one pass.  K_v = K_{-v}
(DLMF 10.27.3): the cores work with a = |v|.
"""
import math

import numpy as np

from normix._kernels._constants import LOG_KV_QUAD_NODES, LOG_KV_WINDOW_DROP
from normix._kernels._numba import array_kernel, prange, scalar_core

__all__ = ["log_kv", "log_kv_derivatives", "kv_ratio"]


@scalar_core
def _window(a, z):
    """(t_lo, t_hi, l_ref): quadrature window and a log-scale at least the integrand's log-peak minus log 2."""
    r = math.hypot(a, z)
    tm = math.asinh(a / z)
    r_minus_z = a * a / (r + z)
    x = a * tm
    l_ref = -r_minus_z + x + math.log1p(math.exp(-2.0 * x)) - math.log(2.0)
    l_ref = max(l_ref, 0.0)
    delta = LOG_KV_WINDOW_DROP - l_ref - r_minus_z + x
    t_hi = tm + math.acosh(1.0 + delta / r)
    t_lo = 0.0
    if x - r_minus_z > delta:
        r_minus_a = z * z / (r + a)
        u = min(tm, 1.0 + delta / a)
        if r_minus_a > 0.0:
            u = min(u, math.acosh(1.0 + delta / r_minus_a))
        for _ in range(6):
            f = r * (math.cosh(u) - 1.0) - a * (math.sinh(u) - u) - delta
            df = r * math.sinh(u) - a * (math.cosh(u) - 1.0)
            u = u - f / df
        t_lo = tm - u
    return t_lo, t_hi, l_ref


@scalar_core
def _sums(a, z):
    """Trapezoid sums (l_ref, S0, S1, S2, S_plus, S_minus) of K_a, ∂_a K_a, ∂²_a K_a, K_{a+1}, K_{a-1} scaled by exp(z - l_ref)."""
    t_lo, t_hi, l_ref = _window(a, z)
    n = LOG_KV_QUAD_NODES
    h = (t_hi - t_lo) / n
    s0 = 0.0
    s1 = 0.0
    s2 = 0.0
    sp = 0.0
    sm = 0.0
    for j in range(n + 1):
        t = t_lo + j * h
        e = math.expm1(t)
        cm1 = e * e / (2.0 * (1.0 + e))
        q = math.exp(-2.0 * a * t)
        g = math.exp(-z * cm1 + a * t - l_ref)
        if j == 0 or j == n:
            g *= 0.5
        c = 0.5 * g * (1.0 + q)
        s0 += c
        s1 += 0.5 * g * (1.0 - q) * t
        s2 += c * t * t
        et = 1.0 + e
        sp += 0.5 * g * (et + q / et)
        sm += 0.5 * g * (1.0 / et + q * et)
    return l_ref, s0 * h, s1 * h, s2 * h, sp * h, sm * h


@scalar_core
def log_kv_derivatives_scalar(v, z):
    """(log K_v(z), ∂_z log K_v, ∂_v log K_v, ∂²_v log K_v) for one (v, z)."""
    if math.isnan(v) or math.isnan(z) or z < 0.0:
        return math.nan, math.nan, math.nan, math.nan
    a = abs(v)
    if z == 0.0:
        return math.inf, -math.inf, math.copysign(math.inf, v) if a > 0.0 else 0.0, math.inf
    if math.isinf(z):
        return -math.inf, -1.0, 0.0, 0.0
    if math.isinf(a):
        return math.inf, -math.inf, math.copysign(math.inf, v), 0.0
    l_ref, s0, s1, s2, sp, sm = _sums(a, z)
    d1 = s1 / s0
    log_k = l_ref + math.log(s0) - z
    dz = -0.5 * (sp + sm) / s0
    return log_k, dz, math.copysign(d1, v), s2 / s0 - d1 * d1


@scalar_core
def log_kv_scalar(v, z):
    """log K_v(z) for one (v, z)."""
    return log_kv_derivatives_scalar(v, z)[0]


@scalar_core
def _ratio_edge(v, z):
    if math.isnan(v) or math.isnan(z) or z < 0.0:
        return math.nan
    if math.isinf(z):
        return 1.0
    if math.isinf(v):
        return math.inf if v > 0.0 else 0.0
    if v > -0.5:
        return math.inf
    return 1.0 if v == -0.5 else 0.0


@scalar_core
def log_kv_ratio_dv_scalar(v, z):
    """(log K_v(z), K_{v+1}(z)/K_v(z), ∂_v log K_v(z)) for one (v, z), from one set of nodes."""
    if math.isnan(v) or math.isnan(z) or z <= 0.0 or math.isinf(z) or math.isinf(v):
        lk, _, dv, _ = log_kv_derivatives_scalar(v, z)
        return lk, _ratio_edge(v, z), dv
    a = abs(v)
    l_ref, s0, s1, _, sp, sm = _sums(a, z)
    ratio = sp / s0 if v >= 0.0 else sm / s0
    return l_ref + math.log(s0) - z, ratio, math.copysign(s1 / s0, v)


@scalar_core
def kv_ratio_scalar(v, z):
    """K_{v+1}(z) / K_v(z) for one (v, z)."""
    return log_kv_ratio_dv_scalar(v, z)[1]


@array_kernel
def _log_kv_kernel(v, z, out):
    for i in prange(v.size):
        out[i] = log_kv_scalar(v[i], z[i])


@array_kernel
def _kv_ratio_kernel(v, z, out):
    for i in prange(v.size):
        out[i] = kv_ratio_scalar(v[i], z[i])


@array_kernel
def _derivatives_kernel(v, z, out):
    for i in prange(v.size):
        out[0, i], out[1, i], out[2, i], out[3, i] = log_kv_derivatives_scalar(v[i], z[i])


@array_kernel
def _ratio_dv_kernel(v, z, out):
    for i in prange(v.size):
        out[0, i], out[1, i], out[2, i] = log_kv_ratio_dv_scalar(v[i], z[i])


def _flat(v, z):
    v, z = np.broadcast_arrays(np.asarray(v, dtype=np.float64), np.asarray(z, dtype=np.float64))
    return v.shape, np.ascontiguousarray(v).ravel(), np.ascontiguousarray(z).ravel()


def log_kv(v, z):
    """log K_v(z), elementwise over the broadcast of ``v`` and ``z`` (float64).

    Edge values: NaN in either argument or z < 0 gives NaN; z = 0 gives +inf;
    z = +inf gives -inf.
    """
    shape, v, z = _flat(v, z)
    out = np.empty(v.size)
    _log_kv_kernel(v, z, out)
    return out.reshape(shape)


def log_kv_derivatives(v, z):
    """(log K_v(z), ∂/∂z, ∂/∂v, ∂²/∂v² of log K_v(z)), each broadcast over ``v`` and ``z``.

    ∂/∂z log K_v = v/z - K_{v+1}/K_v (DLMF 10.29.2); the v-derivatives are
    exact (quadrature of t sinh(vt) and t² cosh(vt)).  At z = 0 they are
    (+inf, -inf, sign(v) inf, +inf) (0 for ∂/∂v at v = 0); at z = +inf
    (-inf, -1, 0, 0).
    """
    shape, v, z = _flat(v, z)
    out = np.empty((4, v.size))
    _derivatives_kernel(v, z, out)
    return tuple(row.reshape(shape) for row in out)


def kv_ratio(v, z):
    """K_{v+1}(z) / K_v(z), broadcast over ``v`` and ``z``.

    At z = 0 the ratio is +inf for v > -1/2, 1 at v = -1/2 and 0 below; at
    z = +inf it is 1.
    """
    shape, v, z = _flat(v, z)
    out = np.empty(v.size)
    _kv_ratio_kernel(v, z, out)
    return out.reshape(shape)


def log_kv_ratio_dv(v, z):
    """(log K_v(z), K_{v+1}(z)/K_v(z), ∂/∂v log K_v(z)) from one set of quadrature nodes."""
    shape, v, z = _flat(v, z)
    out = np.empty((3, v.size))
    _ratio_dv_kernel(v, z, out)
    return tuple(row.reshape(shape) for row in out)
