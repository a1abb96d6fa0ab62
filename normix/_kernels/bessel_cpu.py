"""Modified Bessel function of the second kind in log space, numba twin (twin: ``bessel_jax.py``).

K_v = K_(-v) (DLMF 10.27.3), so the cores work with a = |v| and restore the sign
of the odd derivative at the end.  Three methods, chosen per element:

* Quadrature (Takekawa 2022, SoftwareX 17, 100923).  K_a(z) = ∫_0^∞ exp(-z cosh t)
  cosh(a t) dt (DLMF 10.32.9) by the trapezoid rule on a window around the peak
  of the integrand.  With r = hypot(a, z), t_m = asinh(a/z) (the peak of
  a t - z(cosh t - 1)) and s = t - t_m,
  exp(-z cosh t) cosh(at) = exp(a t_m - r) exp(-(r - a)(cosh s - 1) - a(e^s - 1 - s)) (1 + e^(-2at))/2:
  the first factor goes to log K directly and the others are at most 1, so nothing
  overflows, and the exponent is small near the peak, so it keeps its accuracy.  The same nodes give
  ∂/∂a and ∂²/∂a² (the weights t tanh(at) and t²) and K_(a±1) (cosh((a±1)t)).
* Temme's series for small z and small order (``bessel_series_cpu``), where the
  integrand is flat over [0, log(2/z)] and the quadrature would need many nodes.
* Closed forms at half-integer orders |v| = n + 1/2, n <= LOG_KV_HALF_MAX_ORDER
  (``bessel_half_cpu``), for the value, the ratios and ∂/∂v (not ∂²/∂v², which
  ``log_kv_derivatives`` and the GIG Newton core take from the other two methods).
  The JAX twin keeps its quadrature and series there (differentiable in v); the
  twins agree to rounding.

∂/∂z log K_v = |v|/z - K_(|v|+1)/K_|v| (DLMF 10.29.2).
"""
import math

import numpy as np

from normix._kernels._constants import (
    LOG_2,
    LOG_KV_LEFT_NEWTON_STEPS,
    LOG_KV_RECURRENCE_MAX_ORDER,
    LOG_KV_SERIAL_MAX_SIZE,
    LOG_KV_SERIES_MAX_ARG,
    LOG_KV_SERIES_MAX_ORDER,
    LOG_KV_STEP_FLAT,
    LOG_KV_STEP_PEAK,
    LOG_KV_WINDOW_DROP,
)
from normix._kernels._numba import array_kernel, prange, readonly, scalar_core
from normix._kernels.bessel_half_cpu import half_integer, is_half_integer
from normix._kernels.bessel_series_cpu import temme, temme_log_value

__all__ = ["log_kv", "log_kv_derivatives", "kv_ratio"]


@scalar_core
def _acosh1p(x):
    """acosh(1 + x) for x >= 0, without forming 1 + x."""
    return math.log1p(x + math.sqrt(x) * math.sqrt(2.0 + x))


@scalar_core
def _sinh_cosh_minus_1(u):
    """(sinh u, cosh u - 1) from one expm1, accurate for small u."""
    e = math.expm1(u)
    return 0.5 * e * (e + 2.0) / (e + 1.0), 0.5 * e * e / (e + 1.0)


@scalar_core
def _grid(a, z, k):
    """(t_lo, h, n, t_m, r): n + 1 trapezoid nodes t_lo + j h covering the window.

    The window keeps every t where the integrand of K_a (and of K_(a+1), and of
    K_(a-1) for k >= 1 and K_(a-2) for k = 2) is within LOG_KV_WINDOW_DROP of its peak.  With
    G(t) = z(cosh t - 1) - a t, t_m = asinh(a/z) = log1p((a + r - z)/z) its minimum
    and -G(t) - log 2 <= log-integrand <= -G(t), the peak is at least
    max(-G(t_m) - log 2, 0) (the value at t = 0), and delta, the allowed rise of G
    above G(t_m), follows from it.  The ends solve the convex equations
    r(cosh u - 1) + a(sinh u - u) - u = delta (right, t = t_m + u; the -u keeps the
    extra weight e^t of K_(a+1)) and (r - a)(cosh u - 1) + a(e^(-u) - 1 + u) - k u
    = delta (left, t = t_m - u; k keeps the weight e^(-kt) of K_(a-k)) by Newton steps from above (the first right step lands above
    the root from anywhere), so every iterate is a safe end.  The step h follows
    LOG_KV_STEP_FLAT and LOG_KV_STEP_PEAK (see the constants).
    """
    r = math.hypot(a, z)
    r_minus_z = a * (a / (r + z))
    tm = math.log1p((a + r_minus_z) / z)
    r_minus_a = z * (z / (r + a))
    peak = a * tm - r_minus_z
    delta = LOG_KV_WINDOW_DROP + peak - max(peak - LOG_2, 0.0)
    u = _acosh1p(delta / r)
    sh, ch_minus_1 = _sinh_cosh_minus_1(u)
    u -= (r * ch_minus_1 + a * (sh - u) - u - delta) / (r * sh + a * ch_minus_1 - 1.0)
    t_hi = tm + u
    t_lo = 0.0
    if peak - k * tm > delta:
        u = min(tm, _acosh1p((delta + k * tm) / r_minus_a))
        if a > k:
            u = min(u, (delta + a) / (a - k))
        for _ in range(LOG_KV_LEFT_NEWTON_STEPS):
            sh, ch_minus_1 = _sinh_cosh_minus_1(u)
            one_minus_em = -math.expm1(-u)
            f = r_minus_a * ch_minus_1 + a * (u - one_minus_em) - k * u - delta
            u -= f / (r_minus_a * sh + a * one_minus_em - k)
        t_lo = tm - u
    h = 1.0 / math.sqrt(1.0 / (LOG_KV_STEP_FLAT * LOG_KV_STEP_FLAT) + r / (LOG_KV_STEP_PEAK * LOG_KV_STEP_PEAK))
    n = max(int(math.ceil((t_hi - t_lo) / h)), 2)
    return t_lo, (t_hi - t_lo) / n, n, tm, r


@scalar_core
def _sweep(a, hr, s, h, p, e_inv, q, one_minus_q, steps, count, half_first, moments, side, sums):
    """Add ``count`` nodes s, s + h, ... (h of either sign) to the trapezoid ``sums``.

    (p, e_inv, q, one_minus_q) are e^s - 1, e^(-s), exp(-2at), 1 - exp(-2at) at the
    first node, ``steps`` = (e^h - 1, e^(-h), e^(-2ah), 1 - e^(-2ah)).  Node
    quantities follow by recurrence: p <- p + (e^h - 1)(1 + p), whose two terms share
    their sign on either side of the peak, so p keeps an absolute error of a few eps
    near it; the others by products.  Above LOG_KV_RECURRENCE_MAX_ORDER, where the
    order multiplies that error in the exponent, p = expm1(s) at every node.  The
    last node swept, and the first when ``half_first``, is an end of the rule and
    carries half weight (set one node ahead, so that the loop body has no branch on j).
    """
    s0, sq, su, ssq, ssu, ss2, ap, am, bp, bm, bps, bms, cp, cm = sums
    p_step, e_inv_step, q_step, one_minus_q_step = steps
    recurrence = a <= LOG_KV_RECURRENCE_MAX_ORDER
    weight = 0.5 if half_first or count == 1 else 1.0
    for j in range(count):
        if not recurrence:
            p = math.expm1(s)
            e_inv = 1.0 / (1.0 + p)
        g = weight * math.exp(-(hr * p * p * e_inv + a * (p - s)))
        weight = 1.0 if j < count - 2 else 0.5
        c = 0.5 * g * (1.0 + q)
        s0 += c
        gq = g * q
        if moments >= 1:
            gu = 0.5 * g * one_minus_q
            su += gu
            ssu += gu * s
            if moments >= 2:
                sq += gq
                ssq += gq * s
                ss2 += c * s * s
            one_minus_q += q * one_minus_q_step
        if side >= 1:
            ap += g * (1.0 + p)
            am += gq * e_inv
        if side <= -1 or side >= 2:
            bp += g * e_inv
            bm += gq * (1.0 + p)
        if side == 3:
            bps += g * e_inv * s
            bms += gq * (1.0 + p) * s
            cp += g * e_inv * e_inv
            cm += gq * (1.0 + p) * (1.0 + p)
        s += h
        p += p_step * (1.0 + p)
        e_inv *= e_inv_step
        q *= q_step
    return s0, sq, su, ssq, ssu, ss2, ap, am, bp, bm, bps, bms, cp, cm


@scalar_core
def _quadrature(a, z, moments, side):
    """Trapezoid sums of the scaled integrand g (1 + q)/2, q = exp(-2at).

    Returns (log K_a, S0, Sq, Su, Ssq, Ssu, Ss2, up, down, t_m, D_lo, down_lo) with S0 = Σ g(1+q)/2,
    Su = Σ g(1-q)/2, Ssu = Σ g(1-q)s/2 (when ``moments`` >= 1, enough for ∂/∂a),
    Sq = Σ g q, Ssq = Σ g q s, Ss2 = Σ g(1+q)s²/2 (``moments`` >= 2), up = K_(a+1)/K_a (``side`` = 1),
    down = K_(a-1)/K_a (``side`` = -1), both (``side`` = 2); with ``side`` = 3 also the two
    quantities of the lower orders, D_lo = ∂/∂u log K_u at u = a - 1 (weight t sinh((a-1)t))
    and down_lo = K_(a-2)/K_(a-1) (weight cosh((a-2)t)), on a window that holds K_(a-2)
    (NaN otherwise).  With E = e^(t_m) = (a + r)/z, e^(±t) = E^(±1) e^(±s), so
    cosh((a-k)t) e^(-at) = (E^(-k) e^(-ks) + E^k q e^(ks))/2; the sums are combined
    times E^k so that no power of E beyond those of the terms that carry q is formed
    (q is then tiny wherever E is large).  1 - q has its own recurrence, so tanh(at)
    keeps full relative accuracy when at is tiny.  The nodes are swept outward
    from the one nearest the peak (see :func:`_sweep`); the backward steps are the
    reciprocals of the forward ones.
    """
    t_lo, h, n, tm, r = _grid(a, z, 2.0 if side == 3 else (1.0 if side <= -1 or side == 2 else 0.0))
    hr = 0.5 * z * (z / (r + a))
    s_lo = t_lo - tm
    j0 = min(max(int(round(-s_lo / h)), 0), n)
    s = s_lo + j0 * h
    t = t_lo + j0 * h
    p = math.expm1(s)
    e_inv = 1.0 / (1.0 + p)
    q = math.exp(-2.0 * a * t)
    one_minus_q = -math.expm1(-2.0 * a * t) if moments >= 1 else 0.0
    p_step = math.expm1(h)
    e_inv_step = 1.0 / (1.0 + p_step)
    q_step = math.exp(-2.0 * a * h)
    one_minus_q_step = -math.expm1(-2.0 * a * h) if moments >= 1 else 0.0
    forward = (p_step, e_inv_step, q_step, one_minus_q_step)
    zero = (0.0,) * 14
    sums = _sweep(a, hr, s, h, p, e_inv, q, one_minus_q, forward, n - j0 + 1, j0 == 0, moments, side, zero)
    if j0 > 0:
        backward = (-p_step * e_inv_step, 1.0 + p_step, 1.0 / q_step, -one_minus_q_step / q_step)
        p_back = p + backward[0] * (1.0 + p)
        one_minus_q_back = one_minus_q + q * backward[3]
        sums = _sweep(
            a, hr, s - h, -h, p_back, e_inv * backward[1], q * backward[2], one_minus_q_back,
            backward, j0, False, moments, side, sums,
        )
    s0, sq, su, ssq, ssu, ss2, ap, am, bp, bm, bps, bms, cp, cm = sums
    e_tm = (a + r) / z
    up = 0.5 * ((a + r) / z * ap + z / (a + r) * am) / s0
    down = 0.5 * (z / (a + r) * bp + (a + r) / z * bm) / s0
    d_lo = math.nan
    down_lo = math.nan
    if side == 3:
        bm_e2 = (e_tm * bm) * e_tm
        lower = bp + bm_e2
        d_lo = tm * (bp - bm_e2) / lower + (bps - (e_tm * bms) * e_tm) / lower
        down_lo = (cp / e_tm + ((e_tm * cm) * e_tm) * e_tm) / lower
    return a * tm - r + math.log(h * s0), s0, sq, su, ssq, ssu, ss2, up, down, tm, d_lo, down_lo


@scalar_core
def _use_series(a, z):
    return z <= LOG_KV_SERIES_MAX_ARG and a <= LOG_KV_SERIES_MAX_ORDER


@scalar_core
def _first_two(s0, sq, su, ssq, ssu, ss2, tm):
    """∂/∂a and ∂²/∂a² of log K_a from the quadrature sums.

    With t = t_m + s, u = tanh(at) and <.> the K_a-weighted mean,
    ∂ log K = t_m <u> + <su> and ∂² log K = <t²> - <tu>², written as
    t_m² <1-u> (1 + <u>) + 2 t_m (<s(1-u)> + <su> <1-u>) + var(s) + <s(1-u)> (<s> + <su>)
    so that no large terms cancel.
    """
    w = sq / s0
    m_u = su / s0
    m_sq = ssq / s0
    m_su = ssu / s0
    m_s = m_sq + m_su
    d2 = tm * tm * w * (1.0 + m_u) + 2.0 * tm * (m_sq + m_su * w) + (ss2 / s0 - m_s * m_s) + m_sq * (m_s + m_su)
    return tm * m_u + m_su, d2


@scalar_core
def _odd(d, v):
    """d with the sign of v (0 at v = 0): an odd function of v from its value at |v|."""
    return 0.0 if v == 0.0 else math.copysign(d, v)


@scalar_core
def _is_edge(v, z):
    return math.isnan(v) or math.isnan(z) or z <= 0.0 or math.isinf(z) or math.isinf(v)


@scalar_core
def log_kv_derivatives_scalar(v, z):
    """(log K_v(z), ∂_z log K_v, ∂_v log K_v, ∂²_v log K_v) for one (v, z)."""
    if _is_edge(v, z):
        if math.isnan(v) or math.isnan(z) or z < 0.0:
            return math.nan, math.nan, math.nan, math.nan
        if math.isinf(z):
            return -math.inf, -1.0, 0.0, 0.0
        return math.inf, -math.inf, _odd(math.inf, v), math.inf if z == 0.0 else 0.0
    a = abs(v)
    if _use_series(a, z):
        log_k, d1, d2, up, _, _, _ = temme(a, z)
    else:
        log_k, s0, sq, su, ssq, ssu, ss2, up, _, tm, _, _ = _quadrature(a, z, 2, 1)
        d1, d2 = _first_two(s0, sq, su, ssq, ssu, ss2, tm)
    return log_k, a / z - up, _odd(d1, v), d2


@scalar_core
def log_kv_scalar(v, z):
    """log K_v(z) for one (v, z)."""
    if _is_edge(v, z):
        return log_kv_derivatives_scalar(v, z)[0]
    a = abs(v)
    if is_half_integer(a, z):
        return half_integer(a, z)[0]
    if _use_series(a, z):
        return temme_log_value(a, z)
    return _quadrature(a, z, 0, 0)[0]


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
    """(log K_v(z), K_(v+1)(z)/K_v(z), ∂_v log K_v(z)) for one (v, z), from one evaluation."""
    if _is_edge(v, z):
        log_k, _, d1, _ = log_kv_derivatives_scalar(v, z)
        return log_k, _ratio_edge(v, z), d1
    a = abs(v)
    if is_half_integer(a, z):
        log_k, up, down, d1 = half_integer(a, z)
    elif _use_series(a, z):
        log_k, d1, _, up, down, _, _ = temme(a, z)
    else:
        side = 1 if v >= 0.0 else -1
        log_k, s0, _, su, _, ssu, _, up, down, tm, _, _ = _quadrature(a, z, 1, side)
        d1 = (tm * su + ssu) / s0
    return log_k, up if v >= 0.0 else down, _odd(d1, v)


@scalar_core
def log_kv_orders_scalar(a, z):
    """Order a >= 0: (log K_a, K_(a+1)/K_a, K_(a-1)/K_a, ∂_a log K_a, ∂²_a log K_a, D_lo, K_(a-2)/K_(a-1)).

    D_lo = ∂/∂u log K_u(z) at u = a - 1 (a signed order).  One quadrature (or series) pass
    at order a on a window that also holds K_(a-1) and K_(a-2): the node sums of every
    output share every node (see :func:`_quadrature`; in the series region the lower
    orders are steps of the same recurrence, :func:`normix._kernels.bessel_series_cpu.temme`).
    """
    if _is_edge(a, z):
        log_k, _, d1, d2 = log_kv_derivatives_scalar(a, z)
        _, ratio_lo, d_lo = log_kv_ratio_dv_scalar(1.0 - a, z)
        return log_k, _ratio_edge(a, z), 1.0 / _ratio_edge(a - 1.0, z), d1, d2, -d_lo, ratio_lo
    if _use_series(a, z):
        log_k, d1, d2, up, down, d_lo, down_lo = temme(a, z)
        return log_k, up, down, d1, d2, d_lo, down_lo
    log_k, s0, sq, su, ssq, ssu, ss2, up, down, tm, d_lo, down_lo = _quadrature(a, z, 2, 3)
    d1, d2 = _first_two(s0, sq, su, ssq, ssu, ss2, tm)
    return log_k, up, down, d1, d2, d_lo, down_lo


@scalar_core
def kv_ratio_scalar(v, z):
    """K_(v+1)(z) / K_v(z) for one (v, z)."""
    if _is_edge(v, z):
        return _ratio_edge(v, z)
    a = abs(v)
    if is_half_integer(a, z):
        _, up, down, _ = half_integer(a, z)
    elif _use_series(a, z):
        _, _, _, up, down, _, _ = temme(a, z)
    else:
        side = 1 if v >= 0.0 else -1
        _, _, _, _, _, _, _, up, down, _, _, _ = _quadrature(a, z, 0, side)
    return up if v >= 0.0 else down


@array_kernel(LOG_KV_SERIAL_MAX_SIZE)
def _log_kv_kernel(v, z, out):
    for i in prange(v.size):
        out[0, i] = log_kv_scalar(v[i], z[i])


@array_kernel(LOG_KV_SERIAL_MAX_SIZE)
def _kv_ratio_kernel(v, z, out):
    for i in prange(v.size):
        out[0, i] = kv_ratio_scalar(v[i], z[i])


@array_kernel(LOG_KV_SERIAL_MAX_SIZE)
def _derivatives_kernel(v, z, out):
    for i in prange(v.size):
        out[0, i], out[1, i], out[2, i], out[3, i] = log_kv_derivatives_scalar(v[i], z[i])


@array_kernel(LOG_KV_SERIAL_MAX_SIZE)
def _ratio_dv_kernel(v, z, out):
    for i in prange(v.size):
        out[0, i], out[1, i], out[2, i] = log_kv_ratio_dv_scalar(v[i], z[i])


_KERNELS = {
    "log_kv": _log_kv_kernel,
    "kv_ratio": _kv_ratio_kernel,
    "log_kv_derivatives": _derivatives_kernel,
    "log_kv_ratio_dv": _ratio_dv_kernel,
}


def _apply(name, n_out, v, z):
    v, z = np.broadcast_arrays(np.asarray(v, dtype=np.float64), np.asarray(z, dtype=np.float64))
    shape = v.shape
    v, z = readonly(np.ascontiguousarray(v).ravel(), np.ascontiguousarray(z).ravel())
    out = np.empty((n_out, v.size))
    _KERNELS[name].run(v.size, v, z, out)
    if n_out == 1:
        return out[0].reshape(shape)
    return tuple(row.reshape(shape) for row in out)


def log_kv(v, z):
    """log K_v(z), elementwise over the broadcast of ``v`` and ``z`` (float64).

    Edge values: NaN in either argument or z < 0 gives NaN; z = 0 gives +inf;
    z = +inf gives -inf; |v| = inf (z > 0 finite) gives +inf.
    """
    return _apply("log_kv", 1, v, z)


def log_kv_derivatives(v, z):
    """(log K_v(z), ∂/∂z, ∂/∂v, ∂²/∂v² of log K_v(z)), each broadcast over ``v`` and ``z``.

    The derivatives are exact (not finite differences).  Edge values: z = 0 gives
    (+inf, -inf, sign(v) inf, +inf) with ∂/∂v = 0 at v = 0; z = +inf gives
    (-inf, -1, 0, 0); |v| = inf gives (+inf, -inf, sign(v) inf, 0); NaN or
    z < 0 gives NaN.
    """
    return _apply("log_kv_derivatives", 4, v, z)


def kv_ratio(v, z):
    """K_(v+1)(z) / K_v(z), broadcast over ``v`` and ``z``.

    At z = 0 the ratio is +inf for v > -1/2, 1 at v = -1/2 and 0 below; at
    z = +inf it is 1; v = +inf gives +inf and v = -inf gives 0.
    """
    return _apply("kv_ratio", 1, v, z)


def log_kv_ratio_dv(v, z):
    """(log K_v(z), K_(v+1)(z)/K_v(z), ∂/∂v log K_v(z)) from one evaluation per element."""
    return _apply("log_kv_ratio_dv", 3, v, z)
