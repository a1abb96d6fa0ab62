"""normix.inference.goodness_of_fit against scipy.stats, quadrature and simulation."""
import numpy as np
import pytest
import scipy.stats as st
from scipy.integrate import quad

import normix
from normix.inference import goodness_of_fit
from normix.inference.edf import edf_statistics
from normix.inference.goodness_of_fit import gof_statistics, law_table, log_probabilities

TRUE = normix.NormalInverseGaussian.from_classical(mu=[0.1, -0.2], gamma=[0.3, 0.1], sigma=[[1.0, 0.4], [0.4, 0.8]],
                                                   mu_ig=1.0, lam=1.5)
X = np.asarray(TRUE.rvs(120, seed=3))
W = np.array([[0.6, 0.4], [1.0, -1.0]])


def model_cdf(law):
    return lambda t: np.asarray(law.cdf(np.asarray(t, dtype=np.float64)))


def test_statistics_equal_scipy_with_the_model_cdf():
    labels, stats = gof_statistics(TRUE, X, W)
    assert labels == ("margin 0", "margin 1", "projection 0", "projection 1", "rosenblatt")
    samples = [X[:, 0], X[:, 1], X @ W[0], X @ W[1]]
    laws = [TRUE.margin(0), TRUE.margin(1), TRUE.project(W[0]), TRUE.project(W[1])]
    for k, (x, law) in enumerate(zip(samples, laws)):
        np.testing.assert_allclose(stats["ks"][k], st.kstest(x, model_cdf(law)).statistic, rtol=1e-10)
        np.testing.assert_allclose(stats["cvm"][k], st.cramervonmises(x, model_cdf(law)).statistic, rtol=1e-10)
        u = np.sort(np.asarray(law.cdf(x)))
        i = np.arange(1, x.size + 1)
        ad = -x.size - np.mean((2 * i - 1) * (np.log(u) + np.log1p(-u[::-1])))
        np.testing.assert_allclose(stats["ad"][k], ad, rtol=1e-10)


def test_anderson_darling_equals_scipy_anderson_for_the_normal():
    x = np.random.default_rng(1).standard_t(5, size=200)
    z = (x - x.mean()) / x.std(ddof=1)
    stats = edf_statistics(st.norm.logcdf(z)[:, None], st.norm.logsf(z)[:, None])
    np.testing.assert_allclose(stats["ad"][0], st.anderson(x, "norm", method="interpolate").statistic, rtol=1e-10)


def test_rosenblatt_conditional_cdf_against_quadrature_of_the_joint_density():
    points, params = law_table(TRUE, X[:4], np.zeros((0, 2)))
    log_cdf, _ = log_probabilities(points, params)
    first = TRUE.margin(0)
    for i in range(4):
        x1, x2 = X[i]
        density = quad(lambda t: float(np.exp(TRUE.log_prob(np.array([x1, t])))), -np.inf, x2, epsabs=0,
                       epsrel=1e-12)[0]
        expected = density / float(np.exp(first.log_prob(np.array([x1]))))
        np.testing.assert_allclose(np.exp(log_cdf[i, 3]), expected, rtol=1e-8)
        np.testing.assert_allclose(np.exp(log_cdf[i, 2]), float(first.cdf(x1)), rtol=1e-12)


def test_rosenblatt_statistic_equals_scipy_on_the_chi_square_transform():
    points, params = law_table(TRUE, X, np.zeros((0, 2)))
    u = np.exp(log_probabilities(points, params)[0][:, 2:])
    v = st.chi2.cdf(np.sum(st.norm.ppf(u) ** 2, axis=1), 2)
    _, stats = gof_statistics(TRUE, X)
    np.testing.assert_allclose(stats["ks"][-1], st.kstest(v, "uniform").statistic, rtol=1e-9)
    np.testing.assert_allclose(stats["cvm"][-1], st.cramervonmises(v, "uniform").statistic, rtol=1e-9)


@pytest.mark.slow
def test_light_tailed_fit_to_heavy_tailed_data_is_rejected():
    heavy = normix.NormalInverseGamma.from_classical(mu=[0.0], gamma=[0.0], sigma=[[1.0]], alpha=1.0, beta=1.0)
    data = np.asarray(heavy.rvs(2000, seed=7))
    fitted = normix.VarianceGamma.default_init(data).fit(data, tol=1e-4, max_iter=2000).model
    result = goodness_of_fit(fitted, data, n_boot=39, seed=1, tol=1e-4, max_iter=2000)
    assert result.n_valid >= 20
    assert result.p_values["ad"][0] <= 0.05
    assert "Anderson-Darling" in result.table()


@pytest.mark.parametrize("kwargs, match", [(dict(n_boot=0), "n_boot"), (dict(projections=[0.0, 0.0]), "projections"),
                                           (dict(seed=1.5), "seed")])
def test_invalid_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        goodness_of_fit(TRUE, X, **{"n_boot": 2, **kwargs})


@pytest.mark.slow
def test_p_values_are_uniform_under_the_null():
    """200 data sets of n = 400 from the model: the p-values of margin 0 and of the Rosenblatt transform are U(0, 1)."""
    p = []
    for k in range(200):
        data = np.asarray(TRUE.rvs(400, seed=1000 + k))
        p.append(goodness_of_fit(TRUE, data, n_boot=49, seed=k, max_iter=5000).p_values["ad"][[0, -1]])
    p = np.asarray(p)
    for column in p.T:
        assert st.kstest(column, "uniform").pvalue > 0.001
