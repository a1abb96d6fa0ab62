"""K_v(z) at small z by Temme's series, numba helpers of ``bessel_cpu`` (twin: ``bessel_series_jax.py``).

For |mu| <= 1/2 and e = z/2 (Temme 1975, J. Comput. Phys. 19, 324; DLMF 10.31.1 and
10.27.4 in a form without cancellation at integer order),

    K_mu(z)        = sum_k c_k f_k,
    e K_(mu+1)(z)  = sum_k c_k (p_k - k f_k),     e K_(mu-1)(z) = sum_k c_k (q_k - k f_k),

with c_k = e^(2k) / k!, p_0 = e^(-mu) Γ(1+mu) / 2, q_0 = e^(mu) Γ(1-mu) / 2,
f_0 = Γ(1+mu) Γ(1-mu) [cosh(s) G1(mu) + ln(1/e) sinh(s)/s G2(mu)], s = mu ln(1/e),
G1 = (1/Γ(1-mu) - 1/Γ(1+mu)) / (2 mu), G2 = (1/Γ(1-mu) + 1/Γ(1+mu)) / 2 and
f_k = (k f_(k-1) + p_(k-1) + q_(k-1)) / (k² - mu²), p_k = p_(k-1) / (k - mu),
q_k = q_(k-1) / (k + mu).  The upward recurrence K_(m+1) = K_(m-1) + (2m/z) K_m
(DLMF 10.29.1) then reaches K_v, v = n + mu.  The sums are carried times e^(-s)
(see :func:`_start`), and every quantity as a hyper-dual number
(f, df/dmu, d²f/dmu²), so the order derivatives are exact; :func:`temme_log_value`
repeats the arithmetic on plain values for log K_v alone.
No kernels are exported (``__all__`` is empty): ``bessel_cpu`` calls the two.
"""
import math

from normix._kernels._constants import (
    LOG_KV_BIG_RATIO,
    LOG_KV_PRODUCT_MAX,
    LOG_KV_SERIES_TERMS,
    LOG_KV_SERIES_TOL,
    RGAMMA1P_TAYLOR,
    RHO_TAYLOR,
    RHO_TAYLOR_RADIUS,
)
from normix._kernels._numba import scalar_core

__all__ = []


@scalar_core
def _mul(x, y):
    return x[0] * y[0], x[1] * y[0] + x[0] * y[1], x[2] * y[0] + 2.0 * x[1] * y[1] + x[0] * y[2]


@scalar_core
def _inv(y):
    i0 = 1.0 / y[0]
    i1 = -y[1] * i0 * i0
    return i0, i1, -(2.0 * i1 * y[1] + i0 * y[2]) * i0


@scalar_core
def _log(x):
    d = x[1] / x[0]
    return math.log(x[0]), d, x[2] / x[0] - d * d


@scalar_core
def _add(x, y):
    return x[0] + y[0], x[1] + y[1], x[2] + y[2]


@scalar_core
def _scale(c, x):
    return c * x[0], c * x[1], c * x[2]


@scalar_core
def _even_poly(mu, first):
    """sum_m RGAMMA1P_TAYLOR[first + 2m] mu^(2m) and its two mu-derivatives."""
    w = mu * mu
    p0 = 0.0
    p1 = 0.0
    p2 = 0.0
    for k in range(len(RGAMMA1P_TAYLOR) - 1 - (len(RGAMMA1P_TAYLOR) - 1 - first) % 2, first - 1, -2):
        p2 = p2 * w + 2.0 * p1
        p1 = p1 * w + p0
        p0 = p0 * w + RGAMMA1P_TAYLOR[k]
    return p0, 2.0 * mu * p1, 2.0 * p1 + 4.0 * w * p2


@scalar_core
def _rho(x, em):
    """(ρ, ρ', ρ'') of ρ(x) = (1 - e^(-x))/x, given em = e^(-x); Taylor series near 0."""
    if abs(x) < RHO_TAYLOR_RADIUS:
        p0 = 0.0
        p1 = 0.0
        p2 = 0.0
        for k in range(len(RHO_TAYLOR) - 1, -1, -1):
            p2 = p2 * x + 2.0 * p1
            p1 = p1 * x + p0
            p0 = p0 * x + RHO_TAYLOR[k]
        return p0, p1, p2
    rho = (1.0 - em) / x
    rho1 = (em - rho) / x
    return rho, rho1, -(em + 2.0 * rho1) / x


@scalar_core
def _start(mu, z):
    """(s, f_0, p_0, q_0), the last three times e^(-s), s = mu ln(1/e), as hyper-duals.

    The factor e^(-s) is taken out analytically: e^(-s) cosh(s) = (1 + E)/2 and
    e^(-s) ln(1/e) sinh(s)/s = ln(1/e) ρ(2s), with E = e^(-2s) = (z/2)^(2 mu) (a power
    of z/2 itself, not of the rounded ln(1/e), so that ratios of K keep full
    accuracy) and ρ(x) = (1 - e^(-x))/x, and e^(-s) p_0 = Γ(1+mu)/2 holds no
    ln(1/e) at all.  Carried along plainly, e^s
    would put ln(1/e)- and ln(1/e)²-sized parts into the mu-derivatives of K_(mu+1)
    that cancel in d²/dmu² log K_(mu+1), losing about eps ln(1/e)² of it.
    """
    ell = -math.log(0.5 * z)
    g2 = _even_poly(mu, 0)
    odd = _even_poly(mu, 1)
    g1 = (-odd[0], -odd[1], -odd[2])
    mu_g1 = _mul((mu, 1.0, 0.0), g1)
    rg_plus = (g2[0] - mu_g1[0], g2[1] - mu_g1[1], g2[2] - mu_g1[2])
    rg_minus = _add(g2, mu_g1)
    s = mu * ell
    big_e = (0.5 * z) ** (2.0 * mu)
    e_dual = (big_e, -2.0 * ell * big_e, 4.0 * ell * ell * big_e)
    rho = _rho(2.0 * s, big_e)
    ell_rho = (ell * rho[0], 2.0 * ell * ell * rho[1], 4.0 * ell * ell * ell * rho[2])
    half_one_plus_e = (0.5 + 0.5 * big_e, 0.5 * e_dual[1], 0.5 * e_dual[2])
    f = _mul(_add(_mul(half_one_plus_e, g1), _mul(ell_rho, g2)), _inv(_mul(rg_plus, rg_minus)))
    p = _scale(0.5, _inv(rg_plus))
    q = _mul(e_dual, _scale(0.5, _inv(rg_minus)))
    return s, f, p, q


@scalar_core
def _temme_sums(mu, z):
    """(s, S0, S+, S-): K_mu = e^s S0, (z/2) K_(mu±1) = e^s S±, as hyper-duals (s = mu ln(2/z)).

    Terms are added until they fall below LOG_KV_SERIES_TOL of every sum (at most
    LOG_KV_SERIES_TERMS of them).
    """
    s, f, p, q = _start(mu, z)
    k0 = f
    kp = p
    km = q
    e2 = 0.25 * z * z
    c = 1.0
    for k in range(1, LOG_KV_SERIES_TERMS):
        c *= e2 / k
        i = 1.0 / (k - mu)
        j = 1.0 / (k + mu)
        inv_minus = (i, i * i, 2.0 * i * i * i)
        inv_plus = (j, -j * j, 2.0 * j * j * j)
        f = _mul(_add(_scale(float(k), f), _add(p, q)), _mul(inv_minus, inv_plus))
        p = _mul(p, inv_minus)
        q = _mul(q, inv_plus)
        kf = _scale(-float(k), f)
        t0 = _scale(c, f)
        tp = _scale(c, _add(p, kf))
        tm = _scale(c, _add(q, kf))
        k0 = _add(k0, t0)
        kp = _add(kp, tp)
        km = _add(km, tm)
        if (
            abs(t0[0]) <= LOG_KV_SERIES_TOL * k0[0]
            and abs(tp[0]) <= LOG_KV_SERIES_TOL * kp[0]
            and abs(tm[0]) <= LOG_KV_SERIES_TOL * km[0]
        ):
            break
    return s, k0, kp, km


@scalar_core
def temme(a, z):
    """(log K_a, d/da log K_a, d²/da² log K_a, K_(a+1)/K_a, K_(a-1)/K_a, D_lo, K_(a-2)/K_(a-1)) for a >= 0, small z.

    With a = n + mu, the recurrence runs on hyper-duals of log K_m,
    log K_(m+2) = log K_(m+1) + log(2(m+1)/z + K_m/K_(m+1)), from log K_mu and
    log K_(mu+1), each s plus the log of a sum whose derivatives hold no
    ln(1/e)-sized parts; the ratios K_(m±1)/K_m are carried as plain values.
    The lower orders come from the same recurrence: D_lo = ∂/∂u log K_u at u = a - 1
    is the derivative of the step before the last (for n = 0, of
    log K_(mu-1) = s + ln(1/e) + log S-), and K_(a-2)/K_(a-1) the ratio before the
    last (for n = 0, 1/down + 2(1 - mu)/z by DLMF 10.29.1, a sum of positive terms).
    """
    n = int(math.floor(a + 0.5))
    mu = a - n
    s, k0, kp, km = _temme_sums(mu, z)
    ell = -math.log(0.5 * z)
    log_lo = _add((s, ell, 0.0), _log(k0))
    log_hi = _add((s + ell, ell, 0.0), _log(kp))
    up = kp[0] / (0.5 * z * k0[0])
    down = km[0] / (0.5 * z * k0[0])
    d_lo = ell + km[1] / km[0]
    down_lo = 1.0 / down + 2.0 * (1.0 - mu) / z
    for j in range(n):
        d_lo = log_lo[1]
        down_lo = down
        inv_up = 1.0 / up
        gap1 = log_lo[1] - log_hi[1]
        gap2 = log_lo[2] - log_hi[2]
        order = mu + j + 1.0
        step = _log((2.0 * order / z + inv_up, 2.0 / z + inv_up * gap1, inv_up * (gap2 + gap1 * gap1)))
        log_lo = log_hi
        log_hi = _add(log_hi, step)
        down = inv_up
        up = 2.0 * order / z + inv_up
    return log_lo[0], log_lo[1], log_lo[2], up, down, d_lo, down_lo


@scalar_core
def _value_poly(coefficients, first, x):
    """sum_m coefficients[first + 2m] x^m (values only)."""
    top = len(coefficients) - 1 - (len(coefficients) - 1 - first) % 2
    p = 0.0
    for k in range(top, first - 1, -2):
        p = p * x + coefficients[k]
    return p


@scalar_core
def times_ratio(log_k, product, ratio):
    """(log K, product) after K ← K · ratio, with K = exp(log K) · product kept free of overflow.

    A ratio above ``LOG_KV_BIG_RATIO`` adds its logarithm to log K; smaller ones are
    multiplied into ``product``, whose logarithm moves into log K when it passes
    ``LOG_KV_PRODUCT_MAX``.
    """
    if ratio > LOG_KV_BIG_RATIO:
        return log_k + math.log(ratio), product
    product *= ratio
    if product > LOG_KV_PRODUCT_MAX:
        return log_k + math.log(product), 1.0
    return log_k, product


@scalar_core
def temme_log_value(a, z):
    """log K_a(z) for a >= 0, small z: :func:`temme` on plain values (no derivatives).

    Without derivatives to protect, E = exp(-2s) replaces the exact power (its
    relative error, at most ln(2/z) eps, moves log K_a by as little), and the
    recurrence accumulates the ratios by :func:`times_ratio` (and takes the logarithm of
    the product at the end).
    """
    n = int(math.floor(a + 0.5))
    mu = a - n
    ell = -math.log(0.5 * z)
    w = mu * mu
    g2 = _value_poly(RGAMMA1P_TAYLOR, 0, w)
    g1 = -_value_poly(RGAMMA1P_TAYLOR, 1, w)
    rg_plus = g2 - mu * g1
    rg_minus = g2 + mu * g1
    s = mu * ell
    big_e = math.exp(-2.0 * s)
    x = 2.0 * s
    if abs(x) < RHO_TAYLOR_RADIUS:
        rho = _value_poly(RHO_TAYLOR, 0, x * x) + x * _value_poly(RHO_TAYLOR, 1, x * x)
    else:
        rho = (1.0 - big_e) / x
    f = (0.5 * (1.0 + big_e) * g1 + ell * rho * g2) / (rg_plus * rg_minus)
    p = 0.5 / rg_plus
    q = 0.5 * big_e / rg_minus
    k0 = f
    kp = p
    e2 = 0.25 * z * z
    c = 1.0
    for k in range(1, LOG_KV_SERIES_TERMS):
        c *= e2 / k
        i = 1.0 / (k - mu)
        j = 1.0 / (k + mu)
        f = (k * f + p + q) * i * j
        p *= i
        q *= j
        t0 = c * f
        tp = c * (p - k * f)
        k0 += t0
        kp += tp
        if abs(t0) <= LOG_KV_SERIES_TOL * k0 and abs(tp) <= LOG_KV_SERIES_TOL * kp:
            break
    log_k = s + math.log(k0)
    product = 1.0
    up = kp / (0.5 * z * k0)
    for j in range(n):
        log_k, product = times_ratio(log_k, product, up)
        up = 2.0 * (mu + j + 1.0) / z + 1.0 / up
    return log_k + math.log(product)
