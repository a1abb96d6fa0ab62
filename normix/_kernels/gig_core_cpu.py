"""Scalar cores of the GIG kernels, numba (twin: ``gig_core_jax.py``).

Notation: GIG(p, a, b), w = sqrt(ab), s = sqrt(b/a), R_v = K_{v+1}(w)/K_v(w),
D_v = ∂/∂v log K_v(w), t(y) = (log y, 1/y, y), θ = (p - 1, -b/2, -a/2).

Reduction to p >= 0.  1/Y ~ GIG(-p, b, a), so every core works with v = |p| and
(a, b) swapped when p < 0, then maps back: η ← (-η₁, η₃, η₂) and the Fisher entries
(log, 1/y) and (log, y) swap with a sign change.  ψ is invariant under the swap.

First order (one Bessel evaluation, of order -v: R_{-v} = K_{v-1}/K_v directly):
    ψ = log 2 + log K_v(w) + (v/2) log(b/a)
    E log Y = log s + D_v,  E 1/Y = R_{-v}/s,  E Y = s R_{-v} + 2v/a   (= s R_v)
No term cancels: E 1/Y uses K_{v-1}/K_v instead of R_v/s - 2v/b.

Second order (no further evaluation: ∂²_v log K_v, D_{v-1} and K_{v-2}/K_{v-1} come from
the same pass at order v, ``log_kv_orders_scalar``).  With the Turán quantity
T_u = K_{u+2}K_u/K_{u+1}² - 1 (u >= -1; T_u = T_{-u-2} otherwise):
    Var log Y = ∂²_v log K_v,   Cov(log Y, 1/Y) = -E[1/Y] (D_v - D_{v-1}),
    Cov(log Y, Y) = E[Y] (D_{v+1} - D_v),
    Var 1/Y = E[1/Y]² T_{-v},   Var Y = E[Y]² T_v,   Cov(1/Y, Y) = -T_{v-1},
from E[Y^k] = s^k K_{v+k}/K_v and ∂/∂v of the moments.  D_{v+1} - D_v needs no third
evaluation: differentiating K_{v+1} = K_{v-1} + (2v/w) K_v (DLMF 10.29.1) in v gives
    D_{v+1} - D_v = (2 - w R_{-v} (D_v - D_{v-1})) / (w R_{-v} + 2v),
where at most a factor 2 cancels.  T_u = 1/R_u² + 2(u+1)/(w R_u) - 1 is a sum of
positive terms less 1; for large w, where it is O(1/w), it is taken from the Hankel
expansion (DLMF 10.40.2) as expm1 of a second difference of log(K_v e^w sqrt(2w/π)).

Limits.  b = 0 with v > 0 is Gamma(v, rate β = a/2), with E[Y^k] = Γ(v+k)/(Γ(v) β^k):
    ψ = log Γ(v) - v log β,  η = (ψ(v) - log β, β/(v-1), v/β),
    Var log Y = ψ'(v),  Cov(log Y, Y^k) = E[Y^k](ψ(v+k) - ψ(v)),
    Var 1/Y = β²/((v-1)²(v-2)),  Cov(1/Y, Y) = -1/(v-1),  Var Y = v/β²,
with +inf (or -inf) where the moment does not exist (v <= 1, or v <= 2 for Var 1/Y).
a = 0 with p < 0 is the mirror image, InverseGamma(-p, rate b/2).  Every other
boundary or invalid input gives NaN.

Reference: B. Jørgensen (1982), Statistical Properties of the Generalized Inverse
Gaussian Distribution, Lecture Notes in Statistics 9, Springer (moments, limits).
"""
import math

from normix._kernels._constants import (
    GIG_HANKEL_MIN_ARG,
    GIG_HANKEL_ORDER_RATIO,
    GIG_HANKEL_TERMS,
    LOG_2,
)
from normix._kernels._numba import scalar_core
from normix._kernels.bessel_cpu import log_kv_orders_scalar, log_kv_ratio_dv_scalar
from normix._kernels.digamma_cpu import digamma_scalar, trigamma_scalar


# ------------------------------------------------------------ Bessel quantities
@scalar_core
def _hankel_log_scaled(nu, w):
    """log(K_nu(w) e^w sqrt(2w/π)) = log(1 + Σ_k a_k(nu)/w^k), DLMF 10.40.2, GIG_HANKEL_TERMS terms."""
    mu = 4.0 * nu * nu
    term = 1.0
    total = 0.0
    for k in range(1, GIG_HANKEL_TERMS + 1):
        odd = 2.0 * k - 1.0
        term *= (mu - odd * odd) / (8.0 * k * w)
        total += term
    return math.log1p(total)


@scalar_core
def _turan(u, r, r_over_w, w):
    """T_u = K_{u+2}K_u/K_{u+1}² - 1 for u >= -1, from r = K_u/K_{u+1} (= 1/R_u) and r/w."""
    if w >= GIG_HANKEL_MIN_ARG and (u + 2.0) ** 2 <= GIG_HANKEL_ORDER_RATIO * w:
        second = _hankel_log_scaled(u + 2.0, w) + _hankel_log_scaled(u, w) - 2.0 * _hankel_log_scaled(u + 1.0, w)
        return math.expm1(second)
    return r * r + 2.0 * (u + 1.0) * r_over_w - 1.0


# ---------------------------------------------------------------- frame v >= 0
@scalar_core
def _frame(p, a, b):
    """(v, a', b', flip, kind): kind 0 regular, 1 Gamma limit (b' = 0), 2 outside the domain."""
    flip = p < 0.0
    v = -p if flip else p
    if flip:
        a, b = b, a
    kind = 0
    if not (math.isfinite(v) and a > 0.0 and a < math.inf and b >= 0.0 and b < math.inf):
        kind = 2
    elif b == 0.0:
        kind = 1 if v > 0.0 else 2
    return v, a, b, flip, kind


@scalar_core
def _gamma_first(v, a):
    beta = 0.5 * a
    log_beta = math.log(beta)
    e_inv = beta / (v - 1.0) if v > 1.0 else math.inf
    log_gamma = math.lgamma(v)
    psi_scale = abs(log_gamma) + abs(v * log_beta)
    return log_gamma - v * log_beta, psi_scale, digamma_scalar(v) - log_beta, e_inv, v / beta


@scalar_core
def _gamma_second(v, a):
    """Fisher entries of Gamma(v, rate a/2): Cov(log Y, Y^k) = E[Y^k](ψ(v+k) - ψ(v)), Var Y^k from E[Y^2k]."""
    beta = 0.5 * a
    h12 = -beta / (v - 1.0) ** 2 if v > 1.0 else -math.inf
    h22 = beta * beta / ((v - 1.0) ** 2 * (v - 2.0)) if v > 2.0 else math.inf
    h23 = -1.0 / (v - 1.0) if v > 1.0 else -math.inf
    return trigamma_scalar(v), h12, 1.0 / beta, h22, h23, v / (beta * beta)


@scalar_core
def _regular_first(v, a, b, with_second):
    """(ψ, scale of ψ's terms, E log Y, E 1/Y, E Y, R_{-v}, D_v, lower, w) in the frame v >= 0, a, b > 0.

    lower = (∂²_v log K_v, D_{1-v}, K_{2-v}/K_{1-v}), the Bessel quantities of the second
    order, come from the same Bessel evaluation as the rest (NaN unless ``with_second``).
    """
    sa = math.sqrt(a)
    sb = math.sqrt(b)
    w = sa * sb
    s = sb / sa
    if with_second:
        log_k, _, r_neg, d, d2, d_lo, r_lo = log_kv_orders_scalar(v, w)
        lower = (d2, -d_lo, r_lo)
    else:
        log_k, r_neg, d_neg = log_kv_ratio_dv_scalar(-v, w)
        d = -d_neg
        lower = (math.nan, math.nan, math.nan)
    log_s = math.log(sb) - math.log(sa)
    psi = LOG_2 + log_k + v * log_s
    psi_scale = LOG_2 + abs(log_k) + abs(v * log_s)
    return psi, psi_scale, log_s + d, r_neg / s, s * r_neg + 2.0 * v / a, r_neg, d, lower, w


@scalar_core
def _regular_second(v, w, e_inv, e_y, r_neg, d, lower):
    """Fisher entries (h11, h12, h13, h22, h23, h33) in the frame v >= 0 (module docstring)."""
    d2, d_down, r_down = lower
    gap_down = d + d_down
    gap_up = (2.0 - w * r_neg * gap_down) / (w * r_neg + 2.0 * v)
    t_v = _turan(v, 1.0 / (r_neg + 2.0 * v / w), 1.0 / (w * r_neg + 2.0 * v), w)
    if v >= 1.0:
        t_inv = _turan(v - 2.0, r_down, r_down / w, w)
    else:
        t_inv = _turan(-v, 1.0 / r_neg, 1.0 / (w * r_neg), w)
    t_cross = _turan(v - 1.0, r_neg, r_neg / w, w)
    return d2, -e_inv * gap_down, e_y * gap_up, e_inv * e_inv * t_inv, -t_cross, e_y * e_y * t_v


@scalar_core
def _unflip_eta(flip, e1, e2, e3):
    if flip:
        return -e1, e3, e2
    return e1, e2, e3


@scalar_core
def _unflip_fisher(flip, h11, h12, h13, h22, h23, h33):
    if flip:
        return h11, -h13, -h12, h33, h23, h22
    return h11, h12, h13, h22, h23, h33


@scalar_core
def _first_order(p, a, b, with_second):
    v, a, b, flip, kind = _frame(p, a, b)
    nan = math.nan
    if kind == 2:
        return nan, nan, nan, nan, nan, nan, nan, (nan, nan, nan), nan
    if kind == 1:
        psi, psi_scale, e1, e2, e3 = _gamma_first(v, a)
        r_neg, d, lower, w = nan, nan, (nan, nan, nan), 0.0
    else:
        psi, psi_scale, e1, e2, e3, r_neg, d, lower, w = _regular_first(v, a, b, with_second)
    e1, e2, e3 = _unflip_eta(flip, e1, e2, e3)
    return psi, psi_scale, e1, e2, e3, r_neg, d, lower, w


@scalar_core
def first_order_scalar(p, a, b):
    """(ψ, scale of ψ's terms, E log Y, E 1/Y, E Y, R_{-v}, D_v, w) of GIG(p, a, b).

    The scale (sum of the absolute values of the terms of ψ) bounds the rounding of ψ;
    the last three entries are quantities of the frame v = |p| that the second order reuses.
    """
    psi, psi_scale, e1, e2, e3, r_neg, d, _, w = _first_order(p, a, b, False)
    return psi, psi_scale, e1, e2, e3, r_neg, d, w


@scalar_core
def first_order_full_scalar(p, a, b):
    """:func:`first_order_scalar` with the Bessel quantities of the second order, from the same Bessel evaluation.

    (ψ, scale, E log Y, E 1/Y, E Y, R_{-v}, D_v, lower, w) with
    lower = (∂²_v log K_v, D_{1-v}, K_{2-v}/K_{1-v}) at w in the frame v = |p|:
    everything :func:`second_order_scalar` needs (one pass of
    :func:`normix._kernels.bessel_cpu.log_kv_orders_scalar` at order v).
    """
    return _first_order(p, a, b, True)


@scalar_core
def moments_scalar(p, a, b):
    """(E log Y, E 1/Y, E Y) of GIG(p, a, b)."""
    _, _, e1, e2, e3, _, _, _ = first_order_scalar(p, a, b)
    return e1, e2, e3


@scalar_core
def second_order_scalar(p, a, b, e2, e3, r_neg, d, lower, w):
    """Fisher entries (h11, h12, h13, h22, h23, h33) of GIG(p, a, b), given its first order (:func:`first_order_full_scalar`)."""
    v, a, b, flip, kind = _frame(p, a, b)
    if kind == 2:
        nan = math.nan
        return nan, nan, nan, nan, nan, nan
    if kind == 1:
        h = _gamma_second(v, a)
    else:
        e_inv, e_y = (e3, e2) if flip else (e2, e3)
        h = _regular_second(v, w, e_inv, e_y, r_neg, d, lower)
    return _unflip_fisher(flip, h[0], h[1], h[2], h[3], h[4], h[5])


@scalar_core
def fisher_scalar(p, a, b):
    """(h11, h12, h13, h22, h23, h33) of GIG(p, a, b)."""
    _, _, _, e2, e3, r_neg, d, lower, w = first_order_full_scalar(p, a, b)
    return second_order_scalar(p, a, b, e2, e3, r_neg, d, lower, w)
