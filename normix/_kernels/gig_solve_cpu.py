"""Scalar Newton solver of the GIG inverse map η → θ, numba (twin: ``gig_solve_jax.py``).

Given η = (E log Y, E 1/Y, E Y), find GIG(p, a, b) with ∇ψ(θ) = η by minimising the
convex dual f(θ) = ψ(θ) - θ·η (its gradient is η(θ) - η, its Hessian the Fisher
information, :mod:`normix._kernels.gig_core_cpu`).

Rescaling.  With s = sqrt(η₂/η₃), Z = sY has η̃ = (η₁ + log s, m, m), m = sqrt(η₂η₃),
and Z ~ GIG(p, a/s, b s).  The solve runs on (p, ã, b̃) and returns a = ã s, b = b̃/s:
E Z = E 1/Z puts the two scale parameters on the same footing, so the Hessian no
longer carries the factor (a/b)^±1 that makes the original problem ill-conditioned by
up to 1e30 for extreme a/b.

Domain.  η is valid when it is finite with E[1/Y] E[Y] > 1 and
-log E[1/Y] < E log Y < log E[Y] (Jensen); in the rescaled form m > 1 and
|η̃₁| < log m.  Otherwise the result is NaN, not converged, 0 steps.

Seeds (no warm start).  The InverseGaussian law with the same E Z and E 1/Z
(p = -1/2, ã = λ/m², b̃ = λ, λ = m/(m² - 1)), and, for η̃₁ >= 0, the Gamma law with the
same E log Z and E Z (ψ(α) - log α = η̃₁ - log m, ã = 2α/m) completed by the b̃ that
corrects its E 1/Z to first order, b̃ = 2 (E₀[1/Z] - m) / Var₀(1/Z) (moments of the
Gamma law; GIG_SEED_FREE_SCALE λ when they do not exist or the correction is not
positive); for η̃₁ < 0 the mirror image, an InverseGamma seed (Z ↦ 1/Z swaps ã and b̃
and flips p and η̃₁).  The one with the lower f starts Newton.

Newton.  Direction -H⁻¹∇f by Cholesky of the unit-diagonal scaled H (a Levenberg
ridge when H is singular to working precision).  The path keeps ã, b̃ > 0 by
clipping each at a fraction of its distance to 0, so the other coordinates still take
their full step.  A step is accepted on Armijo decrease, or when it lowers the
residual while f stays within its rounding.  Convergence: the residual
max(|g₁|, |g₂|/m, |g₃|/m) <= tol, g = η(θ) - η̃ (absolute in E log Y, relative in E 1/Y
and E Y); up to GIG_POLISH_STEPS more steps, with the Hessian of the last Newton step,
then polish the point as long as each lowers the residual (they are not counted in the
steps reported).

Accuracy.  The parameters are as accurate as η determines them: the relative error
is about κ·u, with u the rounding of η (~1e-15) and κ the condition number of the
rescaled map (‖H⁻¹ diag(1, m, m)‖ relative to (max(|p|, 1), ã/2, b̃/2)).  κ depends on
p and w = sqrt(ab) only; it grows like w³ for large w (p is then determined by the
O(1/w²) skewness of a nearly normal law), and like 1/w² for small w and |p| > 1, the
faster the larger |p| (b, resp. a, barely moves a nearly Gamma law): about 60 at
(p, w) = (0, 1), 1.6e4 at (±1, 10), 1.4e5 at (±10, 1), 1.2e7 at (0, 100), 1.4e14 at
(±50, 1e-3).  Round trips therefore reach 1e-10 where κ <= ~3e3 and κ·3e-14 elsewhere.
"""
import math

from normix._kernels._constants import (
    BREGMAN_ARMIJO,
    BREGMAN_BOUNDARY_FRACTION,
    BREGMAN_ROUNDOFF,
    GIG_NEWTON_MAX_HALVINGS,
    GIG_NEWTON_MIN_PIVOT,
    GIG_NEWTON_RIDGE,
    GIG_POLISH_STEPS,
    GIG_SEED_FREE_SCALE,
)
from normix._kernels._numba import scalar_core
from normix._kernels.digamma_cpu import digamma_inv_scalar
from normix._kernels.gig_core_cpu import first_order_full_scalar, second_order_scalar


@scalar_core
def _objective(p, at, bt, l, m):
    """(f, g₁, g₂, g₃, noise, E 1/Z, E Z, R, D, D2, w): dual objective, gradient and f's rounding bound at (p, ã, b̃).

    The last six entries feed the Hessian at an accepted point without another Bessel evaluation.
    """
    psi, psi_scale, e1, e2, e3, r_neg, d, lower, w = first_order_full_scalar(p, at, bt)
    linear = (p - 1.0) * l
    quadratic = 0.5 * (bt + at) * m
    noise = BREGMAN_ROUNDOFF * (1.0 + psi_scale + abs(linear) + quadratic)
    return psi - linear + quadratic, e1 - l, e2 - m, e3 - m, noise, e2, e3, r_neg, d, lower, w


@scalar_core
def _residual(g1, g2, g3, m):
    """max(|g₁|, |g₂|/m, |g₃|/m): absolute in E log Y, relative in E 1/Y and E Y."""
    return max(abs(g1), abs(g2) / m, abs(g3) / m)


@scalar_core
def _cholesky_solve(h11, h12, h13, h22, h23, h33, g1, g2, g3, ridge):
    """Solve H x = -g through S(H)S + ridge·I, S = diag(H)^(-1/2); ok is False if a pivot is below GIG_NEWTON_MIN_PIVOT."""
    s1 = 1.0 / math.sqrt(h11)
    s2 = 1.0 / math.sqrt(h22)
    s3 = 1.0 / math.sqrt(h33)
    diag = 1.0 + ridge
    l11 = math.sqrt(diag)
    l21 = h12 * s1 * s2 / l11
    l31 = h13 * s1 * s3 / l11
    pivot2 = diag - l21 * l21
    ok = pivot2 > GIG_NEWTON_MIN_PIVOT
    l22 = math.sqrt(pivot2) if ok else 1.0
    l32 = (h23 * s2 * s3 - l31 * l21) / l22
    pivot3 = diag - l31 * l31 - l32 * l32
    ok = ok and pivot3 > GIG_NEWTON_MIN_PIVOT
    l33 = math.sqrt(pivot3) if ok else 1.0
    y1 = -g1 * s1 / l11
    y2 = (-g2 * s2 - l21 * y1) / l22
    y3 = (-g3 * s3 - l31 * y1 - l32 * y2) / l33
    x3 = y3 / l33
    x2 = (y2 - l32 * x3) / l22
    x1 = (y1 - l21 * x2 - l31 * x3) / l11
    return x1 * s1, x2 * s2, x3 * s3, ok


@scalar_core
def _newton_direction(h11, h12, h13, h22, h23, h33, g1, g2, g3):
    """-H⁻¹g; with a Levenberg ridge if H is singular to working precision; the scaled gradient if even that fails."""
    x1, x2, x3, ok = _cholesky_solve(h11, h12, h13, h22, h23, h33, g1, g2, g3, 0.0)
    if not ok:
        x1, x2, x3, ok = _cholesky_solve(h11, h12, h13, h22, h23, h33, g1, g2, g3, GIG_NEWTON_RIDGE)
    if not ok:
        x1, x2, x3 = -g1 / h11, -g2 / h22, -g3 / h33
    return x1, x2, x3


@scalar_core
def _seed(l, m, q):
    """(p, ã, b̃, objective tuple): the better of the InverseGaussian seed and the Gamma (l >= 0) or
    InverseGamma (l < 0) seed by the dual objective; q = m² - 1 (module docstring)."""
    lam = m / q
    best_p, best_a, best_b = -0.5, lam / (m * m), lam
    best = _objective(best_p, best_a, best_b, l, m)
    alpha = digamma_inv_scalar(abs(l) - math.log(m))
    scale = 2.0 * alpha / m
    free = GIG_SEED_FREE_SCALE * lam
    if alpha > 2.0:
        beta = 0.5 * scale
        excess = beta / (alpha - 1.0) - m
        if excess > 0.0:
            free = 2.0 * excess * (alpha - 1.0) ** 2 * (alpha - 2.0) / (beta * beta)
    if l >= 0.0:
        cand_p, cand_a, cand_b = alpha, scale, free
    else:
        cand_p, cand_a, cand_b = -alpha, free, scale
    cand = _objective(cand_p, cand_a, cand_b, l, m)
    if cand[0] < best[0]:
        best_p, best_a, best_b, best = cand_p, cand_a, cand_b, cand
    return best_p, best_a, best_b, best


@scalar_core
def solve_scalar(e1, e2, e3, p0, a0, b0, maxiter, tol):
    """(p, a, b, converged, n_iter) with ∇ψ(θ) = (e1, e2, e3); (p0, a0, b0) a warm start, or NaN for the seeds."""
    nan = math.nan
    q = e2 * e3 - 1.0
    if not (math.isfinite(e1) and 0.0 < e2 < math.inf and 0.0 < e3 < math.inf and q > 0.0):
        return nan, nan, nan, False, 0
    log_s = 0.5 * (math.log(e2) - math.log(e3))
    s = math.exp(log_s)
    m = math.sqrt(e2) * math.sqrt(e3)
    l = e1 + log_s
    if not abs(l) < math.log(m):
        return nan, nan, nan, False, 0
    if math.isfinite(p0) and 0.0 < a0 < math.inf and 0.0 < b0 < math.inf:
        p, at, bt = p0, a0 / s, b0 * s
        start = _objective(p, at, bt, l, m)
    else:
        p, at, bt, start = _seed(l, m, q)
    f, g1, g2, g3, noise, f_e2, f_e3, r_neg, d, lower, w = start
    res = _residual(g1, g2, g3, m)
    it = 0
    polishing = False
    polished = 0
    h11 = h12 = h13 = h22 = h23 = h33 = nan
    while it < maxiter and math.isfinite(f):
        if res <= tol:
            if polished >= GIG_POLISH_STEPS:
                break
            polishing = True
        if not (polishing and it > 0):
            h11, h12, h13, h22, h23, h33 = second_order_scalar(p, at, bt, f_e2, f_e3, r_neg, d, lower, w)
        d1, d2, d3 = _newton_direction(h11, h12, h13, h22, h23, h33, g1, g2, g3)
        slope = g1 * d1 + g2 * d2 + g3 * d3
        if not slope < 0.0:
            break
        a_floor = (1.0 - BREGMAN_BOUNDARY_FRACTION) * at
        b_floor = (1.0 - BREGMAN_BOUNDARY_FRACTION) * bt
        step = 1.0
        accepted = False
        for _ in range(1 if polishing else GIG_NEWTON_MAX_HALVINGS):
            pt, att, btt = p + step * d1, max(at - 2.0 * step * d3, a_floor), max(bt - 2.0 * step * d2, b_floor)
            trial = _objective(pt, att, btt, l, m)
            res_t = _residual(trial[1], trial[2], trial[3], m)
            accepted = (res_t < res and trial[0] <= f + noise) or (
                not polishing and trial[0] <= f + BREGMAN_ARMIJO * step * slope
            )
            if accepted:
                break
            step *= 0.5
        if not accepted:
            break
        p, at, bt = pt, att, btt
        f, g1, g2, g3, noise, f_e2, f_e3, r_neg, d, lower, w = trial
        res = res_t
        if polishing:
            polished += 1
        else:
            it += 1
    return p, at * s, bt / s, res <= tol, it
