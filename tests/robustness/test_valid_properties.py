"""Random valid input gives finite output that agrees with independent references.

Scalar laws against scipy.stats; GIG moments against mpmath; mixture densities and
posterior moments against adaptive quadrature of the joint density; the M-step against
the closed form written out in numpy; EM fits against the monotonicity of EM.
"""
import numpy as np
import pytest
import scipy.special as sp
import scipy.stats as st
from hypothesis import given
from hypothesis import strategies as st_

from normix import GIG, Gamma, InverseGamma, InverseGaussian
from normix._em.loop import degeneracy
from normix.fitting.em import EMStatus
from robustness_helpers import jit_log_prob
from robustness_references import gig_moments_mpmath, mixture_quadrature, subordinator_law
from robustness_strategies import mixture_models, positive_floats

SCALAR = {
    "gamma": (Gamma, lambda u, v: st.gamma(a=u, scale=1.0 / v),
              lambda u, v: np.array([sp.digamma(u) - np.log(v), u / v])),
    "inverse_gamma": (InverseGamma, lambda u, v: st.invgamma(a=u, scale=v),
                      lambda u, v: np.array([-u / v, np.log(v) - sp.digamma(u)])),
    "inverse_gaussian": (InverseGaussian, lambda u, v: st.invgauss(mu=u / v, scale=v),
                         lambda u, v: np.array([u, 1.0 / u + 1.0 / v])),
}


@pytest.mark.parametrize("family", sorted(SCALAR))
@given(u=positive_floats(1e-2, 1e2), v=positive_floats(1e-2, 1e2), q=st_.floats(0.02, 0.98))
def test_scalar_laws_match_scipy(family, u, v, q):
    cls, law, eta_reference = SCALAR[family]
    model, reference = cls(u, v), law(u, v)
    x = float(reference.ppf(q))
    np.testing.assert_allclose(float(model.log_prob(x)), reference.logpdf(x), rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(float(model.cdf(x)), q, rtol=1e-8, atol=1e-12)
    eta = eta_reference(u, v)
    for backend in ("cpu", "jax"):
        np.testing.assert_allclose(np.asarray(model.expectation_params(backend=backend)), eta, rtol=1e-10)
    back = cls.from_expectation(eta)
    np.testing.assert_allclose([float(leaf) for leaf in (back.natural_params())],
                               np.asarray(model.natural_params()), rtol=1e-8, atol=1e-10)


@given(p=st_.floats(-5.0, 5.0), a=positive_floats(1e-2, 1e2), b=positive_floats(1e-2, 1e2))
def test_gig_moments_match_mpmath_and_invert(p, a, b):
    model = GIG(p, a, b)
    reference = np.array(gig_moments_mpmath(p, a, b))
    for backend in ("cpu", "jax"):
        eta = np.asarray(model.expectation_params(backend=backend))
        np.testing.assert_allclose(eta, reference, rtol=1e-11, atol=1e-12)
    back = GIG.from_expectation(reference, backend="cpu")
    np.testing.assert_allclose(np.asarray(back.expectation_params(backend="cpu")), reference, rtol=1e-9,
                               atol=1e-10)


@pytest.mark.slow
@given(p=st_.floats(-5.0, 5.0), a=positive_floats(1e-1, 1e1), b=positive_floats(1e-1, 1e1),
       q=st_.floats(0.05, 0.95))
def test_gig_density_and_cdf_match_scipy(p, a, b, q):
    reference = st.geninvgauss(p, np.sqrt(a * b), scale=np.sqrt(b / a))
    x = float(reference.ppf(q))
    model = GIG(p, a, b)
    np.testing.assert_allclose(float(jit_log_prob(model, x)), reference.logpdf(x), rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(float(model.cdf(x)), q, rtol=1e-7)


def _check_against_quadrature(case, scale, seed):
    name, model, params = case
    d = params["mu"].size
    x = params["mu"] + scale * np.linalg.cholesky(params["sigma"]) @ np.random.default_rng(seed).normal(size=d)
    log_f, e_log, e_inv, e_y = mixture_quadrature(x, params, subordinator_law(name, params))
    np.testing.assert_allclose(float(jit_log_prob(model, x)), log_f, rtol=1e-9, atol=1e-9)
    moments = model.e_step(x[None, :], backend="cpu")
    if name == "vg" and np.linalg.norm(x - params["mu"]) < 1e-6:
        return  # the documented floor of the VG posterior at x = mu
    np.testing.assert_allclose([float(moments[k][0]) for k in ("E_log_Y", "E_inv_Y", "E_Y")],
                               [e_log, e_inv, e_y], rtol=1e-8, atol=1e-10)


@given(case=mixture_models(names=("nig",), dims=(2,)), scale=st_.sampled_from([0.3, 1.0, 5.0]),
       seed=st_.integers(0, 2**16))
def test_nig_density_and_posterior_match_quadrature(case, scale, seed):
    _check_against_quadrature(case, scale, seed)


@pytest.mark.slow
@given(case=mixture_models(), scale=st_.sampled_from([0.3, 1.0, 5.0]), seed=st_.integers(0, 2**16))
def test_mixture_density_and_posterior_match_quadrature(case, scale, seed):
    _check_against_quadrature(case, scale, seed)


@given(case=mixture_models(), seed=st_.integers(0, 2**16))
def test_m_step_matches_the_closed_form(case, seed):
    _, model, _ = case
    X = model.rvs(60, seed=seed)
    expectations = model.e_step(X, backend="cpu")
    w, e_y = expectations["E_inv_Y"], expectations["E_Y"]
    s2, s3, s4 = w.mean(), e_y.mean(), X.mean(axis=0)
    s5, S6 = (w[:, None] * X).mean(axis=0), (w[:, None] * X).T @ X / len(X)
    D = 1.0 - s2 * s3
    mu, gamma = (s4 - s3 * s5) / D, (s5 - s2 * s4) / D
    sigma = S6 - np.outer(s5, mu) - np.outer(mu, s5) + s2 * np.outer(mu, mu) - s3 * np.outer(gamma, gamma)
    try:
        updated = model.m_step(X, expectations)
    except ValueError as error:
        # the only refusal allowed: moment equations without a solution (never a NaN model)
        assert "no valid solution" in str(error)
        return
    joint = updated.joint
    np.testing.assert_allclose(np.asarray(joint.mu), mu, rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(np.asarray(joint.gamma), gamma, rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(np.asarray(joint.sigma()), sigma, rtol=1e-8, atol=1e-9)


@given(case=mixture_models(names=("nig", "vg", "ninvg")), seed=st_.integers(0, 2**16),
       n=st_.sampled_from([30, 100]))
def test_em_fit_is_finite_monotone_and_honest(case, seed, n):
    name, model, _ = case
    X = model.rvs(n, seed=seed)
    result = type(model).default_init(X).fit(X, max_iter=25, tol=1e-6, e_step_backend="cpu", m_step_backend="cpu")
    lls = np.asarray(result.log_likelihoods)
    assert np.all(np.isfinite(lls)) and lls.size >= 1
    # A VG fit may run into the unbounded likelihood (mu on a data row with alpha <= d/2); the
    # E-step is then floored, its numbers are no longer the likelihood, and the result must say so.
    degenerate = result.status is EMStatus.DEGENERATE
    assert degenerate == (degeneracy(type(model), X, type(model).em_state(result.model, "cpu")) is not None)
    assert degenerate == result.message.startswith("degenerate fit")
    if not degenerate:
        # EM never decreases the likelihood (tolerance for rounding and the inner GIG solve).
        assert np.all(np.diff(lls) >= -1e-8 * np.maximum(1.0, np.abs(lls[1:])))
    changes = np.asarray(result.param_changes)
    assert result.converged == (bool(changes.size and changes[-1] <= 1e-6) and not degenerate)
    assert result.converged == (result.status is EMStatus.CONVERGED)
    expected = {EMStatus.CONVERGED, EMStatus.DEGENERATE, EMStatus.NON_FINITE} | (
        {EMStatus.MAX_ITER} if result.n_iter == 25 else set())
    assert result.status in expected
    assert result.n_iter == changes.size
    final = float(result.model.marginal_log_likelihood(X))
    assert np.isfinite(final) and final >= lls[0] - 1e-8 * abs(lls[0])
