"""Converters between normix's mixtures and the parametrisations of R's ``ghyp`` package.

``ghyp`` (Breymann and Lüthi) writes a GH vector as X = μ + Wγ + √W A Z with
Z ~ N(0, I), AAᵀ = Σ, and W ~ GIG(λ, χ, ψ) of density ∝ w^(λ-1) exp(-(χ/w + ψw)/2).
Two parametrisations:

(λ, χ, ψ, μ, Σ, γ)
    The mixture itself: normix's GIG form (p, a, b) is (λ, ψ, χ), and μ, γ, Σ are
    the same.  ``sigma`` is the dispersion matrix Σ for d > 1; for d = 1 ghyp's
    ``sigma`` is a scale (its density uses ((x - μ)/sigma)²), so Σ = sigma².
(λ, ᾱ, μ, Σ, γ)
    The GH law is the same under (γ/c, Σ/c, cW) for every c > 0; ghyp fixes the
    scale by E[W] = 1 and keeps ᾱ = √(χψ), which the rescaling leaves unchanged.
    With E[W] = √(χ/ψ) K_{λ+1}(√(χψ)) / K_λ(√(χψ)) (Jørgensen 1982), E[W] = 1 and
    √(χψ) = ᾱ give (McNeil, Frey and Embrechts 2005, Sect. 3.2.4)

        ψ = ᾱ K_{λ+1}(ᾱ)/K_λ(ᾱ),   χ = ᾱ²/ψ = ᾱ K_λ(ᾱ)/K_{λ+1}(ᾱ)     (ᾱ > 0).

    At ᾱ = 0 the law is a limit with E[W] = 1: for λ > 0 the Variance Gamma law,
    W ~ Gamma(λ, rate ψ/2) with χ = 0, ψ = 2λ; for λ < -1 the (skewed) Student t,
    W ~ InverseGamma(-λ, rate χ/2) with ψ = 0, χ = -2(λ + 1).  Other λ at ᾱ = 0 have
    no such law (E[W] = 1 is impossible for -1 <= λ < 0 and λ = 0 is not a limit).

Conversions to ghyp accept any normix mixture (:meth:`GeneralizedHyperbolic.from_mixture`
gives its GH form) and return plain floats (d = 1, ghyp's univariate form, ``sigma`` a
scale) or numpy arrays (d > 1, ``sigma`` the matrix Σ).

References
----------
W. Breymann and D. Lüthi, "ghyp: A package on generalized hyperbolic distributions",
vignette of the R package ghyp (Sect. 2 and its ``abar2chipsi`` map).
A. McNeil, R. Frey and P. Embrechts (2005), "Quantitative Risk Management", Sect. 3.2.4.
B. Jørgensen (1982), "Statistical Properties of the Generalized Inverse Gaussian
Distribution", Lecture Notes in Statistics 9, Springer.
"""
import math

import numpy as np

from normix._validation import as_real_array
from normix.distributions.generalized_hyperbolic import GeneralizedHyperbolic
from normix.mixtures.moments import subordinator_moment
from normix.utils.bessel import log_kv


def _scalar(value, name):
    value = as_real_array(value, name)
    if value.size != 1 or not math.isfinite(float(value.reshape(-1)[0])):
        raise ValueError(f"{name} must be a finite scalar, got {value!r}")
    return float(value.reshape(-1)[0])


def _normal_part(mu, sigma, gamma):
    """(μ, γ, Σ) as arrays from ghyp's mu, sigma (a scale when d = 1 and sigma is not a matrix), gamma."""
    mu = np.atleast_1d(as_real_array(mu, "mu"))
    gamma = np.atleast_1d(as_real_array(gamma, "gamma"))
    sigma = as_real_array(sigma, "sigma")
    if mu.ndim != 1 or gamma.shape != mu.shape:
        raise ValueError(f"mu and gamma must be scalars or vectors of one length, got shapes {mu.shape} and "
                         f"{gamma.shape}")
    if sigma.ndim == 2:
        return mu, gamma, sigma
    if mu.shape != (1,) or sigma.size != 1:
        raise ValueError(f"sigma must be the (d, d) dispersion matrix (or, for d = 1, ghyp's scalar scale), got "
                         f"shape {sigma.shape} for d = {mu.shape[0]}")
    scale = float(sigma.reshape(-1)[0])
    if not scale > 0:
        raise ValueError(f"sigma must be > 0 (ghyp's univariate scale), got {scale!r}")
    return mu, gamma, np.array([[scale * scale]])


def _ghyp_normal_part(mu, gamma, sigma):
    """ghyp's (mu, sigma, gamma): floats and sigma = √Σ for d = 1, numpy arrays and Σ otherwise."""
    mu, gamma, sigma = (np.asarray(v, dtype=np.float64) for v in (mu, gamma, sigma))
    if mu.shape == (1,):
        return {"mu": float(mu[0]), "sigma": math.sqrt(float(sigma[0, 0])), "gamma": float(gamma[0])}
    return {"mu": mu, "sigma": sigma, "gamma": gamma}


def alpha_bar_to_chi_psi(lambda_, alpha_bar):
    """(χ, ψ) with √(χψ) = ᾱ and E[W] = 1 for W ~ GIG(λ, χ, ψ) (the module docstring; ghyp's ``abar2chipsi``).

    Raises
    ------
    ValueError
        If ᾱ < 0 or not finite, or ᾱ = 0 with -1 <= λ <= 0 (no limit law with E[W] = 1).
    """
    lambda_, alpha_bar = _scalar(lambda_, "lambda_"), _scalar(alpha_bar, "alpha_bar")
    if alpha_bar < 0:
        raise ValueError(f"alpha_bar must be >= 0, got {alpha_bar!r}")
    if alpha_bar > 0:
        ratio = math.exp(float(log_kv(lambda_ + 1.0, alpha_bar, backend="cpu"))
                         - float(log_kv(lambda_, alpha_bar, backend="cpu")))
        psi = alpha_bar * ratio
        return alpha_bar * alpha_bar / psi, psi
    if lambda_ > 0:
        return 0.0, 2.0 * lambda_
    if lambda_ < -1:
        return -2.0 * (lambda_ + 1.0), 0.0
    raise ValueError(f"alpha_bar = 0 needs lambda_ > 0 (Variance Gamma) or lambda_ < -1 (Student t with a finite "
                     f"mean), got lambda_ = {lambda_!r}")


def from_ghyp_chi_psi(lambda_, chi, psi, mu, sigma, gamma):
    """The GH law of ghyp's (λ, χ, ψ, μ, Σ, γ): ``GeneralizedHyperbolic`` with (p, a, b) = (λ, ψ, χ).

    Parameters
    ----------
    lambda_, chi, psi : float
        ghyp's GIG(λ, χ, ψ); χ > 0 and ψ > 0, or χ = 0 with λ > 0, or ψ = 0 with λ < 0.
    mu, gamma : float or array, shape (d,)
    sigma : float or array, shape (d, d)
        The dispersion matrix Σ, or for d = 1 ghyp's scale (Σ = sigma²).

    Raises
    ------
    ValueError
        Naming the parameter outside its domain (from the GH constructor) or of the wrong shape.
    """
    mu, gamma, sigma = _normal_part(mu, sigma, gamma)
    return GeneralizedHyperbolic.from_classical(mu=mu, gamma=gamma, sigma=sigma, p=_scalar(lambda_, "lambda_"),
                                                a=_scalar(psi, "psi"), b=_scalar(chi, "chi"))


def to_ghyp_chi_psi(model):
    """ghyp's (λ, χ, ψ, μ, Σ, γ) of any unbatched normix mixture, as a dict with those keys.

    Keys ``'lambda_'`` (λ), ``'chi'``, ``'psi'``, ``'mu'``, ``'sigma'``, ``'gamma'``: the
    arguments of :func:`from_ghyp_chi_psi`, which inverts it (``from_ghyp_chi_psi(**d)``); for d = 1
    floats with ``sigma`` ghyp's scale √Σ, for d > 1 numpy arrays with ``sigma`` = Σ.
    """
    joint = GeneralizedHyperbolic.from_mixture(model).joint
    p, a, b = (float(v) for v in joint.gig_params())
    return {"lambda_": p, "chi": b, "psi": a, **_ghyp_normal_part(joint.mu, joint.gamma, joint.sigma())}


def from_ghyp_alpha_bar(lambda_, alpha_bar, mu, sigma, gamma):
    """The GH law of ghyp's (λ, ᾱ, μ, Σ, γ): (χ, ψ) from :func:`alpha_bar_to_chi_psi`, then :func:`from_ghyp_chi_psi`.

    ``sigma`` as in :func:`from_ghyp_chi_psi`.  The subordinator of the result has E[Y] = 1.
    """
    chi, psi = alpha_bar_to_chi_psi(lambda_, alpha_bar)
    return from_ghyp_chi_psi(lambda_, chi, psi, mu, sigma, gamma)


def to_ghyp_alpha_bar(model):
    """ghyp's (λ, ᾱ, μ, Σ, γ) of any unbatched normix mixture, as a dict with those keys.

    The model is rescaled to E[W] = 1: with c = E[Y], W = Y/c, γ' = cγ, Σ' = cΣ (the same
    law), and ᾱ = √(ab).  Keys ``'lambda_'`` (λ), ``'alpha_bar'``, ``'mu'``, ``'sigma'``,
    ``'gamma'`` (the arguments of :func:`from_ghyp_alpha_bar`), with ``mu``, ``sigma``,
    ``gamma`` as in :func:`to_ghyp_chi_psi`.

    Raises
    ------
    ValueError
        If E[Y] is infinite (an InverseGamma subordinator with shape -p <= 1), where no
        scaling gives E[W] = 1.
    """
    joint = GeneralizedHyperbolic.from_mixture(model).joint
    p, a, b = (float(v) for v in joint.gig_params())
    mean = float(subordinator_moment(1.0, p, a, b))
    if not math.isfinite(mean):
        raise ValueError(f"model must have a subordinator with a finite mean for ghyp's alpha-bar form (E[W] = 1), "
                         f"got an InverseGamma subordinator of shape {-p:.4g} <= 1")
    normal = _ghyp_normal_part(joint.mu, np.asarray(joint.gamma) * mean, np.asarray(joint.sigma()) * mean)
    return {"lambda_": p, "alpha_bar": math.sqrt(a * b), **normal}
