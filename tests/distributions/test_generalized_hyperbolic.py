"""Generalized Hyperbolic: scipy's genhyperbolic in d = 1, GIG M-step, limits, default_init, fit."""
import inspect

import numpy as np
import pytest
from scipy.stats import genhyperbolic, geninvgauss

from normix import (GeneralizedHyperbolic, GeneralizedInverseGaussian, JointGeneralizedHyperbolic,
                    NormalInverseGaussian)


@pytest.mark.parametrize("p,a,b,gamma", [(0.7, 1.3, 0.8, 0.6), (-2.5, 0.4, 3.0, -1.2), (1.0, 2.0, 2.0, 0.0)])
def test_one_dimension_matches_scipy_genhyperbolic(p, a, b, gamma):
    mu, sigma2 = -0.3, 0.6
    model = GeneralizedHyperbolic.from_classical(mu=np.array([mu]), gamma=np.array([gamma]),
                                                 sigma=np.array([[sigma2]]), p=p, a=a, b=b)
    # scipy's standard form: X = loc + beta Y' + sqrt(Y') Z with Y' = sigma^2 Y ~ GIG(p, a/sigma^2, b sigma^2),
    # beta = gamma/sigma^2, alpha^2 - beta^2 = a/sigma^2, delta^2 = b sigma^2.
    beta = gamma / sigma2
    alpha = np.sqrt(a / sigma2 + beta**2)
    delta = np.sqrt(b * sigma2)
    reference = genhyperbolic(p, alpha * delta, beta * delta, loc=mu, scale=delta)
    for x in np.array([-15.0, -2.0, -0.3, 0.5, 3.0, 12.0]):
        np.testing.assert_allclose(float(model.log_prob(np.array([x]))), reference.logpdf(x), rtol=1e-10)


def _gig_moments_scipy(p, a, b):
    law = geninvgauss(p, np.sqrt(a * b), scale=np.sqrt(b / a))
    return np.array([law.expect(np.log), law.expect(lambda y: 1.0 / y), law.mean()])


@pytest.mark.parametrize("backend,method", [
    ("cpu", "newton"), ("jax", "newton"), pytest.param("cpu", "lbfgs", marks=pytest.mark.slow),
    pytest.param("jax", "lbfgs", marks=pytest.mark.slow), pytest.param("cpu", "bfgs", marks=pytest.mark.slow),
    pytest.param("jax", "bfgs", marks=pytest.mark.slow)])
def test_subordinator_m_step_solves_the_gig_moment_equations(backend, method):
    target = (1.3, 0.9, 2.5)
    s = _gig_moments_scipy(*target)
    start = (-0.5, 1.0, 1.0)
    p, a, b = JointGeneralizedHyperbolic._subordinator_m_step(np.float64(s[0]), np.float64(s[1]),
                                                              np.float64(s[2]), start, backend, method)
    np.testing.assert_allclose([float(p), float(a), float(b)], target, rtol=1e-5)


def test_special_case_limits_have_exact_densities():
    mu, gamma, sigma = np.zeros(2), np.array([0.3, -0.2]), np.array([[1.0, 0.2], [0.2, 0.5]])
    gamma_limit = GeneralizedHyperbolic.from_classical(mu=mu, gamma=gamma, sigma=sigma, p=2.0, a=1.5, b=0.0)
    near = GeneralizedHyperbolic.from_classical(mu=mu, gamma=gamma, sigma=sigma, p=2.0, a=1.5, b=1e-9)
    x = np.array([0.4, -1.1])
    np.testing.assert_allclose(float(gamma_limit.log_prob(x)), float(near.log_prob(x)), rtol=1e-7)
    inverse_gamma_limit = GeneralizedHyperbolic.from_classical(mu=mu, gamma=gamma, sigma=sigma, p=-2.0, a=0.0,
                                                               b=1.5)
    near = GeneralizedHyperbolic.from_classical(mu=mu, gamma=gamma, sigma=sigma, p=-2.0, a=1e-9, b=1.5)
    np.testing.assert_allclose(float(inverse_gamma_limit.log_prob(x)), float(near.log_prob(x)), rtol=1e-7)


def test_subordinator_is_a_gig():
    model = GeneralizedHyperbolic.from_classical(mu=np.zeros(1), gamma=np.zeros(1), sigma=np.eye(1), p=0.5, a=1.0,
                                                 b=2.0)
    assert isinstance(model.joint.subordinator(), GeneralizedInverseGaussian)


def test_fit_defaults():
    defaults = {k: v.default for k, v in inspect.signature(GeneralizedHyperbolic.fit).parameters.items()
                if v.default is not inspect.Parameter.empty}
    spec = {"verbose": 0, "max_iter": 200, "tol": 1e-3, "regularization": "det_sigma_one",
            "e_step_backend": "cpu", "m_step_backend": "cpu", "m_step_method": "newton"}
    assert {k: defaults[k] for k in spec} == spec


def test_default_init_is_the_best_special_case_and_fit_improves_it():
    true = NormalInverseGaussian.from_classical(mu=np.zeros(2), gamma=np.array([0.5, -0.4]),
                                                sigma=np.array([[1.0, 0.4], [0.4, 1.0]]), mu_ig=1.0, lam=1.2)
    X = true.rvs(3000, seed=0)
    init = GeneralizedHyperbolic.default_init(X)
    assert isinstance(init, GeneralizedHyperbolic)
    moment = GeneralizedHyperbolic.from_mixture(NormalInverseGaussian.default_init(X))
    ll_init = float(init.marginal_log_likelihood(X))
    assert ll_init > float(moment.marginal_log_likelihood(X))
    result = init.fit(X, max_iter=300)
    np.testing.assert_allclose(float(result.model.joint.log_det_sigma()), 0.0, atol=1e-10)
    assert float(result.model.marginal_log_likelihood(X)) >= ll_init
    assert float(result.model.marginal_log_likelihood(X)) >= float(true.marginal_log_likelihood(X))
