"""Variance Gamma: Gamma subordinator, GH form, closed-form M-step, fit."""
import inspect

import jax.numpy as jnp
import numpy as np
import pytest
from scipy.special import digamma

from normix import Gamma, GeneralizedHyperbolic, JointVarianceGamma, VarianceGamma

MU = np.array([0.3, -0.2])
GAMMA = np.array([0.4, 0.1])
SIGMA = np.array([[1.0, 0.3], [0.3, 0.8]])


def _model(alpha=2.5, beta=1.5):
    return VarianceGamma.from_classical(mu=MU, gamma=GAMMA, sigma=SIGMA, alpha=alpha, beta=beta)


def test_classical_parameters_and_subordinator():
    model = _model()
    assert isinstance(model.joint, JointVarianceGamma)
    np.testing.assert_allclose(np.asarray(model.joint.sigma()), SIGMA, rtol=1e-14)
    sub = model.joint.subordinator()
    assert isinstance(sub, Gamma)
    assert float(sub.alpha) == 2.5 and float(sub.beta) == 1.5
    assert tuple(float(v) for v in model.joint.gig_params()) == (2.5, 3.0, 0.0)


def test_generalized_hyperbolic_form_has_the_same_law():
    model = _model()
    gh = GeneralizedHyperbolic.from_mixture(model)
    assert isinstance(gh, GeneralizedHyperbolic)
    assert (float(gh.joint.p), float(gh.joint.a), float(gh.joint.b)) == (2.5, 3.0, 0.0)
    rng = np.random.default_rng(0)
    for x in MU + rng.normal(size=(5, 2)) * [[0.1], [0.5], [1.0], [2.0], [5.0]]:
        np.testing.assert_allclose(float(gh.log_prob(x)), float(model.log_prob(x)), rtol=1e-10)
    np.testing.assert_allclose(np.asarray(gh.joint.natural_params()), np.asarray(model.joint.natural_params()),
                               rtol=1e-14)


@pytest.mark.parametrize("backend", ["cpu", "jax"])
def test_subordinator_m_step_solves_the_gamma_moment_equations(backend):
    s1, s3 = np.log(1.7) - 0.2, 1.7
    alpha, beta = JointVarianceGamma._subordinator_m_step(np.float64(s1), np.float64(2.0), np.float64(s3),
                                                          (1.0, 1.0), backend, "newton")
    alpha, beta = float(alpha), float(beta)
    np.testing.assert_allclose(digamma(alpha) - np.log(alpha), s1 - np.log(s3), rtol=1e-12)
    np.testing.assert_allclose(alpha / beta, s3, rtol=1e-14)


def test_fit_defaults_run_on_the_cpu():
    defaults = {k: v.default for k, v in inspect.signature(VarianceGamma.fit).parameters.items()
                if v.default is not inspect.Parameter.empty}
    spec = {"verbose": 0, "max_iter": 200, "tol": 1e-3, "regularization": "none",
            "e_step_backend": "cpu", "m_step_backend": "cpu", "m_step_method": "newton"}
    assert {k: defaults[k] for k in spec} == spec


def test_fit_recovers_the_parameters_up_to_scale():
    """(μ, γ/c, Σ/c, cY) is the same law for every c > 0; compare both models at |Σ| = 1."""
    true = _model(alpha=3.0, beta=2.0)
    X = true.rvs(20_000, seed=3)
    result = VarianceGamma.default_init(X).fit(X, max_iter=500, tol=1e-6)
    assert result.converged
    fitted, reference = result.model.regularize_det_sigma_one().joint, true.regularize_det_sigma_one().joint
    np.testing.assert_allclose(np.asarray(fitted.mu), np.asarray(reference.mu), atol=0.05)
    np.testing.assert_allclose(np.asarray(fitted.gamma), np.asarray(reference.gamma), atol=0.08)
    np.testing.assert_allclose(np.asarray(fitted.sigma()), np.asarray(reference.sigma()), atol=0.05)
    np.testing.assert_allclose(float(fitted.alpha), 3.0, rtol=0.15)
    np.testing.assert_allclose(float(fitted.beta), float(reference.beta), rtol=0.15)
    assert float(result.model.marginal_log_likelihood(X)) >= float(true.marginal_log_likelihood(X))


def test_log_prob_at_the_location_is_finite_for_large_alpha():
    model = _model(alpha=2.5)
    assert np.isfinite(float(model.log_prob(jnp.asarray(MU))))
