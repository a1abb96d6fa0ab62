"""Normal-Inverse Gaussian: scipy's norminvgauss in d = 1, GH form, closed-form M-step."""
import inspect

import numpy as np
import pytest
from scipy.stats import norminvgauss

from normix import GeneralizedHyperbolic, InverseGaussian, JointNormalInverseGaussian, NormalInverseGaussian
from normix.mixtures.marginal import NormalMixture


@pytest.mark.parametrize("gamma", [0.0, 0.8, -1.5])
def test_one_dimension_matches_scipy_norminvgauss(gamma):
    mu, sigma2, mu_ig, lam = 0.4, 1.7, 1.3, 0.9
    model = NormalInverseGaussian.from_classical(mu=np.array([mu]), gamma=np.array([gamma]),
                                                 sigma=np.array([[sigma2]]), mu_ig=mu_ig, lam=lam)
    # Y ~ GIG(-1/2, a, b) with a = lam/mu_ig^2, b = lam; in scipy's (alpha, beta, delta) form,
    # beta = gamma/sigma^2, alpha^2 = a/sigma^2 + beta^2, delta = sqrt(b sigma^2).
    a, b = lam / mu_ig**2, lam
    beta = gamma / sigma2
    alpha = np.sqrt(a / sigma2 + beta**2)
    delta = np.sqrt(b * sigma2)
    reference = norminvgauss(alpha * delta, beta * delta, loc=mu, scale=delta)
    for x in np.array([-20.0, -3.0, -0.5, 0.4, 1.0, 4.0, 25.0]):
        np.testing.assert_allclose(float(model.log_prob(np.array([x]))), reference.logpdf(x), rtol=1e-10)


def test_subordinator_and_generalized_hyperbolic_form():
    model = NormalInverseGaussian.from_classical(mu=np.zeros(2), gamma=np.array([0.5, -0.4]),
                                                 sigma=np.array([[1.0, 0.4], [0.4, 1.0]]), mu_ig=1.0, lam=1.2)
    sub = model.joint.subordinator()
    assert isinstance(sub, InverseGaussian)
    np.testing.assert_allclose([float(v) for v in model.joint.gig_params()], [-0.5, 1.2, 1.2], rtol=1e-15)
    gh = GeneralizedHyperbolic.from_mixture(model)
    assert isinstance(gh, GeneralizedHyperbolic)
    rng = np.random.default_rng(2)
    for x in rng.normal(size=(5, 2)) * 3:
        np.testing.assert_allclose(float(gh.log_prob(x)), float(model.log_prob(x)), rtol=1e-10)


@pytest.mark.parametrize("backend", ["cpu", "jax"])
def test_subordinator_m_step_is_the_inverse_gaussian_mle(backend):
    mu_ig, lam = JointNormalInverseGaussian._subordinator_m_step(np.float64(0.0), np.float64(1.5),
                                                                np.float64(1.25), (1.0, 1.0), backend, "newton")
    np.testing.assert_allclose(float(mu_ig), 1.25, rtol=1e-15)
    np.testing.assert_allclose(1.0 / float(lam), 1.5 - 1.0 / 1.25, rtol=1e-14)
    _, lam = JointNormalInverseGaussian._subordinator_m_step(np.float64(0.0), np.float64(0.5), np.float64(1.0),
                                                            (1.0, 1.0), backend, "newton")
    assert np.isnan(float(lam))


def test_fit_keeps_the_defaults_of_normal_mixture():
    assert "fit" not in vars(NormalInverseGaussian)
    defaults = {k: v.default for k, v in inspect.signature(NormalMixture.fit).parameters.items()
                if v.default is not inspect.Parameter.empty}
    spec = {"verbose": 0, "max_iter": 200, "tol": 1e-3, "regularization": "none",
            "e_step_backend": "jax", "m_step_backend": "cpu", "m_step_method": "newton"}
    assert {k: defaults[k] for k in spec} == spec
