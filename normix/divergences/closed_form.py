"""Closed-form KL divergence and squared Hellinger distance within one exponential family.

For p(x) = h(x) exp(θ·t(x) − ψ(θ)) and two members θ_p, θ_q of the same family
(Nielsen & Nock 2010; Nielsen 2010):

    KL(p ‖ q) = ψ(θ_q) − ψ(θ_p) − (θ_q − θ_p)·η_p,        η_p = ∇ψ(θ_p) = E_p[t(X)],

the Bregman divergence of ψ, and the Bhattacharyya coefficient

    BC(p, q) = ∫ √(p q) = exp(ψ((θ_p + θ_q)/2) − (ψ(θ_p) + ψ(θ_q))/2),

so that H²(p, q) = 1 − BC(p, q) (with H² = 1 − ∫√(pq), in [0, 1]).  Both need
only ψ, θ and η; when p = q every difference above is exactly zero, so KL(p ‖ p)
and H²(p, p) are exactly 0.

The multivariate normal is written here in its exponential-family form, which
:class:`normix.distributions.normal.MultivariateNormal` does not carry: with
Λ = Σ⁻¹, t(x) = [x, vec(x xᵀ)], θ = [Λμ, −½ vec(Λ)], η = [μ, vec(Σ + μμᵀ)] and
ψ(θ) = ½ μᵀΛμ − ½ log|Λ| + (d/2) log 2π.

References
----------
F. Nielsen and R. Nock (2010), "Entropies and cross-entropies of exponential
families", IEEE ICIP, 3621-3624.
F. Nielsen (2010), "A family of statistical symmetric divergences based on
Jensen's inequality", arXiv:1009.4004 (Bhattacharyya coefficient of exponential
families as a Jensen gap of ψ).
"""
import functools
import math

import jax
import numpy as np
from scipy.linalg import cho_solve

_LOG_2PI = math.log(2.0 * math.pi)


def bregman_kl(psi_p, psi_q, theta_p, theta_q, eta_p):
    """KL(p ‖ q) = ψ(θ_q) − ψ(θ_p) − (θ_q − θ_p)·η_p.

    Coordinates where θ_q and θ_p are equal do not enter the sum: the statistic is then
    absent from log p − log q, and its expectation may be infinite (E[1/Y] of a
    Gamma law with shape <= 1) without making the divergence undefined.  A statistic
    with infinite expectation and a nonzero coefficient gives +inf.
    """
    delta = np.asarray(theta_q, dtype=np.float64) - np.asarray(theta_p, dtype=np.float64)
    eta_p = np.asarray(eta_p, dtype=np.float64)
    used = delta != 0.0
    return float(psi_q - psi_p - np.sum(delta[used] * eta_p[used]))


def log_bhattacharyya(psi_p, psi_q, psi_mid):
    """log BC(p, q) = ψ((θ_p + θ_q)/2) − (ψ(θ_p) + ψ(θ_q))/2 (<= 0 by convexity of ψ)."""
    return float(psi_mid - 0.5 * psi_p - 0.5 * psi_q)


def hellinger_from_log_bc(log_bc):
    """H² = 1 − BC = −expm1(log BC), accurate for nearby laws (log BC close to 0); +0.0 when BC = 1."""
    return float(0.0 - math.expm1(log_bc))


# ------------------------------------------------------------------ exponential families
@functools.cache
def _compiled_log_partition(family):
    """ψ of ``family`` compiled once per class (eager JAX would dispatch its Bessel loops op by op)."""
    return jax.jit(family._log_partition_from_theta)


def log_partition(family, theta):
    """ψ(θ) of the exponential family ``family`` as a float."""
    return float(_compiled_log_partition(family)(np.asarray(theta, dtype=np.float64)))


def family_kl(p, q):
    """KL(p ‖ q) for two members of one :class:`~normix.exponential_family.ExponentialFamily` subclass."""
    family = type(p)
    theta_p = np.asarray(p.natural_params(), dtype=np.float64)
    theta_q = np.asarray(q.natural_params(), dtype=np.float64)
    eta_p = np.asarray(p.expectation_params(backend="cpu"), dtype=np.float64)
    return bregman_kl(log_partition(family, theta_p), log_partition(family, theta_q), theta_p, theta_q, eta_p)


def family_squared_hellinger(p, q):
    """H²(p, q) for two members of one exponential family, from ψ at θ_p, θ_q and their midpoint."""
    family = type(p)
    theta_p = np.asarray(p.natural_params(), dtype=np.float64)
    theta_q = np.asarray(q.natural_params(), dtype=np.float64)
    psi_mid = log_partition(family, 0.5 * theta_p + 0.5 * theta_q)
    log_bc = log_bhattacharyya(log_partition(family, theta_p), log_partition(family, theta_q), psi_mid)
    return hellinger_from_log_bc(log_bc)


# ----------------------------------------------------------------- multivariate normal
def normal_natural(mu, L_Sigma):
    """(Λμ, Λ) of N(μ, L Lᵀ): the natural parameters θ = [Λμ, −½ vec(Λ)] as a vector and a precision."""
    L_Sigma = np.asarray(L_Sigma, dtype=np.float64)
    precision = cho_solve((L_Sigma, True), np.eye(L_Sigma.shape[0]))
    precision = 0.5 * (precision + precision.T)
    return precision @ np.asarray(mu, dtype=np.float64), precision


def normal_log_partition(h, precision):
    """ψ = ½ hᵀΛ⁻¹h − ½ log|Λ| + (d/2) log 2π of the natural parameters h = Λμ and Λ."""
    L = np.linalg.cholesky(precision)
    w = np.linalg.solve(L, h)
    return 0.5 * float(w @ w) - float(np.sum(np.log(np.diagonal(L)))) + 0.5 * h.shape[0] * _LOG_2PI


def _theta_vector(h, precision):
    return np.concatenate([h, -0.5 * precision.ravel()])


def normal_kl(mu_p, L_p, mu_q, L_q):
    """KL(N(μ_p, Σ_p) ‖ N(μ_q, Σ_q)) by the Bregman form, η_p = [μ_p, vec(Σ_p + μ_p μ_pᵀ)]."""
    mu_p = np.asarray(mu_p, dtype=np.float64)
    L_p = np.asarray(L_p, dtype=np.float64)
    h_p, lam_p = normal_natural(mu_p, L_p)
    h_q, lam_q = normal_natural(mu_q, L_q)
    eta_p = np.concatenate([mu_p, (L_p @ L_p.T + np.outer(mu_p, mu_p)).ravel()])
    return bregman_kl(normal_log_partition(h_p, lam_p), normal_log_partition(h_q, lam_q),
                      _theta_vector(h_p, lam_p), _theta_vector(h_q, lam_q), eta_p)


def normal_log_bc(mu_p, L_p, mu_q, L_q):
    """log BC(N(μ_p, Σ_p), N(μ_q, Σ_q)) = ψ(θ̄) − (ψ(θ_p) + ψ(θ_q))/2 with θ̄ the natural midpoint."""
    h_p, lam_p = normal_natural(mu_p, L_p)
    h_q, lam_q = normal_natural(mu_q, L_q)
    psi_mid = normal_log_partition(0.5 * h_p + 0.5 * h_q, 0.5 * lam_p + 0.5 * lam_q)
    return log_bhattacharyya(normal_log_partition(h_p, lam_p), normal_log_partition(h_q, lam_q), psi_mid)
