"""Delta-method gradients against finite differences; Wald coverage over simulated data sets."""
import numpy as np
import pytest

import normix
from normix.fitting.em import BatchEMFitter
from normix.inference import delta_method, standard_errors
from normix.inference.delta import gradient
from normix.inference.parametrization import build, classical, family_of, gauge_fixed
from normix.risk import expected_shortfall

SIGMA = np.array([[1.0, 0.3], [0.3, 2.0]])
NIG = dict(mu=np.array([0.1, -0.2]), gamma=np.array([0.3, -0.2]), sigma=SIGMA, mu_ig=1.0, lam=2.0)
GH = dict(mu=np.array([0.1, -0.2]), gamma=np.array([0.3, -0.2]), sigma=SIGMA, p=-1.5, a=2.0, b=1.5)


def finite_difference_gradient(result, function, h=1e-6):
    theta = result.theta
    columns = []
    for i in range(theta.size):
        step = np.zeros_like(theta)
        step[i] = h
        up = np.asarray(function(build(result.model, theta + step)), dtype=np.float64)
        down = np.asarray(function(build(result.model, theta - step)), dtype=np.float64)
        columns.append(np.ravel(up - down) / (2 * h))
    return np.stack(columns, axis=-1)


@pytest.fixture(scope="module")
def nig_result():
    model = normix.NormalInverseGaussian.from_classical(**NIG)
    X = model.rvs(1000, seed=11)
    return standard_errors(model.fit(X, tol=1e-9, max_iter=3000, e_step_backend="cpu").model, X)


def test_delta_method_of_a_gauge_free_parameter_is_its_table_entry():
    """mu is a parameter of the law, not of the gauge: its delta-method s.e. is the table's."""
    model = normix.NormalInverseGaussian.from_classical(**NIG)
    X = model.rvs(200, seed=3)
    result = standard_errors(model, X)
    estimate = delta_method(result, lambda m: m.joint.mu)
    np.testing.assert_allclose(estimate.value, result.estimates["mu"], rtol=1e-12)
    np.testing.assert_allclose(estimate.standard_error, result.standard_errors["mu"], rtol=1e-10)


@pytest.mark.slow
def test_delta_method_of_the_mean_and_covariance(nig_result):
    for function in (lambda m: m.mean(), lambda m: m.cov()):
        J = gradient(nig_result, function)
        np.testing.assert_allclose(J, finite_difference_gradient(nig_result, function), rtol=1e-5, atol=1e-7)
        estimate = delta_method(nig_result, function)
        np.testing.assert_allclose(estimate.standard_error.ravel(), np.sqrt(np.diag(J @ nig_result.covariance @ J.T)),
                                   rtol=1e-12)
    mean = nig_result.mean()
    lower, upper = mean.interval(0.95)
    assert np.all(lower < mean.value) and np.all(mean.value < upper)
    # mu does not depend on the gauge: its delta-method s.e. is the table's
    np.testing.assert_allclose(delta_method(nig_result, lambda m: m.joint.mu).standard_error,
                               nig_result.standard_errors["mu"], rtol=1e-10)


@pytest.mark.slow
def test_delta_method_of_the_expected_shortfall(nig_result):
    """The JAX ES is differentiable: its gradient matches central differences of the numba ES."""
    w = np.array([0.6, 0.4])
    J = gradient(nig_result, lambda m: expected_shortfall(m, w, 0.99, backend="jax"))
    fd = finite_difference_gradient(nig_result, lambda m: expected_shortfall(m, w, 0.99), h=1e-5)
    np.testing.assert_allclose(J, fd, rtol=1e-4, atol=1e-6)
    es = nig_result.expected_shortfall(w, 0.99)
    assert es.value == pytest.approx(float(expected_shortfall(nig_result.model, w, 0.99)), rel=1e-10)
    assert 0 < es.standard_error < 0.2 * es.value


def coverage(cls, params, n_sets, n, seed, level=0.95):
    """Fraction of data sets whose Wald interval covers each true parameter (gauge |Σ| = 1)."""
    truth = cls.from_classical(**params)
    family = family_of(truth)
    expected = {k: np.asarray(v) for k, v in classical(family, truth.d, gauge_fixed(truth)).items()}
    data = np.stack([truth.rvs(n, seed=seed + i) for i in range(n_sets)])
    fits = BatchEMFitter(max_iter=5000, tol=1e-8, e_step_backend="cpu").fit_many(truth, data)
    hits = {name: [] for name in expected}
    for fit, X in zip(fits, data):
        bounds = standard_errors(fit.model, X).intervals(level)
        for name, value in expected.items():
            lower, upper = bounds[name]
            hits[name].append((lower <= value) & (value <= upper))
    return {name: np.mean(np.array(h), axis=0) for name, h in hits.items()}


@pytest.mark.slow
@pytest.mark.parametrize("cls, params", [(normix.NormalInverseGaussian, NIG), (normix.GeneralizedHyperbolic, GH)],
                         ids=["NIG", "GH"])
def test_wald_coverage_over_200_data_sets(cls, params):
    rates = coverage(cls, params, 200, 2000, seed=1000)
    for name, rate in rates.items():
        rate = np.atleast_1d(rate) if np.ndim(rate) < 2 else rate[np.tril_indices(2)]
        assert np.all((0.92 <= rate) & (rate <= 0.98)), (name, rate)
