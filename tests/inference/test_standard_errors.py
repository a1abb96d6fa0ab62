"""Standard errors: information against finite differences, closed forms, gauge invariance, coverage."""
import numpy as np
import pytest

import normix
from normix._kernels import dispatch
from normix.inference import standard_errors
from normix.inference.information import autodiff_information, louis_information, row_scores
from normix.inference.parametrization import family_of, gauge_fixed, kernel_args

SIGMA = np.array([[1.0, 0.3], [0.3, 2.0]])
GAMMA = np.array([0.3, -0.2])
SUBORDINATORS = {
    "NormalInverseGaussian": dict(mu_ig=1.0, lam=2.0),
    "VarianceGamma": dict(alpha=3.0, beta=2.0),
    "NormalInverseGamma": dict(alpha=3.0, beta=2.0),
    "GeneralizedHyperbolic": dict(p=0.7, a=1.5, b=0.8),
}


def make(name, **overrides):
    params = dict(mu=np.array([0.1, -0.2]), gamma=GAMMA, sigma=SIGMA, **SUBORDINATORS[name])
    params.update(overrides)
    return getattr(normix, name).from_classical(**params)


def log_likelihood(model, X, theta):
    """ℓ(θ) by the numba kernel (independent of the JAX code under test)."""
    args = [np.asarray(v, dtype=np.float64) for v in kernel_args(family_of(model), model.d, theta)]
    return float(np.sum(dispatch.kernels("cpu").mixture_log_density(X, *args)))


@pytest.mark.parametrize("name", sorted(SUBORDINATORS))
def test_louis_information_is_minus_the_finite_difference_hessian(name):
    model = make(name)
    X = model.rvs(200, seed=3)
    theta = gauge_fixed(model)
    k = theta.size
    h = 1e-4
    step = np.eye(k) * h
    H = np.empty((k, k))
    for i in range(k):
        for j in range(i, k):
            H[i, j] = H[j, i] = (log_likelihood(model, X, theta + step[i] + step[j])
                                 - log_likelihood(model, X, theta + step[i] - step[j])
                                 - log_likelihood(model, X, theta - step[i] + step[j])
                                 + log_likelihood(model, X, theta - step[i] - step[j])) / (4 * h * h)
    information = louis_information(theta, X, family_of(model), 2)
    assert np.max(np.abs(information + H)) < 1e-4 * np.max(np.abs(H))
    scores = row_scores(theta, X, family_of(model), 2)
    gradient = np.array([(log_likelihood(model, X, theta + step[i]) - log_likelihood(model, X, theta - step[i]))
                         / (2 * h) for i in range(k)])
    np.testing.assert_allclose(scores.sum(axis=0), gradient, rtol=1e-5, atol=1e-5 * np.max(np.abs(gradient)))


def test_gauge_parametrisation_has_the_model_log_likelihood():
    for name in SUBORDINATORS:
        model = make(name)
        X = model.rvs(200, seed=1)
        assert log_likelihood(model, X, gauge_fixed(model)) == pytest.approx(
            float(np.sum(model.log_prob_rows(X))), rel=1e-10)


def test_normal_standard_errors_have_the_closed_form():
    """MLE of N(μ, Σ): Var μ̂ = Σ/n and Var Σ̂_ij = (Σ_ii Σ_jj + Σ_ij²)/n (Anderson 2003, §3.4)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2)) @ np.linalg.cholesky(SIGMA).T
    mu, S = X.mean(axis=0), np.cov(X.T, bias=True)
    model = normix.MultivariateNormal.from_classical(mu, S)
    result = standard_errors(model, X)
    n = X.shape[0]
    np.testing.assert_allclose(result.standard_errors["mu"], np.sqrt(np.diag(S) / n), rtol=1e-8)
    expected = np.sqrt((np.outer(np.diag(S), np.diag(S)) + S**2) / n)
    np.testing.assert_allclose(result.standard_errors["sigma"], expected, rtol=1e-8)
    assert result.warnings == []


def test_estimates_and_errors_do_not_depend_on_the_representation():
    """(γ/c, Σ/c, cY) is the same law: the gauge |Σ| = 1 maps both to one point."""
    fitted = make("NormalInverseGaussian")
    X = fitted.rvs(200, seed=2)
    c = 3.7
    joint = fitted.joint
    rescaled = normix.NormalInverseGaussian.from_classical(
        mu=joint.mu, gamma=joint.gamma / c, sigma=joint.sigma() / c, mu_ig=joint.mu_ig * c, lam=joint.lam * c)
    one, two = standard_errors(fitted, X), standard_errors(rescaled, X)
    for name in one.estimates:
        np.testing.assert_allclose(one.estimates[name], two.estimates[name], rtol=1e-9)
        np.testing.assert_allclose(one.standard_errors[name], two.standard_errors[name], rtol=1e-6)
    assert np.linalg.det(one.estimates["sigma"]) == pytest.approx(1.0, rel=1e-12)


@pytest.mark.slow
def test_sandwich_agrees_with_observed_on_correctly_specified_data():
    model = make("NormalInverseGaussian")
    X = model.rvs(4000, seed=5)
    result = model.fit(X, tol=1e-9, max_iter=3000, e_step_backend="cpu")
    observed, sandwich = result.standard_errors(X), result.standard_errors(X, kind="sandwich")
    for name in observed.estimates:
        ratio = sandwich.standard_errors[name] / observed.standard_errors[name]
        finite = np.isfinite(ratio)
        assert np.all(np.abs(ratio[finite] - 1.0) < 0.1), (name, ratio)
    text = str(observed)
    for label in ("mu[0]", "gamma[1]", "sigma[1,0]", "mu_ig", "lam", "95% lower", "|Sigma| = 1"):
        assert label in text
    lower, upper = observed.intervals(0.9)["lam"]
    assert lower < observed.estimates["lam"] < upper
    assert upper - lower == pytest.approx(2 * 1.6448536269514722 * observed.standard_errors["lam"], rel=1e-9)


def test_a_model_away_from_the_maximum_is_flagged():
    model = make("NormalInverseGaussian")
    X = model.rvs(200, seed=2)
    result = standard_errors(make("NormalInverseGaussian", mu=np.array([0.6, -0.6])), X)
    assert any("not zero" in w or "not positive definite" in w for w in result.warnings)
    assert any("warning" in line for line in str(result).splitlines())


def test_boundary_rules_of_vg():
    from normix.inference.boundary import boundary_warnings

    family = family_of(make("VarianceGamma"))
    assert any("within 2 standard errors" in w and "of d/2" in w for w in boundary_warnings(
        family, 2, {"alpha": np.array(1.15), "beta": np.array(1.0)}, {"alpha": np.array(0.1), "beta": np.array(0.1)}))
    assert any("no maximum-likelihood estimate" in w for w in boundary_warnings(
        family, 2, {"alpha": np.array(0.9), "beta": np.array(1.0)}, {"alpha": np.array(np.nan), "beta": np.array(0.1)}))
    assert any(w.startswith("beta") and "of 0" in w for w in boundary_warnings(
        family, 2, {"alpha": np.array(3.0), "beta": np.array(1.0)}, {"alpha": np.array(0.2), "beta": np.array(0.6)}))
    assert boundary_warnings(family, 2, {"alpha": np.array(3.0), "beta": np.array(1.0)},
                             {"alpha": np.array(0.2), "beta": np.array(0.1)}) == []


@pytest.mark.slow
def test_vg_fitted_near_its_boundary_is_flagged():
    """alpha close to d/2 = 1: a fit there is flagged, never reported as a plain table."""
    model = make("VarianceGamma", alpha=1.15, beta=1.0)
    X = model.rvs(300, seed=4)
    result = standard_errors(model.fit(X, tol=1e-8, max_iter=3000, e_step_backend="cpu").model, X)
    assert any("d/2" in w or "not positive definite" in w for w in result.warnings), result.warnings


def test_invalid_arguments():
    model = make("NormalInverseGaussian")
    X = model.rvs(200, seed=1)
    with pytest.raises(ValueError, match="kind"):
        standard_errors(model, X, kind="hessian")
    with pytest.raises(ValueError, match="shape"):
        standard_errors(model, X[:, :1])
    with pytest.raises(ValueError, match="finite"):
        standard_errors(model, np.where(X > 0, np.nan, X))
    with pytest.raises(TypeError, match="model must be"):
        standard_errors(normix.Gamma(2.0, 1.0), X)
    result = standard_errors(model, X)
    with pytest.raises(ValueError, match="level"):
        result.intervals(1.5)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["NormalInverseGaussian", "GeneralizedHyperbolic"])
def test_observed_by_autodiff_equals_louis(name):
    model = make(name)
    X = model.rvs(300, seed=3)
    theta = gauge_fixed(model)
    family = family_of(model)
    np.testing.assert_allclose(autodiff_information(theta, X, family, 2), louis_information(theta, X, family, 2),
                               rtol=1e-6, atol=1e-8 * np.abs(louis_information(theta, X, family, 2)).max())


@pytest.mark.slow
@pytest.mark.parametrize("name", ["NormalInverseGaussian", "GeneralizedHyperbolic"])
def test_observed_standard_errors_agree_with_the_bootstrap(name):
    """Louis's standard errors against the spread of 300 nonparametric-bootstrap refits (n = 2000, d = 2)."""
    from normix.inference import bootstrap

    model = make(name)
    X = model.rvs(2000, seed=21)
    fit = model.fit(X, tol=1e-9, max_iter=5000, e_step_backend="cpu")
    observed = fit.standard_errors(X)
    boot = bootstrap(fit.model, X, n_boot=300, seed=4, bca=False, max_iter=5000)
    assert boot.n_valid >= 285, boot.failures
    lower = np.tril_indices(2)
    for parameter in observed.estimates:
        ratio = np.asarray(boot.standard_errors[parameter] / observed.standard_errors[parameter])
        ratio = ratio[lower] if ratio.ndim == 2 else np.atleast_1d(ratio)
        assert np.all(np.abs(ratio - 1.0) <= 0.15), (parameter, ratio)
