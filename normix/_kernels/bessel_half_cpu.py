"""K_v(z) at half-integer orders in closed form, numba helpers of ``bessel_cpu``.

For v = n + 1/2, K_(1/2)(z) = K_(-1/2)(z) = sqrt(π/(2z)) e^(-z) (DLMF 10.39.2) and the
recurrence K_(m+1) = K_(m-1) + (2m/z) K_m (DLMF 10.29.1) give every ratio as a sum of
positive terms,

    up_m = K_(m+1)/K_m = down_m + 2m/z,   down_(m+1) = 1/up_m,   down_(1/2) = 1,

and log K_v = log K_(1/2) + Σ_m log up_m.  Differentiating the recurrence in the order,
D_m = ∂/∂m log K_m satisfies

    D_(m+1) = (D_(m-1) down_m + 2/z + (2m/z) D_m) / up_m,

from D_(±1/2) = ±e^(2z) E_1(2z) (DLMF 10.38.7).  Every term is positive from m = 3/2
on; the first step is (2 + D_(1/2)(1 - z)) / (1 + z) with D_(1/2)(z - 1) < 1/2, so
nothing cancels.  :func:`exp_e1` evaluates e^x E_1(x) to a few ulps
(see the EXP_E1_* constants).

The JAX twin keeps its quadrature and series at these orders, so that autodiff in v
straight through it stays exact; the two agree to rounding.  Nothing is exported
(``__all__`` is empty): ``bessel_cpu`` calls :func:`half_integer`.
"""
import math

from normix._kernels._constants import (
    EULER_GAMMA,
    EXP_E1_CF_MIN_ARG,
    EXP_E1_CF_TERMS,
    EXP_E1_CHEBYSHEV,
    EXP_E1_CHEBYSHEV_TERMS,
    EXP_E1_SERIES_MAX_ARG,
    EXP_E1_SERIES_TERMS,
    LOG_2,
    LOG_KV_HALF_MAX_ORDER,
    LOG_KV_MAX_ARG,
    LOG_KV_MIN_ARG,
    LOG_PI,
)
from normix._kernels._numba import scalar_core
from normix._kernels.bessel_series_cpu import times_ratio

__all__ = []


@scalar_core
def exp_e1(x):
    """e^x E_1(x) for 0 < x < inf: power series, Chebyshev pieces or continued fraction by the size of x."""
    if x < EXP_E1_SERIES_MAX_ARG:
        term = 1.0
        total = 0.0
        for k in range(1, EXP_E1_SERIES_TERMS + 1):
            term *= -x / k
            total += term / k
        return math.exp(x) * (-EULER_GAMMA - math.log(x) - total)
    if x < EXP_E1_CF_MIN_ARG:
        lo = EXP_E1_SERIES_MAX_ARG
        first = 0
        while x >= 2.0 * lo:
            lo *= 2.0
            first += EXP_E1_CHEBYSHEV_TERMS
        t = 2.0 * x / lo - 3.0
        b1 = 0.0
        b2 = 0.0
        for k in range(EXP_E1_CHEBYSHEV_TERMS - 1, 0, -1):
            b1, b2 = EXP_E1_CHEBYSHEV[first + k] + 2.0 * t * b1 - b2, b1
        return EXP_E1_CHEBYSHEV[first] + t * b1 - b2
    f = x + 2.0 * EXP_E1_CF_TERMS + 1.0
    for k in range(EXP_E1_CF_TERMS, 0, -1):
        f = x + (2.0 * k - 1.0) - (k * k) / f
    return 1.0 / f


@scalar_core
def is_half_integer(a, z):
    """Whether a >= 0 is n + 1/2 with n <= LOG_KV_HALF_MAX_ORDER and z is inside the documented domain."""
    n = a - 0.5
    return 0.0 <= n <= LOG_KV_HALF_MAX_ORDER and n == math.floor(n) and LOG_KV_MIN_ARG <= z <= LOG_KV_MAX_ARG


@scalar_core
def half_integer(a, z):
    """(log K_a, K_(a+1)/K_a, K_(a-1)/K_a, ∂_a log K_a) for a = n + 1/2 (:func:`is_half_integer`).

    The ratios K_(m+1)/K_m are accumulated by :func:`.bessel_series_cpu.times_ratio`, free of overflow.
    """
    two_over_z = 2.0 / z
    log_k = 0.5 * (LOG_PI - LOG_2 - math.log(z)) - z
    d = exp_e1(2.0 * z)
    d_prev = -d
    down = 1.0
    product = 1.0
    for j in range(int(a)):
        step = (j + 0.5) * two_over_z
        up = down + step
        inv_up = 1.0 / up
        d_prev, d = d, (d_prev * down + two_over_z) * inv_up + (step * inv_up) * d
        log_k, product = times_ratio(log_k, product, up)
        down = inv_up
    return log_k + math.log(product), down + a * two_over_z, down, d
