"""Closed-form KL divergence and squared Hellinger distance between joint normal mixtures.

The joint law f(x, y) of X | Y = y ~ N(μ + γy, Σy), Y ~ GIG(p, a, b) (or its Gamma,
InverseGamma limits) is an exponential family with t(x, y) = [log y, 1/y, y, x, x/y,
vec(x xᵀ/y)] and ψ(θ) = ψ_Y(p, a, b) + ½ log|Σ| + μᵀΛγ (Λ = Σ⁻¹; see
:mod:`normix.mixtures.joint`).  Its expectation parameters are affine in the moments
m = (E log Y, E 1/Y, E Y) of the subordinator:

    E[x] = μ + γ m₃,   E[x/y] = μ m₂ + γ,   E[x xᵀ/y] = Σ + μμᵀ m₂ + μγᵀ + γμᵀ + γγᵀ m₃.

KL.  Substituting this η_p into the Bregman form ψ(θ_q) − ψ(θ_p) − (θ_q − θ_p)·η_p and
collecting the terms of ψ_Y and of the normal part gives, with Δμ = μ_p − μ_q,
Δγ = γ_p − γ_q and m the moments of Y under p,

    KL(p ‖ q) = B_Y(p ‖ q) + KL(N(0, Σ_p) ‖ N(0, Σ_q))
                + ½ ΔμᵀΛ_qΔμ m₂ + ΔμᵀΛ_qΔγ + ½ ΔγᵀΛ_qΔγ m₃,

where B_Y is the Bregman divergence of the subordinator in its GIG coordinates
(θ_Y = (p − 1, −b/2, −a/2), t_Y = (log y, 1/y, y), η_Y = m) and the normal term is
the Bregman divergence of the normal family (:mod:`normix.divergences.closed_form`).
This is the chain rule KL(p_Y ‖ q_Y) + E_p[KL(p(x|y) ‖ q(x|y))].  Written this way the
O(μᵀΛμ m₂) terms of η cancel exactly instead of in floating point, and a moment that
is infinite (E[1/Y] of a Gamma law with shape <= 1, E[Y] of an InverseGamma law with
shape <= 1) enters only where its coefficient is nonzero, giving +inf there.

Hellinger.  The natural midpoint θ̄ of two joint laws has Λ̄ = (Λ_p + Λ_q)/2,
p̄ = (p_p + p_q)/2 and, with W = (Σ_p + Σ_q)⁻¹,

    ā = (a_p + a_q)/2 + ½ ΔγᵀWΔγ,   b̄ = (b_p + b_q)/2 + ½ ΔμᵀWΔμ,

from the Jensen gap of the matrix-fractional terms of θ₂, θ₃ and ψ:
½ γ_pᵀΛ_pγ_p + ½ γ_qᵀΛ_qγ_q − γ̄ᵀΛ̄γ̄ = ½ ΔγᵀWΔγ, the same for μ, and ½ ΔμᵀWΔγ for
μᵀΛγ.  Evaluated in this form ā, b̄ >= 0 hold exactly (no rounding to a negative a or
b), and

    log BC = ψ_Y(p̄, ā, b̄) − ½ ψ_Y(p_p, a_p, b_p) − ½ ψ_Y(p_q, a_q, b_q)
             + log BC(N(0, Σ_p), N(0, Σ_q)) − ½ ΔμᵀWΔγ.

The midpoint of two Variance Gamma joints (b = 0) is a GIG law with b̄ > 0 when
μ_p ≠ μ_q: ψ_Y is the GIG log-partition there, and its Gamma or InverseGamma limit
where ā or b̄ is exactly 0.

References
----------
F. Nielsen and R. Nock (2010), "Entropies and cross-entropies of exponential
families", IEEE ICIP, 3621-3624.
T. Cover and J. Thomas (2006), "Elements of Information Theory", 2nd ed., Sect. 2.5
(chain rule of relative entropy).
"""
import numpy as np

from normix._kernels import dispatch
from normix.distributions.gamma import Gamma
from normix.distributions.generalized_inverse_gaussian import GeneralizedInverseGaussian
from normix.distributions.inverse_gamma import InverseGamma
from normix.divergences.closed_form import bregman_kl, hellinger_from_log_bc, log_partition, normal_kl, \
    normal_log_bc


def _normal_part(joint):
    return (np.asarray(joint.mu, dtype=np.float64), np.asarray(joint.gamma, dtype=np.float64),
            np.asarray(joint.L_Sigma, dtype=np.float64))


def _gig_form(joint):
    return tuple(float(v) for v in joint.gig_params())


def subordinator_log_partition(p, a, b):
    """ψ_Y(p, a, b) = log ∫ y^(p−1) exp(−(a y + b/y)/2) dy.

    GIG: log 2 + log K_p(√(ab)) + (p/2) log(b/a); b = 0 (p > 0): log Γ(p) − p log(a/2);
    a = 0 (p < 0): log Γ(−p) + p log(b/2).
    """
    if b == 0.0:
        law = Gamma(p, 0.5 * a)
    elif a == 0.0:
        law = InverseGamma(-p, 0.5 * b)
    else:
        law = GeneralizedInverseGaussian(p, a, b)
    return log_partition(type(law), law.natural_params())


def _subordinator_moments(p, a, b):
    """(E log Y, E 1/Y, E Y) by the ``gig_moments`` kernel (inf where a moment does not exist)."""
    moments = dispatch.kernels("cpu").gig_moments(np.float64(p), np.float64(a), np.float64(b))
    return np.array([float(m) for m in moments])


def _gig_theta(p, a, b):
    return np.array([p - 1.0, -0.5 * b, -0.5 * a])


def joint_kl(p, q):
    """KL(p ‖ q) of two joint mixtures of one family (see the module docstring)."""
    mu_p, gamma_p, L_p = _normal_part(p)
    mu_q, gamma_q, L_q = _normal_part(q)
    gig_p, gig_q = _gig_form(p), _gig_form(q)
    moments = _subordinator_moments(*gig_p)
    kl_y = bregman_kl(subordinator_log_partition(*gig_p), subordinator_log_partition(*gig_q),
                      _gig_theta(*gig_p), _gig_theta(*gig_q), moments)
    kl_cov = normal_kl(np.zeros_like(mu_p), L_p, np.zeros_like(mu_q), L_q)
    d_mu = np.linalg.solve(L_q, mu_p - mu_q)
    d_gamma = np.linalg.solve(L_q, gamma_p - gamma_q)
    # Coefficients of E[1/Y] and E[Y]; a zero coefficient drops the moment (it may be infinite).
    terms = [float(d_mu @ d_gamma)]
    for coefficient, moment in ((0.5 * float(d_mu @ d_mu), moments[1]), (0.5 * float(d_gamma @ d_gamma), moments[2])):
        if coefficient != 0.0:
            terms.append(coefficient * moment)
    return kl_y + kl_cov + sum(terms)


def joint_squared_hellinger(p, q):
    """H²(p, q) = 1 − BC(p, q) of two joint mixtures of one family (see the module docstring)."""
    mu_p, gamma_p, L_p = _normal_part(p)
    mu_q, gamma_q, L_q = _normal_part(q)
    (pp, ap, bp), (pq, aq, bq) = _gig_form(p), _gig_form(q)
    L_sum = np.linalg.cholesky(L_p @ L_p.T + L_q @ L_q.T)
    w_mu = np.linalg.solve(L_sum, mu_p - mu_q)
    w_gamma = np.linalg.solve(L_sum, gamma_p - gamma_q)
    a_mid = 0.5 * ap + 0.5 * aq + 0.5 * float(w_gamma @ w_gamma)
    b_mid = 0.5 * bp + 0.5 * bq + 0.5 * float(w_mu @ w_mu)
    log_bc_y = (subordinator_log_partition(0.5 * pp + 0.5 * pq, a_mid, b_mid)
                - 0.5 * subordinator_log_partition(pp, ap, bp) - 0.5 * subordinator_log_partition(pq, aq, bq))
    log_bc = log_bc_y + normal_log_bc(np.zeros_like(mu_p), L_p, np.zeros_like(mu_q), L_q) \
        - 0.5 * float(w_mu @ w_gamma)
    return hellinger_from_log_bc(log_bc)
