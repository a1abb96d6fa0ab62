"""Distribution function and quantiles of the univariate law of a mixture, numba twin (twin: ``univariate_cdf_jax.py``).

The law is R = m + g Y + s sqrt(Y) Z with Z ~ N(0, 1), s > 0 and Y ~ GIG(p, a, b)
(b = 0: Gamma, a = 0: InverseGamma), the d = 1 case of the mixture, and of every
linear combination wᵀX of one (DESIGN.md, section 8).  With x' = (x - m)/s, g' = g/s,
conditioning on Y gives

    F(x) = E_Y[Φ(z(Y))],   1 - F(x) = E_Y[Φ(-z(Y))],   z(y) = x' y^(-1/2) - g' y^(1/2).

With y = e^t and the GIG log-normaliser ψ(p, a, b) = log ∫ y^(p-1) exp(-(a y + b/y)/2) dy,

    log P = log ∫ exp(ℓ(t)) dt - ψ,   ℓ(t) = p t - (a e^t + b e^(-t))/2 + log Φ(σ z(e^t)),

σ = 1 for F and -1 for the survival function.  ℓ is smooth and, but for small bumps
where σz > 0, concave; its peak moves far out in t in the tails (where log Φ ≈ -z²/2 it
is the log-mode of the posterior GIG(p, a + g'², b + x'²)).  The integral is taken by
the trapezoid rule in t, which converges geometrically for integrands analytic in a
strip (here |Im t| < π/2) and decaying at both ends (Trefethen & Weideman 2014):

1. the peak t* of ℓ by safeguarded Newton on ℓ' (bracket kept from the signs of ℓ',
   steps at most ``UNIVARIATE_CDF_MAX_MOVE``), started from the better of the log-modes
   of the prior GIG(p, a, b) and of that posterior;
2. each end of the window where ℓ has dropped ``UNIVARIATE_CDF_WINDOW_DROP`` below ℓ(t*),
   by Newton on ℓ(t) = ℓ(t*) - drop: from inside, one step of a concave ℓ lands outside,
   and from outside the iterates come down on the root monotonically, each a safe end;
3. the step h from the curvature κ = -ℓ''(t*), 1/h² = 1/h_flat² + κ/h_peak², where κ is
   raised to x'g' when the window holds the root t₀ = log(x'/g') of z: there Φ(σz) is a
   step of width 1/sqrt(x'g') in t (z = -2 sqrt(x'g') sinh((t - t₀)/2)), and
   ceil(window/h) + 1 nodes (at most ``UNIVARIATE_CDF_MAX_NODES``), summed as
   exp(ℓ_j - ℓ(t*)) so nothing overflows however small P is.

Φ inside the loop is erfc (DLMF 7.2.2) down to u = ``UNIVARIATE_CDF_NDTR_ASYMPTOTIC`` and the
asymptotic series of DLMF 7.12.1 below, combined with e^(-u²/2) in one exponent.

Only the smaller side is integrated: with the centre x_c = m + g y_c (y_c the log-mode of
Y), F is integrated for x <= x_c and 1 - F for x > x_c, and the other side is
log(1 - P) of it (``log1mexp``; Mächler 2012).  F(x_c) lies between ~0.05 and ~0.95 for
every law, so both outputs keep their relative accuracy in both tails; this also avoids
the single-exponential tails in t that the side near 1 would have (Φ → 1 as y → 0).
Single-exponential tails remain where Φ → 1/2 (x near m with b = 0, g = 0 with a = 0):
their windows are 40/|p| long and need more nodes, up to the cap.

Quantiles solve log F(x) = log q (q < 1/2) or log(1 - F(x)) = log(1 - q) (q >= 1/2) by
Newton with the density as derivative, kept inside the bracket its residuals build
(bisection otherwise), in x, or in log|x - x_c| for the power-law tails of a = 0 (where the
step stays on the tail's side of x_c; a root across the centre is approached in x).  The
density is the d = 1 case of the mixture density (McNeil, Frey & Embrechts 2005):

    log f(x) = -½ log 2π - log s - ψ(p, a, b) + ψ(p - ½, a + g'², b + x'²) + x' g'.

Edge values: x = -inf gives log F = -inf and log sf = 0, x = +inf the reverse; ppf(0) =
-inf, ppf(1) = +inf; NaN in x or q, q outside [0, 1], or parameters outside the domain
(s > 0, m, g finite; a, b > 0, or b = 0 < a with p > 0, or a = 0 < b with p < 0) give NaN.

Sharp steps.  Where z has a root t0 = log(x'/g') and K = sqrt(x'g') >= UNIVARIATE_CDF_SPLIT_RATIO
(|ℓ_Y'(t0)| + 1) (ℓ_Y = ℓ without log Φ), Φ(σz) is a step of width 1/K at t0 that no uniform rule
in t affords.  With w = σz = 2K sinh(τ/2), τ = ±(t - t0) > 0 on the side where Φ(σz) → 1,

    ∫ e^ℓ dt = ∫_{τ>0} e^(ℓ_Y) dt + ∫_0^∞ Φ(-w) [g(-w) - g(w)] dw,   g(w) = e^(ℓ_Y(t(w))) dt/dw,

(subtract the Heaviside step, then fold the two halves of the remainder at w = 0).  Both pieces
are smooth on finite ranges and taken by Gauss-Legendre: the first in τ up to the drop of the
window (or up to the cut of a single-exponential side, e^(pt) integrated in closed form beyond), the second in w on [0, UNIVARIATE_CDF_SPLIT_W]; since ℓ_Y is concave, the ratio bound
keeps g(-w)/g(0) <= e^(W/4), so nothing is lost beyond W.  Nodes are placed in (τ, w) relative
to t0, so a step far below the resolution of t (K up to 1e150, the power-law tail of a = 0) is
still exact; on the side integrated, t0 lies beyond the mode of Y, so ℓ_Y decreases over the first
piece.  Where |ℓ(t*)| > UNIVARIATE_CDF_LAPLACE_LEVEL the window cannot be resolved in float64 and
log P is the Laplace value ℓ(t*) + ½ log(2π/κ) - ψ, far inside the 1e-10 relative accuracy of log P.

Single-exponential tails.  Where Φ(σz) tends to 1/2 or 1 at an end of t and the subordinator's
factor decays only as e^(pt) there (b = 0 as t -> -inf, a = 0 as t -> +inf), the window would be
40/|p| long.  Beyond a cut where exp(ℓ) is c e^(pt) to 1e-17 relative (``_tail_cut``), the
trapezoid lattice continues as a geometric series, summed in closed form: e^(ℓ(t_c)) r/(1 - r),
r = e^(-|p| h).  The lattice sum stays that of the whole line, so the rule keeps its geometric
convergence for every p.

Limits.  |x - m| above ~1e150 s overflows x'² in the peak's first guess (finite but inaccurate
values).

References: L. N. Trefethen, J. A. C. Weideman (2014), The exponentially convergent
trapezoidal rule, SIAM Review 56(3), 385-458; M. Mächler (2012), Accurately computing
log(1 - exp(-|a|)), Rmpfr vignette; A. J. McNeil, R. Frey, P. Embrechts (2005),
Quantitative Risk Management, Sect. 3.2; Gauss-Legendre: DLMF 3.5(v).
"""
import math

import numpy as np

from normix._kernels._constants import (
    HALF_LOG_2PI,
    LOG_2,
    UNIVARIATE_CDF_END_SLACK,
    UNIVARIATE_CDF_END_STEPS,
    UNIVARIATE_CDF_MAX_LOG_Y,
    UNIVARIATE_CDF_MAX_MOVE,
    UNIVARIATE_CDF_MAX_NODES,
    UNIVARIATE_CDF_NDTR_ASYMPTOTIC,
    UNIVARIATE_CDF_NDTR_TERMS,
    UNIVARIATE_CDF_PARTS,
    UNIVARIATE_CDF_PEAK_STEPS,
    UNIVARIATE_CDF_PEAK_TOL,
    UNIVARIATE_CDF_SERIAL_MAX_SIZE,
    UNIVARIATE_CDF_STEP_FLAT,
    UNIVARIATE_CDF_STEP_PEAK,
    UNIVARIATE_CDF_TAIL_EPS,
    UNIVARIATE_CDF_TAIL_Z,
    UNIVARIATE_CDF_WINDOW_DROP,
    UNIVARIATE_CDF_GL_FAR,
    UNIVARIATE_CDF_GL_NEAR,
    UNIVARIATE_CDF_LAPLACE_LEVEL,
    UNIVARIATE_CDF_SPLIT_RATIO,
    UNIVARIATE_CDF_SPLIT_W,
    UNIVARIATE_PPF_MAX_STEPS,
    UNIVARIATE_PPF_QUADRATIC_STEP,
    UNIVARIATE_PPF_RTOL,
    UNIVARIATE_PPF_TABLE_MIN_SIZE,
    UNIVARIATE_PPF_TABLE_STEP,
)
from normix._kernels._numba import array_kernel, prange, scalar_core
from normix._kernels.gig_core_cpu import first_order_scalar

__all__ = ["univariate_logcdf", "univariate_logsf", "univariate_ppf", "univariate_isf"]

_SQRT_HALF = math.sqrt(0.5)
# Where ℓ'' >= 0 the window's first guess reaches this far from the peak.
_REACH_MAX = 4.0 * UNIVARIATE_CDF_MAX_MOVE
# Gauss-Legendre nodes and weights on [-1, 1] of the two pieces of a sharp step.
_GL_NEAR_X, _GL_NEAR_W = np.polynomial.legendre.leggauss(UNIVARIATE_CDF_GL_NEAR)
_GL_FAR_X, _GL_FAR_W = np.polynomial.legendre.leggauss(UNIVARIATE_CDF_GL_FAR)
_LOG_2PI = math.log(2.0 * math.pi)


# ------------------------------------------------------------------ normal cdf
@scalar_core
def _ndtr_series(u):
    """(S, T) with S = Σ_k (-1)^k (2k-1)!! u^(-2k) = 1 - T/u², k < UNIVARIATE_CDF_NDTR_TERMS: Φ(u) = φ(u) S/(-u), u << 0."""
    r = 1.0 / (u * u)
    inner = 1.0
    for k in range(UNIVARIATE_CDF_NDTR_TERMS - 1, 1, -1):
        inner = 1.0 - (2.0 * k - 1.0) * r * inner
    return 1.0 - r * inner, inner


@scalar_core
def _log_ndtr(u):
    """(log Φ(u), M, u + M) with M = φ(u)/Φ(u); u + M = T/(-u S) from the series where u << 0 (no cancellation)."""
    if u < UNIVARIATE_CDF_NDTR_ASYMPTOTIC:
        series, inner = _ndtr_series(u)
        return -0.5 * u * u - math.log(-u) - HALF_LOG_2PI + math.log(series), -u / series, -inner / (u * series)
    if u > 0.0:
        log_phi = math.log1p(-0.5 * math.erfc(u * _SQRT_HALF))
    else:
        log_phi = math.log(0.5 * math.erfc(-u * _SQRT_HALF))
    mills = math.exp(-0.5 * u * u - HALF_LOG_2PI - log_phi)
    return log_phi, mills, u + mills


@scalar_core
def _log1mexp(v):
    """log(1 - e^v) for v <= 0 (Mächler 2012)."""
    if v > -LOG_2:
        return math.log(-math.expm1(v))
    return math.log1p(-math.exp(v))


# ------------------------------------------------------------- the integrand
@scalar_core
def _log_mode(p, a, b):
    """log of the mode of e^(pt - (a e^t + b e^-t)/2) in y = e^t, the root of a y² - 2p y - b = 0."""
    root = math.sqrt(p * p + a * b)
    y = (p + root) / a if p > 0.0 else b / (root - p)
    return min(max(math.log(y), -UNIVARIATE_CDF_MAX_LOG_Y), UNIVARIATE_CDF_MAX_LOG_Y)


@scalar_core
def _ell(t, xs, gs, p, a, b, sigma):
    """(ℓ(t), ℓ'(t), ℓ''(t)) of the log-integrand (module docstring; ψ left out)."""
    r = math.exp(0.5 * t)
    ri = 1.0 / r
    u = sigma * (xs * ri - gs * r)
    du = -0.5 * sigma * (xs * ri + gs * r)
    ay = 0.5 * a * r * r
    by = 0.5 * b * ri * ri
    log_phi, mills, u_plus_mills = _log_ndtr(u)
    value = p * t - ay - by + log_phi
    slope = p - ay + by + mills * du
    curvature = -ay - by - mills * u_plus_mills * du * du + 0.25 * mills * u
    return value, slope, curvature


@scalar_core
def _peak(xs, gs, p, a, b, sigma):
    """(t*, ℓ(t*), ℓ''(t*)): safeguarded Newton on ℓ' from the better of the prior and posterior log-modes."""
    t = _log_mode(p, a, b)
    t_post = _log_mode(p, a + gs * gs, b + xs * xs)
    if _ell(t_post, xs, gs, p, a, b, sigma)[0] > _ell(t, xs, gs, p, a, b, sigma)[0]:
        t = t_post
    lo = -UNIVARIATE_CDF_MAX_LOG_Y
    hi = UNIVARIATE_CDF_MAX_LOG_Y
    value, slope, curvature = _ell(t, xs, gs, p, a, b, sigma)
    for _ in range(UNIVARIATE_CDF_PEAK_STEPS):
        if slope > 0.0:
            lo = t
        else:
            hi = t
        step = -slope / curvature if curvature < 0.0 else math.copysign(UNIVARIATE_CDF_MAX_MOVE, slope)
        step = min(max(step, -UNIVARIATE_CDF_MAX_MOVE), UNIVARIATE_CDF_MAX_MOVE)
        if abs(step) < UNIVARIATE_CDF_PEAK_TOL:
            break
        t = t + step if lo < t + step < hi else 0.5 * (lo + hi)
        value, slope, curvature = _ell(t, xs, gs, p, a, b, sigma)
    return t, value, curvature


@scalar_core
def _end(t_peak, level, reach, direction, xs, gs, p, a, b, sigma):
    """An end of the window on the side ``direction`` (±1) of the peak where ℓ <= level (module docstring).

    Keeps the bracket (inner, safe): ℓ > level at inner, ℓ <= level at safe.  Above the level,
    Newton (or a step of ``reach``) moves outwards, halving back towards a known safe point;
    below it by more than UNIVARIATE_CDF_END_SLACK, Newton moves inwards while it shrinks the
    bracket by at least an eighth, bisection otherwise (a double-exponential wall, where Newton
    crawls one unit per step).
    """
    limit = direction * UNIVARIATE_CDF_MAX_LOG_Y
    safe = limit
    inner = t_peak
    t = t_peak + direction * reach
    for _ in range(UNIVARIATE_CDF_END_STEPS):
        if direction * (t - limit) >= 0.0:
            break
        value, slope, _ = _ell(t, xs, gs, p, a, b, sigma)
        gap = value - level
        if gap <= 0.0:
            if direction * (t - safe) < 0.0:
                safe = t
            if gap > -UNIVARIATE_CDF_END_SLACK:
                break
            width = direction * (safe - inner)
            new = t - gap / slope if direction * slope < 0.0 else math.nan
            if not (0.125 * width <= direction * (new - inner) <= 0.875 * width):
                new = 0.5 * (inner + safe)
        else:
            if direction * (t - inner) > 0.0:
                inner = t
            new = t - gap / slope if direction * slope < 0.0 else t + direction * reach
            if direction * (new - t_peak) <= 0.0:
                new = 0.5 * (t + t_peak)
            if safe != limit and direction * (new - safe) >= 0.0:
                new = 0.5 * (inner + safe)
        t = new
    return safe


@scalar_core
def _ell_y(t, p, a, b):
    """(ℓ_Y, ℓ_Y', ℓ_Y'') of the subordinator alone, p t - (a e^t + b e^-t)/2; a zero a or b adds nothing (no 0 * inf)."""
    ay = 0.5 * a * math.exp(t) if a > 0.0 else 0.0
    by = 0.5 * b * math.exp(-t) if b > 0.0 else 0.0
    return p * t - ay - by, p - ay + by, -ay - by


@scalar_core
def _subordinator_cut(p, a, b, direction):
    """t beyond which (side ``direction``) exp(ℓ_Y) is e^(pt) to UNIVARIATE_CDF_TAIL_EPS: b = 0 towards -inf, a = 0 towards +inf; ±inf otherwise."""
    if direction < 0.0 and b == 0.0:
        return math.log(2.0 * UNIVARIATE_CDF_TAIL_EPS / a)
    if direction > 0.0 and a == 0.0:
        return math.log(b / (2.0 * UNIVARIATE_CDF_TAIL_EPS))
    return direction * math.inf


@scalar_core
def _split_integral(xs, gs, p, a, b, sigma):
    """(done, log ∫ exp(ℓ(t)) dt) by the split at the step t0 (module docstring, "Sharp steps"); done False where it does not apply."""
    k = math.exp(0.5 * (math.log(abs(xs)) + math.log(abs(gs))))
    t0 = math.log(abs(xs)) - math.log(abs(gs))
    direction = -sigma if gs > 0.0 else sigma
    top, slope, curvature = _ell_y(t0, p, a, b)
    if not (k >= UNIVARIATE_CDF_SPLIT_RATIO * (abs(slope) + 1.0)) or not math.isfinite(top):
        return False, 0.0
    # the far end: ℓ_Y(t0 + direction τ) = top - drop, bracketed Newton (ℓ_Y is concave)
    drop = UNIVARIATE_CDF_WINDOW_DROP
    along = direction * slope
    tau = drop / -along if along < -1e-3 else math.sqrt(2.0 * drop / max(-curvature, 1e-3))
    lo = 0.0
    hi = math.inf
    for _ in range(4 * UNIVARIATE_CDF_END_STEPS):
        value, d1, _ = _ell_y(t0 + direction * tau, p, a, b)
        gap = value - top + drop
        if gap > 0.0:
            lo = tau
        else:
            hi = tau
            if gap > -UNIVARIATE_CDF_END_SLACK:
                break
        d1 = direction * d1
        new = tau - gap / d1 if (d1 < 0.0 and math.isfinite(gap)) else math.nan
        if hi == math.inf:
            if not new > lo:
                new = 2.0 * tau
        elif not lo + 0.125 * (hi - lo) < new < hi - 0.125 * (hi - lo):
            new = 0.5 * (lo + hi)
        tau = new
    tau_end = hi if hi < math.inf else tau
    # a single-exponential far side (e^(pt) beyond its cut) is integrated in closed form there
    tau_cut = direction * (_subordinator_cut(p, a, b, direction) - t0)
    exponential_tail = 0.0
    if tau_cut < tau_end:
        tau_end = max(tau_cut, 0.0)
        exponential_tail = math.exp(_ell_y(t0 + direction * tau_end, p, a, b)[0] - top) / abs(p)
    half = 0.5 * tau_end
    far = 0.0
    for i in range(UNIVARIATE_CDF_GL_FAR):
        far += _GL_FAR_W[i] * math.exp(_ell_y(t0 + direction * half * (1.0 + _GL_FAR_X[i]), p, a, b)[0] - top)
    far = far * half + exponential_tail
    # the step's correction ∫_0^W Φ(-w) [g(-w) - g(w)] dw, g(w) = exp(ℓ_Y(t(w))) dt/dw, τ(w) = 2 asinh(w / 2K)
    half_w = 0.5 * UNIVARIATE_CDF_SPLIT_W
    near = 0.0
    for i in range(UNIVARIATE_CDF_GL_NEAR):
        w = half_w * (1.0 + _GL_NEAR_X[i])
        c = 0.5 * w / k
        tau = 2.0 * math.asinh(c)
        jac = 1.0 / (k * math.sqrt(1.0 + c * c))
        dead = math.exp(_ell_y(t0 - direction * tau, p, a, b)[0] - top)
        alive = math.exp(_ell_y(t0 + direction * tau, p, a, b)[0] - top)
        near += _GL_NEAR_W[i] * 0.5 * math.erfc(w * _SQRT_HALF) * (dead - alive) * jac
    near *= half_w
    return True, top + math.log(far + near)


@scalar_core
def _tail_cut(xs, gs, p, a, b, sigma, direction):
    """Where the side ``direction`` (±1) of exp(ℓ) becomes c e^(pt) to UNIVARIATE_CDF_TAIL_EPS; ±inf (its own side) if it decays faster.

    Towards t -> -inf (Gamma, b = 0): a e^t/2 <= ε, and Φ(σz) at its limit: Φ(-σg'√y) -> 1/2
    (x' = 0) within |g'|√y φ(0) <= ε, or Φ -> 1 (σx' > 0) once √y <= |x'|/Z and g'²y <= 1, so
    σz >= Z - 1.  Towards t -> +inf (InverseGamma, a = 0) the same with (x', e^(-t)) and
    (g', e^t) exchanged.  Where Φ(σz) -> 0 the tail is double-exponential: no cut.
    """
    if direction < 0.0:
        if b != 0.0 or sigma * xs < 0.0:
            return -math.inf
        near, far = xs, gs
    else:
        if a != 0.0 or sigma * gs > 0.0:
            return math.inf
        near, far = -gs, -xs
    # in the variable w = direction * t (the tail at w -> +inf), e^(-w) plays y (or 1/y)
    w = direction * _subordinator_cut(p, a, b, direction)
    if near == 0.0:
        if far != 0.0:
            w = max(w, -2.0 * math.log(UNIVARIATE_CDF_TAIL_EPS * math.sqrt(2.0 * math.pi) / abs(far)))
    else:
        w = max(w, -2.0 * math.log(abs(near) / UNIVARIATE_CDF_TAIL_Z), 2.0 * math.log(max(abs(far), 1e-300)))
    return direction * w


@scalar_core
def _geometric_tail(t, xs, gs, p, a, b, sigma, top, h):
    """Σ_{k>=1} exp(ℓ(t ± k h) - top) beyond a cut where exp(ℓ) = c e^(pt): e^(ℓ(t) - top) r/(1 - r), r = e^(-|p| h)."""
    rate = abs(p) * h
    return math.exp(_ell(t, xs, gs, p, a, b, sigma)[0] - top - rate) / -math.expm1(-rate)


@scalar_core
def _log_integral(xs, gs, p, a, b, sigma):
    """log ∫ exp(ℓ(t)) dt by the trapezoid rule on the window of the peak (module docstring)."""
    if (xs > 0.0 and gs > 0.0) or (xs < 0.0 and gs < 0.0):
        done, value = _split_integral(xs, gs, p, a, b, sigma)
        if done:
            return value
    t_peak, top, curvature = _peak(xs, gs, p, a, b, sigma)
    kappa = max(-curvature, 0.0)
    if abs(top) > UNIVARIATE_CDF_LAPLACE_LEVEL:
        return top + 0.5 * (_LOG_2PI - math.log(max(kappa, 1e-300)))
    reach = _REACH_MAX
    if kappa * _REACH_MAX * _REACH_MAX > 2.0 * UNIVARIATE_CDF_WINDOW_DROP:
        reach = math.sqrt(2.0 * UNIVARIATE_CDF_WINDOW_DROP / kappa)
    level = top - UNIVARIATE_CDF_WINDOW_DROP
    t_lo = _end(t_peak, level, reach, -1.0, xs, gs, p, a, b, sigma)
    t_hi = _end(t_peak, level, reach, 1.0, xs, gs, p, a, b, sigma)
    if xs * gs > 0.0 and t_lo < math.log(xs / gs) < t_hi:
        kappa = max(kappa, xs * gs)
    cut_lo = _tail_cut(xs, gs, p, a, b, sigma, -1.0)
    cut_hi = _tail_cut(xs, gs, p, a, b, sigma, 1.0)
    tail_lo = cut_lo > t_lo
    tail_hi = cut_hi < t_hi
    if tail_lo:
        t_lo = min(cut_lo, t_peak)
    if tail_hi:
        t_hi = max(cut_hi, t_peak)
    h = 1.0 / math.sqrt(1.0 / UNIVARIATE_CDF_STEP_FLAT**2 + kappa / UNIVARIATE_CDF_STEP_PEAK**2)
    n = max(min(int(math.ceil((t_hi - t_lo) / h)) + 1, UNIVARIATE_CDF_MAX_NODES), 2)
    h = (t_hi - t_lo) / (n - 1)
    total = 0.0
    if tail_lo:
        total += _geometric_tail(t_lo, xs, gs, p, a, b, sigma, top, h)
    if tail_hi:
        total += _geometric_tail(t_hi, xs, gs, p, a, b, sigma, top, h)
    for k in range(n):
        t = t_lo + k * h
        r = math.exp(0.5 * t)
        ri = 1.0 / r
        u = sigma * (xs * ri - gs * r)
        e = p * t - 0.5 * (a * r * r + b * ri * ri) - top
        if u >= UNIVARIATE_CDF_NDTR_ASYMPTOTIC:
            total += math.exp(e) * 0.5 * math.erfc(-u * _SQRT_HALF)
        else:
            total += math.exp(e - 0.5 * u * u - HALF_LOG_2PI) * _ndtr_series(u)[0] / -u
    return top + math.log(h * total)


# ------------------------------------------------------------------ the law
@scalar_core
def _valid(m, g, s, p, a, b):
    """Whether (m, g, s, p, a, b) is a law: GIG (a, b > 0), Gamma (b = 0 < a, p > 0) or InverseGamma (a = 0 < b, p < 0)."""
    if not (math.isfinite(m) and math.isfinite(g) and math.isfinite(p) and 0.0 < s < math.inf):
        return False
    if not (0.0 <= a < math.inf and 0.0 <= b < math.inf):
        return False
    return (a > 0.0 and b > 0.0) or (b == 0.0 and a > 0.0 and p > 0.0) or (a == 0.0 and b > 0.0 and p < 0.0)


@scalar_core
def _log_side(x, m, g, s, p, a, b, psi, upper):
    """log P(R <= x) (``upper`` False) or log P(R > x), integrated directly; x finite, parameters valid."""
    return _log_integral((x - m) / s, g / s, p, a, b, -1.0 if upper else 1.0) - psi


@scalar_core
def _centre(m, g, p, a, b):
    """(x_c, y_c): the centre m + g y_c that picks the side to integrate, y_c the log-mode of Y."""
    y_c = math.exp(_log_mode(p, a, b))
    return m + g * y_c, y_c


@scalar_core
def log_tail_scalar(x, m, g, s, p, a, b, psi, upper):
    """log P(R <= x) (``upper`` False) or log P(R > x) (``upper`` True); psi = ψ(p, a, b)."""
    if math.isnan(x) or not _valid(m, g, s, p, a, b):
        return math.nan
    if math.isinf(x):
        return (-math.inf if upper else 0.0) if x > 0.0 else (0.0 if upper else -math.inf)
    direct_upper = x > _centre(m, g, p, a, b)[0]
    value = _log_side(x, m, g, s, p, a, b, psi, direct_upper)
    if direct_upper == upper:
        return value
    return _log1mexp(min(value, 0.0))


@scalar_core
def log_density_scalar(x, m, g, s, p, a, b, psi):
    """log f(x) of R, the d = 1 mixture density (module docstring); +inf at x = m for b = 0 with p <= 1/2."""
    xs = (x - m) / s
    gs = g / s
    beta = b + xs * xs
    if beta == 0.0 and p <= 0.5:
        return math.inf
    return -HALF_LOG_2PI - math.log(s) - psi + first_order_scalar(p - 0.5, a + gs * gs, beta)[0] + xs * gs


@scalar_core
def _spread(s, g, y_c):
    """The scale s √y_c + |g| y_c of R around its centre: first steps of the quantile search, unit of the table."""
    return s * math.sqrt(y_c) + abs(g) * y_c


@scalar_core
def quantile_scalar(log_q, upper, m, g, s, p, a, b, psi, start):
    """x with log P(R <= x) = log_q (``upper`` False) or log P(R > x) = log_q; log_q < 0 finite, parameters valid.

    ``start`` is the first iterate (NaN: x_c ∓ scale √(-2 log_q), a normal tail's guess).
    """
    x_c, y_c = _centre(m, g, p, a, b)
    scale = _spread(s, g, y_c)
    toward = 1.0 if upper else -1.0
    x = start if math.isfinite(start) else x_c + toward * scale * math.sqrt(-2.0 * log_q)
    lo = -math.inf
    hi = math.inf
    for _ in range(UNIVARIATE_PPF_MAX_STEPS):
        value = _log_side(x, m, g, s, p, a, b, psi, upper)
        residual = value - log_q
        if residual == 0.0:
            return x
        if (residual < 0.0) != upper:
            lo = x
        else:
            hi = x
        slope = -toward * math.exp(log_density_scalar(x, m, g, s, p, a, b, psi) - value)
        step = -residual / slope
        gap = x - x_c
        if a == 0.0 and gap * toward > 0.0 and (gap + step) * toward > 0.0:
            new = x_c + gap * math.exp(step / gap)
        else:
            new = x + step
        if not lo < new < hi:
            if math.isfinite(lo) and math.isfinite(hi):
                new = 0.5 * (lo + hi)
            elif math.isfinite(hi):
                new = hi - max(scale, 2.0 * abs(hi - x_c))
            else:
                new = lo + max(scale, 2.0 * abs(lo - x_c))
        if abs(new - x) <= UNIVARIATE_PPF_RTOL * abs(new):
            return new
        if abs(new - x) <= UNIVARIATE_PPF_QUADRATIC_STEP * abs(new) and lo < new < hi and new == x + step:
            return new
        x = new
    return x


@scalar_core
def _quantile_side(q, survival):
    """(log P, upper) of the side solved for ppf(q) (``survival`` False) or isf(q): the smaller probability."""
    if q < 0.5:
        return math.log(q), survival
    return math.log1p(-q), not survival


@scalar_core
def _quantile_of(q, m, g, s, p, a, b, psi, survival):
    """ppf(q) (``survival`` False) or isf(q): the tail of the smaller probability, q < 1/2 or 1 - q < 1/2."""
    if math.isnan(q) or q < 0.0 or q > 1.0 or not _valid(m, g, s, p, a, b):
        return math.nan
    if q == 0.0 or q == 1.0:
        return math.inf if (q == 1.0) != survival else -math.inf
    log_q, upper = _quantile_side(q, survival)
    return quantile_scalar(log_q, upper, m, g, s, p, a, b, psi, math.nan)


# ------------------------------------------------------------- array kernels
@array_kernel(UNIVARIATE_CDF_SERIAL_MAX_SIZE)
def _kernel(what, v, m, g, s, p, a, b, out):
    """out[i] for what 0: log F, 1: log sf, 2: ppf, 3: isf; ψ reused while (p, a, b) repeats within a part."""
    n = v.size
    parts = min(n, UNIVARIATE_CDF_PARTS)
    for k in prange(parts):
        last_p = math.nan
        last_a = math.nan
        last_b = math.nan
        psi = math.nan
        for i in range(k * n // parts, (k + 1) * n // parts):
            if p[i] != last_p or a[i] != last_a or b[i] != last_b:
                last_p, last_a, last_b = p[i], a[i], b[i]
                psi = first_order_scalar(last_p, last_a, last_b)[0]
            if what < 2:
                out[i] = log_tail_scalar(v[i], m[i], g[i], s[i], p[i], a[i], b[i], psi, what == 1)
            else:
                out[i] = _quantile_of(v[i], m[i], g[i], s[i], p[i], a[i], b[i], psi, what == 3)


@array_kernel(UNIVARIATE_CDF_SERIAL_MAX_SIZE)
def _table_nodes_kernel(log_q, upper, m, g, s, p, a, b, y, slope):
    """y = asinh((x - x_c)/scale) at the quantiles x solving log P = log_q[j] on the side upper[j], and dy/ds, s = log(-log_q)."""
    psi = first_order_scalar(p, a, b)[0]
    x_c, y_c = _centre(m, g, p, a, b)
    scale = _spread(s, g, y_c)
    for j in prange(log_q.size):
        x = quantile_scalar(log_q[j], upper[j], m, g, s, p, a, b, psi, math.nan)
        u = (x - x_c) / scale
        y[j] = math.asinh(u)
        dx_dlog_q = math.exp(log_q[j] - log_density_scalar(x, m, g, s, p, a, b, psi))
        if upper[j]:
            dx_dlog_q = -dx_dlog_q
        slope[j] = dx_dlog_q * log_q[j] / (scale * math.sqrt(1.0 + u * u))


@array_kernel(UNIVARIATE_CDF_SERIAL_MAX_SIZE)
def _table_kernel(survival, q, m, g, s, p, a, b, s_first, lower_y, lower_slope, upper_y, upper_slope, out):
    """ppf (``survival`` False) or isf of one law at every q, each Newton iteration started from the table's value."""
    psi = first_order_scalar(p, a, b)[0]
    x_c, y_c = _centre(m, g, p, a, b)
    scale = _spread(s, g, y_c)
    n = q.size
    parts = min(n, UNIVARIATE_CDF_PARTS)
    for k in prange(parts):
        for i in range(k * n // parts, (k + 1) * n // parts):
            v = q[i]
            if math.isnan(v) or v <= 0.0 or v >= 1.0:
                out[i] = _quantile_of(v, m, g, s, p, a, b, psi, survival)
                continue
            log_q, upper = _quantile_side(v, survival)
            nodes_y = upper_y if upper else lower_y
            nodes_slope = upper_slope if upper else lower_slope
            first = s_first[1] if upper else s_first[0]
            where = (math.log(-log_q) - first) / UNIVARIATE_PPF_TABLE_STEP
            j = min(max(int(where), 0), nodes_y.size - 2)
            t = where - j
            h = UNIVARIATE_PPF_TABLE_STEP
            y0, y1, d0, d1 = nodes_y[j], nodes_y[j + 1], nodes_slope[j] * h, nodes_slope[j + 1] * h
            t2 = t * t
            t3 = t2 * t
            y = (2 * t3 - 3 * t2 + 1) * y0 + (t3 - 2 * t2 + t) * d0 + (-2 * t3 + 3 * t2) * y1 + (t3 - t2) * d1
            out[i] = quantile_scalar(log_q, upper, m, g, s, p, a, b, psi, x_c + scale * math.sinh(y))


def _table_side(log_q, upper, law):
    """(first s, y nodes, slopes) of one side's table over the s = log(-log_q) range of ``log_q`` (1-D, may be empty)."""
    if log_q.size == 0:
        return 0.0, np.zeros(2), np.zeros(2)
    s_values = np.log(-log_q)
    first = float(s_values.min())
    count = max(int(math.ceil((float(s_values.max()) - first) / UNIVARIATE_PPF_TABLE_STEP)) + 1, 2)
    nodes = -np.exp(first + UNIVARIATE_PPF_TABLE_STEP * np.arange(count))
    y = np.empty(count)
    slope = np.empty(count)
    _table_nodes_kernel.run(count, nodes, np.full(count, upper), *law, y, slope)
    return first, y, slope


def _quantiles_by_table(survival, q, law):
    """ppf or isf of one law (``law`` six floats) at the 1-D probabilities ``q``, started from a table per side."""
    inside = q[(q > 0.0) & (q < 1.0)]
    small = inside < 0.5
    log_small = np.log(inside[small])
    log_large = np.log1p(-inside[~small])
    # the side solved is the upper one for small q of isf and large q of ppf
    lower_logs, upper_logs = (log_large, log_small) if survival else (log_small, log_large)
    lower_first, lower_y, lower_slope = _table_side(lower_logs, False, law)
    upper_first, upper_y, upper_slope = _table_side(upper_logs, True, law)
    out = np.empty(q.size)
    _table_kernel.run(q.size, survival, q, *law, np.array([lower_first, upper_first]), lower_y, lower_slope,
                      upper_y, upper_slope, out)
    return out


def _single_law(law):
    """The six parameters as floats when each is one value and they form a valid law, else None."""
    if any(np.size(z) != 1 for z in law):
        return None
    values = tuple(float(np.asarray(z, dtype=np.float64).reshape(())) for z in law)
    return values if _valid(*values) else None


def _apply(what, v, m, g, s, p, a, b):
    """The kernel over the broadcast of the arguments, run with the axes along which the law is constant last.

    With that order consecutive elements share (p, a, b), so ψ is computed once per law and
    part (K laws at n points each: K evaluations of ψ, not n K).
    """
    arrays = np.broadcast_arrays(*(np.asarray(z, dtype=np.float64) for z in (v, m, g, s, p, a, b)))
    shape = arrays[0].shape
    law_constant = [k for k in range(len(shape)) if all(z.strides[k] == 0 for z in arrays[1:])]
    order = [k for k in range(len(shape)) if k not in law_constant] + law_constant
    # fresh C-ordered copies: numba reads the flags of broadcast views with a FutureWarning
    flat = [np.array(np.transpose(z, order), order="C").ravel() for z in arrays]
    out = np.empty(flat[0].size)
    _kernel.run(out.size, what, *flat, out)
    return np.transpose(out.reshape([shape[k] for k in order]), np.argsort(order))


def univariate_logcdf(x, m, g, s, p, a, b):
    """log P(R <= x) for R = m + g Y + s sqrt(Y) Z, Y ~ GIG(p, a, b), elementwise over the broadcast (float64).

    Relative accuracy ~1e-13 in both tails and at every size of the result (module
    docstring); a = 0 or b = 0 are the InverseGamma and Gamma limits.  Twin of
    :func:`normix._kernels.univariate_cdf_jax.univariate_logcdf`.
    """
    return _apply(0, x, m, g, s, p, a, b)


def univariate_logsf(x, m, g, s, p, a, b):
    """log P(R > x), integrated directly where it is the smaller side (not log(1 - F)); as :func:`univariate_logcdf`."""
    return _apply(1, x, m, g, s, p, a, b)


def _quantiles(survival, q, law):
    """ppf (``survival`` False) or isf: by the table when one law meets many probabilities, else element by element."""
    single = _single_law(law)
    q = np.asarray(q, dtype=np.float64)
    if single is None or q.size < UNIVARIATE_PPF_TABLE_MIN_SIZE:
        return _apply(3 if survival else 2, q, *law)
    return _quantiles_by_table(survival, np.ascontiguousarray(q).ravel(), single).reshape(q.shape)


def univariate_ppf(q, m, g, s, p, a, b):
    """The quantile x with P(R <= x) = q; q < 1/2 solves log F = log q, q >= 1/2 log sf = log(1 - q)."""
    return _quantiles(False, q, (m, g, s, p, a, b))


def univariate_isf(q, m, g, s, p, a, b):
    """The x with P(R > x) = q; q < 1/2 solves log sf = log q, q >= 1/2 log F = log(1 - q)."""
    return _quantiles(True, q, (m, g, s, p, a, b))
