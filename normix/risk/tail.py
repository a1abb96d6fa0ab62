"""Tail expectations of the loss of a portfolio: the closed forms behind VaR, ES and their gradients.

A portfolio w of X = μ + γY + √Y L_Σ Z has the return wᵀX and the loss L = -wᵀX, which
is the univariate mixture (the sign convention of ghyp's ``distr = "loss"``)

    L = m + g Y + s √Y Z,   m = -wᵀμ,  g = -wᵀγ,  s = √(wᵀΣw),   Y ~ GIG(p, a, b),

with the subordinator of the model (Gamma for b = 0, InverseGamma for a = 0).  With
x' = (v - m)/s, g' = g/s and z(y) = (x' - g' y)/√y, L | Y = y is N(m + g y, s² y), so

    P(L > v | Y) = Φ(-z(Y)),   E[L 1{L > v} | Y] = (m + g Y) Φ(-z(Y)) + s √Y φ(z(Y)).

Taking expectations over Y needs three quantities, and no quadrature beyond the log
survival function of the library's univariate kernels:

* S = P(L > v), the ``univariate_logsf`` kernel;
* T = E[Y 1{L > v}] = E[Y] S₊, where S₊ is the same survival function under the
  size-biased subordinator GIG(p + 1, a, b) (its density is y f_Y(y)/E[Y]);
* J = E[√Y φ(z(Y))] = (2π)^(-1/2) exp(x'g' + ψ(p + ½, a + g'², b + x'²) - ψ(p, a, b)),
  since √y φ(z(y)) y^(p-1) e^(-(ay + b/y)/2) = (2π)^(-1/2) e^(x'g') y^(p+½-1)
  e^(-((a + g'²) y + (b + x'²)/y)/2); ψ(p, a, b) = log ∫ y^(p-1) e^(-(ay + b/y)/2) dy is
  the GIG log-normaliser, ψ = log 2 + (p/2) log(b/a) + log K_p(√(ab)), with the limits
  log Γ(p) - p log(a/2) (b = 0) and log Γ(-p) + p log(b/2) (a = 0).

Then E[(L - v)⁺] = (m - v) S + g T + s J, and E[X 1{L > v}] = μ S + γ T - (Σw/s) J (the
normal part conditioned on L given Y: Cov(X, L | Y) = -Σw Y).  Given L = v, Y has the
posterior GIG(p - ½, a + g'², b + x'²) and E[X | L = v, Y] = μ + γY - (Σw/s²)(v - m - gY),
so E[X | L = v] = μ - (Σw/s²)(v - m) + (γ + g Σw/s²) E[Y | L = v], with
E[Y | L = v] = exp(ψ(p + ½, a + g'², b + x'²) - ψ(p - ½, a + g'², b + x'²)).

Infinite means.  With a = 0 (InverseGamma subordinator, shape -p) E[Y] is finite only
for p < -1, and GIG(p + 1, 0, b) is a law only then.  For p >= -1:

* g > 0: the loss has a power-law upper tail P(L > l) ~ c l^p (gY dominates), so
  E[L⁺] = ∞ and ES = +∞;
* g = 0: L = m + s√Y Z is a scaled Student t with -2p degrees of freedom; T does not
  enter (g T = 0) and J is finite exactly when p < -½, otherwise ES = +∞;
* g < 0: the upper tail of L is exponential (Φ(-z(y)) <= e^(x'g') e^(-g'² y/2) kills
  the heavy tail of Y), T is finite, but the size-biased law does not exist.  T is then
  the limit ε → 0 of E[Y e^(-εY/2) 1{L > v}] = exp(ψ(p + 1, ε, b) - ψ(p, 0, b)) S₊(ε),
  S₊(ε) the survival function under GIG(p + 1, ε, b), taken at ε = ``TILT`` g'².  The
  relative change is ε E[Y² Φ(-z)]/(2T) ≈ ``TILT`` g'² y*/2 with y* ~ max(1, -x'/g') the
  scale of Y on the event, below 1e-15 for every tail the univariate kernels resolve.

Cancellation.  ψ holds the term -√(ab), so J and E[Y | L = v] combine numbers of size
√(AB) (A = a + g'², B = b + x'²), which is large far in the tail (√(AB) ≈ x'g') and for
nearly normal laws (large ab); their differences of order 1 would lose √(AB)·1e-16.
Every ψ is therefore split as ψ = ψ̃ - z with z = √(ab) (0 at the Gamma and InverseGamma
limits) and ψ̃ = log 2 + (p/2) log(b/a) + log(K_p(z) e^z), the scaled Bessel function
taken from the Hankel expansion (DLMF 10.40.2) where z >= ``HANKEL_MIN_ARG`` and
4p² <= z.  The exponent of J is then x'g' - √(AB) + √(ab) = -N/(√(AB) + x'g' + √(ab))
when x'g' + √(ab) > 0, with N = (√a x' - √b g')² (a, b > 0) or a x'² + b g'² (at a
limit), as (√(AB))² - (x'g' + √(ab))² = N; no term of size √(AB) is subtracted.

Gradients of these formulas in the weights are exact only where the means involved are
finite: with a = 0 and g = 0, E[Y | L = v] (and T) are infinite for p >= -½ (for p >= -1),
and so are the derivatives along directions that change g.

References: A. McNeil, R. Frey and P. Embrechts (2005), Quantitative Risk Management,
Sect. 3.2 (mixtures) and 2.2 (expected shortfall); D. Tasche (1999), Risk contributions
and performance measurement (Euler allocation, ∂ES/∂w = -E[X | L >= VaR]); B. Jørgensen
(1982), Statistical Properties of the Generalized Inverse Gaussian Distribution.
"""
import functools
import math

import jax.scipy.special as jsp
import numpy as np
import scipy.special as sp

from normix._kernels import dispatch
from normix._kernels.log_bessel import log_kv

TILT = 1e-20
"""ε/g'² of the tilted size-biased law used for T when a = 0, p >= -1 and g < 0 (module docstring)."""

HANKEL_MIN_ARG = 100.0
"""Smallest z of the Hankel expansion of log(K_ν(z) e^z); below it log K_ν(z) + z loses at most z·1e-16."""

HANKEL_TERMS = 12
"""Terms of the Hankel expansion: with z >= 100 and 4ν² <= z the 12th term is below 1e-18 (checked
against mpmath to 1e-16 absolute for ν in [-5, 5], z in [1e2, 1e12])."""

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
_LOG_2 = math.log(2.0)


@functools.cache
def _log_gamma(backend):
    return jsp.gammaln if dispatch.traceable(backend) else sp.gammaln


def log_kv_scaled(v, z, backend):
    """log(K_v(z) e^z), elementwise: the Hankel expansion (DLMF 10.40.2) for z >= HANKEL_MIN_ARG and 4v² <= z.

    log(K_v(z) e^z) = ½ log(π/(2z)) + log(1 + Σ_k a_k(v)/z^k),
    a_k(v) = Π_{j<=k} (4v² - (2j - 1)²)/(8j); elsewhere ``log_kv(v, z) + z``.
    """
    xp = dispatch.array_namespace(backend)
    hankel = (z >= HANKEL_MIN_ARG) & (4.0 * v * v <= z)
    zh = xp.where(hankel, z, HANKEL_MIN_ARG)
    term, total = xp.ones_like(zh), xp.zeros_like(zh)
    for k in range(1, HANKEL_TERMS + 1):
        term = term * (4.0 * v * v - (2.0 * k - 1.0) ** 2) / (8.0 * k * zh)
        total = total + term
    series = 0.5 * xp.log(0.5 * math.pi / zh) + xp.log1p(total)
    zd = xp.where(hankel, 1.0, z)
    return xp.where(hankel, series, log_kv(v, zd, backend=backend) + zd)


def log_normalizer_parts(p, a, b, backend):
    """(ψ̃, z) with ψ(p, a, b) = ψ̃ - z = log ∫ y^(p-1) exp(-(a y + b/y)/2) dy, elementwise.

    For a, b > 0: z = √(ab) and ψ̃ = log 2 + (p/2) log(b/a) + log(K_p(z) e^z).  At the
    limits z = 0 and ψ̃ = log Γ(p) - p log(a/2) (b = 0 < p) or log Γ(-p) + p log(b/2)
    (a = 0 > p); ψ̃ = +inf where the integral diverges (b = 0 with p <= 0, a = 0 with
    p >= 0).  Branch-free, with safe stand-ins in the branches not taken, so values and
    JAX gradients carry no NaN from them.
    """
    xp = dispatch.array_namespace(backend)
    gammaln = _log_gamma(backend)
    p, a, b = (xp.asarray(x, dtype=xp.float64) for x in (p, a, b))
    gamma_limit = b == 0.0
    inverse_limit = (a == 0.0) & ~gamma_limit
    regular = ~(gamma_limit | inverse_limit)
    a_r, b_r = xp.where(regular, a, 1.0), xp.where(regular, b, 1.0)
    z = xp.sqrt(a_r * b_r)
    bessel = _LOG_2 + 0.5 * p * (xp.log(b_r) - xp.log(a_r)) + log_kv_scaled(p, z, backend)
    gamma_ok = gamma_limit & (p > 0.0) & (a > 0.0)
    shape = xp.where(gamma_ok, p, 1.0)
    gamma = gammaln(shape) - shape * xp.log(0.5 * xp.where(gamma_ok, a, 1.0))
    inverse_ok = inverse_limit & (p < 0.0)
    alpha = xp.where(inverse_ok, -p, 1.0)
    inverse = gammaln(alpha) - alpha * xp.log(0.5 * xp.where(inverse_ok, b, 1.0))
    limit = xp.where(gamma_ok, gamma, xp.where(inverse_ok, inverse, xp.inf))
    return xp.where(regular, bessel, limit), xp.where(regular, z, 0.0)


def log_normalizer(p, a, b, backend):
    """ψ(p, a, b) = log ∫ y^(p-1) exp(-(a y + b/y)/2) dy (+inf where it diverges); see :func:`log_normalizer_parts`."""
    scaled, z = log_normalizer_parts(p, a, b, backend)
    return scaled - z


def infinite_mean(p, a):
    """Whether E[Y] = ∞ (arrays): the InverseGamma subordinator (a = 0) with p >= -1."""
    return (a == 0.0) & (p >= -1.0)


def _posterior_exponent(xs, gs, a, b, z_prior, z_post, xp):
    """x'g' - z_post + z_prior without cancellation (module docstring, "Cancellation")."""
    regular = (a > 0.0) & (b > 0.0)
    root_a, root_b = xp.sqrt(a), xp.sqrt(b)
    N = xp.where(regular, (root_a * xs - root_b * gs) ** 2, a * xs * xs + b * gs * gs)
    c = xs * gs + z_prior
    positive = c > 0.0
    return xp.where(positive, -N / xp.where(positive, z_post + c, 1.0), c - z_post)


def tail_quantities(v, m, g, s, p, a, b, backend, posterior=False):
    """(S, T, J) of the module docstring at the threshold v, elementwise over the broadcast.

    S = P(L > v), T = E[Y 1{L > v}] (+inf where it diverges: a = 0, p >= -1, g >= 0;
    the tilted limit where a = 0, p >= -1, g < 0) and J = E[√Y φ(z(Y))].  With
    ``posterior=True`` also E[Y | L = v] (:func:`posterior_mean_at`), which shares
    ψ(p + ½, a + g'², b + x'²) with J.
    """
    xp = dispatch.array_namespace(backend)
    v, m, g, s, p, a, b = xp.broadcast_arrays(*(xp.asarray(x, dtype=xp.float64) for x in (v, m, g, s, p, a, b)))
    xs, gs = (v - m) / s, g / s
    heavy = infinite_mean(p, a)
    tilted = heavy & (g < 0.0)
    a_plus = xp.where(tilted, TILT * gs * gs, xp.where(heavy, 1.0, a))
    b_plus = xp.where(heavy & ~tilted, 1.0, b)
    A, B = a + gs * gs, b + xs * xs
    # one call of each kernel on stacked arguments: a smaller program to compile on JAX
    log_s, log_s_plus = dispatch.kernels(backend).univariate_logsf(
        *(xp.stack([x, x]) for x in (v, m, g, s)), xp.stack([p, p + 1.0]), xp.stack([a, a_plus]),
        xp.stack([b, b_plus]))
    orders = [p, p + 1.0, p + 0.5] + ([p - 0.5] if posterior else [])
    scaled, z = log_normalizer_parts(xp.stack(orders), xp.stack([a, a_plus, A, A][:len(orders)]),
                                     xp.stack([b, b_plus, B, B][:len(orders)]), backend)
    log_t = scaled[1] - scaled[0] - (z[1] - z[0]) + log_s_plus
    t = xp.where(heavy & ~tilted, xp.inf, xp.exp(log_t))
    j = xp.exp(-_HALF_LOG_2PI + scaled[2] - scaled[0] + _posterior_exponent(xs, gs, a, b, z[0], z[2], xp))
    if not posterior:
        return xp.exp(log_s), t, j
    return xp.exp(log_s), t, j, xp.exp(scaled[2] - scaled[3])


def excess_mean(v, m, g, s, S, T, J, backend):
    """E[(L - v)⁺] = (m - v) S + g T + s J (g T taken as 0 where g = 0, whatever T)."""
    xp = dispatch.array_namespace(backend)
    return (m - v) * S + xp.where(g == 0.0, 0.0, g * xp.where(g == 0.0, 0.0, T)) + s * J


def posterior_mean_at(v, m, g, s, p, a, b, backend):
    """E[Y | L = v] = exp(ψ(p + ½, A, B) - ψ(p - ½, A, B)), A = a + g'², B = b + x'² (+inf where infinite).

    Both normalisers have the same z = √(AB), which cancels exactly.
    """
    xp = dispatch.array_namespace(backend)
    xs, gs = (v - m) / s, g / s
    A, B = xp.broadcast_arrays(a + gs * gs, b + xs * xs, p)[:2]
    scaled = log_normalizer_parts(xp.stack([p + 0.5 + 0.0 * A, p - 0.5 + 0.0 * A]), xp.stack([A, A]),
                                  xp.stack([B, B]), backend)[0]
    return xp.exp(scaled[0] - scaled[1])
