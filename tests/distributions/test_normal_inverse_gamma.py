"""Normal-Inverse Gamma: Student t at gamma = 0, GH form, closed-form M-step."""
import inspect

import numpy as np
import pytest
from scipy.special import digamma
from scipy.stats import multivariate_t

from normix import GeneralizedHyperbolic, InverseGamma, JointNormalInverseGamma, NormalInverseGamma


def _sigma(d):
    rng = np.random.default_rng(d)
    A = rng.normal(size=(d, d))
    return A @ A.T / d + 0.5 * np.eye(d)


@pytest.mark.parametrize("d", [1, 3])
def test_symmetric_case_is_the_multivariate_t(d):
    alpha, beta = 2.7, 1.9
    mu, sigma = np.linspace(-1.0, 1.0, d), _sigma(d)
    model = NormalInverseGamma.from_classical(mu=mu, gamma=np.zeros(d), sigma=sigma, alpha=alpha, beta=beta)
    reference = multivariate_t(loc=mu, shape=beta / alpha * sigma, df=2 * alpha)
    rng = np.random.default_rng(1)
    for x in mu + rng.normal(size=(6, d)) * np.array([0.01, 0.3, 1.0, 3.0, 10.0, 100.0])[:, None]:
        np.testing.assert_allclose(float(model.log_prob(x)), reference.logpdf(x), rtol=1e-10)


def test_subordinator_and_generalized_hyperbolic_form():
    d = 2
    model = NormalInverseGamma.from_classical(mu=np.zeros(d), gamma=np.array([0.5, -0.3]), sigma=_sigma(d),
                                              alpha=3.0, beta=2.0)
    assert isinstance(model.joint.subordinator(), InverseGamma)
    assert tuple(float(v) for v in model.joint.gig_params()) == (-3.0, 0.0, 4.0)
    gh = GeneralizedHyperbolic.from_mixture(model)
    assert isinstance(gh, GeneralizedHyperbolic)
    rng = np.random.default_rng(2)
    for x in rng.normal(size=(5, d)) * 3:
        np.testing.assert_allclose(float(gh.log_prob(x)), float(model.log_prob(x)), rtol=1e-10)


@pytest.mark.parametrize("backend", ["cpu", "jax"])
def test_subordinator_m_step_solves_the_inverse_gamma_moment_equations(backend):
    s1, s2 = -0.4, 2.1
    alpha, beta = JointNormalInverseGamma._subordinator_m_step(np.float64(s1), np.float64(s2), np.float64(1.0),
                                                               (3.0, 2.0), backend, "newton")
    alpha, beta = float(alpha), float(beta)
    np.testing.assert_allclose(digamma(alpha) - np.log(alpha), -s1 - np.log(s2), rtol=1e-12)
    np.testing.assert_allclose(alpha / beta, s2, rtol=1e-14)


def test_fit_defaults_and_a_fit():
    defaults = {k: v.default for k, v in inspect.signature(NormalInverseGamma.fit).parameters.items()
                if v.default is not inspect.Parameter.empty}
    assert defaults["e_step_backend"] == "cpu" and defaults["m_step_backend"] == "cpu"
    assert defaults["regularization"] == "none"
    true = NormalInverseGamma.from_classical(mu=np.zeros(2), gamma=np.array([0.5, -0.3]), sigma=_sigma(2),
                                             alpha=4.0, beta=3.0)
    X = true.rvs(20_000, seed=5)
    result = NormalInverseGamma.default_init(X).fit(X, max_iter=500, tol=1e-6)
    assert result.converged
    fitted, reference = result.model.regularize_det_sigma_one().joint, true.regularize_det_sigma_one().joint
    np.testing.assert_allclose(float(fitted.alpha), 4.0, rtol=0.2)
    np.testing.assert_allclose(np.asarray(fitted.gamma), np.asarray(reference.gamma), atol=0.1)
    assert float(result.model.marginal_log_likelihood(X)) >= float(true.marginal_log_likelihood(X))
