"""K_v(z) at small z by Temme's series, JAX helpers of ``bessel_jax`` (twin: ``bessel_series_cpu.py``).

Same series, recurrence and hyper-dual bookkeeping as the numba twin (see its
docstring), written branch-free for arrays: a fixed LOG_KV_SERIES_TERMS terms
(the numba twin stops once they are negligible) and a fixed number of recurrence
steps, each applied only where the order still needs it.  Inputs are expected
inside the series region (0 <= a <= LOG_KV_SERIES_MAX_ORDER, 0 < z <=
LOG_KV_SERIES_MAX_ARG); callers substitute safe values elsewhere.  No kernels are
exported (``__all__`` is empty): ``bessel_jax`` calls :func:`temme`.
"""
import math

import jax.numpy as jnp
from jax import lax

from normix._kernels._constants import (
    LOG_KV_SERIES_MAX_ORDER,
    LOG_KV_SERIES_TERMS,
    RGAMMA1P_TAYLOR,
    RHO_TAYLOR,
    RHO_TAYLOR_RADIUS,
)

__all__ = []

_MAX_STEPS = int(math.floor(LOG_KV_SERIES_MAX_ORDER + 0.5))


def _mul(x, y):
    return x[0] * y[0], x[1] * y[0] + x[0] * y[1], x[2] * y[0] + 2.0 * x[1] * y[1] + x[0] * y[2]


def _inv(y):
    i0 = 1.0 / y[0]
    i1 = -y[1] * i0 * i0
    return i0, i1, -(2.0 * i1 * y[1] + i0 * y[2]) * i0


def _log(x):
    d = x[1] / x[0]
    return jnp.log(x[0]), d, x[2] / x[0] - d * d


def _add(x, y):
    return x[0] + y[0], x[1] + y[1], x[2] + y[2]


def _scale(c, x):
    return c * x[0], c * x[1], c * x[2]


def _horner(coefficients, w):
    """sum_k coefficients[k] w^k and its first two derivatives in w."""
    p0 = jnp.zeros_like(w)
    p1 = jnp.zeros_like(w)
    p2 = jnp.zeros_like(w)
    for c in reversed(coefficients):
        p2 = p2 * w + 2.0 * p1
        p1 = p1 * w + p0
        p0 = p0 * w + c
    return p0, p1, p2


def _even_poly(mu, first):
    """sum_m RGAMMA1P_TAYLOR[first + 2m] mu^(2m) and its two mu-derivatives."""
    w = mu * mu
    p0, p1, p2 = _horner(RGAMMA1P_TAYLOR[first::2], w)
    return p0, 2.0 * mu * p1, 2.0 * p1 + 4.0 * w * p2


def _rho(x, em):
    """(ρ, ρ', ρ'') of ρ(x) = (1 - e^(-x))/x, given em = e^(-x); Taylor series near 0."""
    small = jnp.abs(x) < RHO_TAYLOR_RADIUS
    x_small = jnp.where(small, x, 0.0)
    x_large = jnp.where(small, 1.0, x)
    em_large = jnp.where(small, 0.5, em)
    p0, p1, p2 = _horner(RHO_TAYLOR, x_small)
    rho = (1.0 - em_large) / x_large
    rho1 = (em_large - rho) / x_large
    return (
        jnp.where(small, p0, rho),
        jnp.where(small, p1, rho1),
        jnp.where(small, p2, -(em_large + 2.0 * rho1) / x_large),
    )


def _start(mu, z):
    """(s, f_0, p_0, q_0), the last three times e^(-s), s = mu ln(1/e); see the numba twin."""
    ell = -jnp.log(0.5 * z)
    one = jnp.ones_like(mu)
    zero = jnp.zeros_like(mu)
    g2 = _even_poly(mu, 0)
    g1 = _scale(-1.0, _even_poly(mu, 1))
    mu_g1 = _mul((mu, one, zero), g1)
    rg_plus = _add(g2, _scale(-1.0, mu_g1))
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


def _temme_sums(mu, z):
    """(s, S0, S+, S-): K_mu = e^s S0, (z/2) K_(mu±1) = e^s S±, as hyper-duals (s = mu ln(2/z))."""
    s, f, p, q = _start(mu, z)
    one = jnp.ones_like(mu)
    zero = jnp.zeros_like(mu)
    e2 = 0.25 * z * z

    def term(k, carry):
        c, f, p, q, k0, kp, km = carry
        k = jnp.asarray(k, dtype=mu.dtype)
        c = c * e2 / k
        f = _mul(_add(_scale(k, f), _add(p, q)), _inv((k * k - mu * mu, -2.0 * mu, -2.0 * one)))
        p = _mul(p, _inv((k - mu, -one, zero)))
        q = _mul(q, _inv((k + mu, one, zero)))
        kf = _scale(-k, f)
        return c, f, p, q, _add(k0, _scale(c, f)), _add(kp, _scale(c, _add(p, kf))), _add(km, _scale(c, _add(q, kf)))

    carry = (jnp.ones_like(z), f, p, q, f, p, q)
    _, _, _, _, k0, kp, km = lax.fori_loop(1, LOG_KV_SERIES_TERMS, term, carry)
    return s, k0, kp, km


def temme(a, z):
    """(log K_a, d/da log K_a, d²/da² log K_a, K_(a+1)/K_a, K_(a-1)/K_a), small z, 0 <= a."""
    n = jnp.floor(a + 0.5)
    mu = a - n
    s, k0, kp, km = _temme_sums(mu, z)
    ell = -jnp.log(0.5 * z)
    zero = jnp.zeros_like(z)
    log_lo = _add((s, ell, zero), _log(k0))
    log_hi = _add((s + ell, ell, zero), _log(kp))
    up = kp[0] / (0.5 * z * k0[0])
    down = km[0] / (0.5 * z * k0[0])

    def step(j, carry):
        log_lo, log_hi, up, down = carry
        inv_up = 1.0 / up
        gap1 = log_lo[1] - log_hi[1]
        gap2 = log_lo[2] - log_hi[2]
        order = mu + j + 1.0
        rise = _log((2.0 * order / z + inv_up, 2.0 / z + inv_up * gap1, inv_up * (gap2 + gap1 * gap1)))
        active = j < n
        return (
            tuple(jnp.where(active, x, y) for x, y in zip(log_hi, log_lo)),
            tuple(jnp.where(active, x, y) for x, y in zip(_add(log_hi, rise), log_hi)),
            jnp.where(active, 2.0 * order / z + inv_up, up),
            jnp.where(active, inv_up, down),
        )

    log_lo, _, up, down = lax.fori_loop(0, _MAX_STEPS, step, (log_lo, log_hi, up, down))
    return log_lo[0], log_lo[1], log_lo[2], up, down
