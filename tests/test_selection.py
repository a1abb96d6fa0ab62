"""Model selection: parameter counts, AIC/BIC by hand and against scipy, likelihood-ratio tests."""
import math

import jax
import numpy as np
import pytest
import scipy.stats

import normix
from normix.selection import (
    aic,
    bic,
    compare,
    likelihood_ratio_test,
    log_likelihood,
    n_parameters,
)

SIGMA = np.array([[1.0, 0.3], [0.3, 0.5]])


def gh(**overrides):
    params = dict(mu=[0.1, -0.2], gamma=[0.3, 0.1], sigma=SIGMA, p=-1.2, a=1.5, b=0.9)
    params.update(overrides)
    return normix.GeneralizedHyperbolic.from_classical(**params)


def nig(**overrides):
    params = dict(mu=[0.1, -0.2], gamma=[0.3, 0.1], sigma=SIGMA, mu_ig=1.3, lam=0.7)
    params.update(overrides)
    return normix.NormalInverseGaussian.from_classical(**params)


@pytest.fixture(scope="module")
def data():
    """Skewed, heavy-tailed rows (any data serves: the tests compare formulas on the same rows)."""
    rng = np.random.default_rng(4)
    y = rng.gamma(2.0, 0.5, size=400)
    return 0.2 * y[:, None] + np.sqrt(y)[:, None] * rng.normal(size=(400, 2)) @ np.linalg.cholesky(SIGMA).T


SUBORDINATORS = {
    "GeneralizedHyperbolic": dict(p=-1.2, a=1.5, b=0.9),
    "NormalInverseGaussian": dict(mu_ig=1.3, lam=0.7),
    "VarianceGamma": dict(alpha=2.5, beta=1.7),
    "NormalInverseGamma": dict(alpha=3.1, beta=2.2),
}


@pytest.mark.parametrize("name, d, expected", [
    ("GeneralizedHyperbolic", 1, 5),        # univariate GH: lambda, alpha, beta, delta, mu
    ("NormalInverseGaussian", 1, 4),        # univariate NIG: alpha, beta, delta, mu
    ("VarianceGamma", 1, 4),                # univariate VG: lambda, alpha, beta, mu
    ("NormalInverseGamma", 1, 4),           # skewed Student t: nu, mu, sigma, gamma
    ("GeneralizedHyperbolic", 3, 3 + 3 + 6 + 2),
    ("NormalInverseGaussian", 3, 3 + 3 + 6 + 1),
    ("VarianceGamma", 3, 3 + 3 + 6 + 1),
    ("NormalInverseGamma", 3, 3 + 3 + 6 + 1),
])
def test_mixture_parameter_counts(name, d, expected):
    model = getattr(normix, name).from_classical(mu=np.zeros(d), gamma=np.ones(d), sigma=np.eye(d),
                                                  **SUBORDINATORS[name])
    assert n_parameters(model) == expected


def test_other_parameter_counts():
    assert n_parameters(normix.MultivariateNormal.from_classical([0.0, 1.0, 2.0], np.eye(3))) == 3 + 6
    assert n_parameters(normix.Gamma(2.0, 1.0)) == 2
    assert n_parameters(normix.InverseGamma(2.0, 1.0)) == 2
    assert n_parameters(normix.InverseGaussian(2.0, 1.0)) == 2
    assert n_parameters(normix.GIG(0.5, 2.0, 1.0)) == 3
    with pytest.raises(TypeError, match="JointNormalInverseGaussian"):
        n_parameters(nig().joint)
    with pytest.raises(TypeError, match="ndarray"):
        n_parameters(np.zeros(3))


@pytest.mark.parametrize("rescaled", [
    lambda c: gh(gamma=np.array([0.3, 0.1]) / c, sigma=SIGMA / c, a=1.5 / c, b=0.9 * c),
    lambda c: nig(gamma=np.array([0.3, 0.1]) / c, sigma=SIGMA / c, mu_ig=1.3 * c, lam=0.7 * c),
], ids=["GH", "NIG"])
def test_one_parameter_is_not_identified(data, rescaled):
    """(gamma/c, Sigma/c, cY) is the same law: the reason the subordinator counts one parameter less."""
    reference = rescaled(1.0)
    assert abs(float(rescaled(3.7).marginal_log_likelihood(data)) -
               float(reference.marginal_log_likelihood(data))) < 1e-12


@pytest.mark.slow
def test_aic_bic_against_scipy_nig():
    """Univariate NIG: the total log-likelihood against scipy.stats.norminvgauss, then the formulas."""
    mu, gamma, s2, mu_ig, lam = 0.2, -0.4, 1.7, 1.3, 0.8
    model = normix.NormalInverseGaussian.from_classical(mu=[mu], gamma=[gamma], sigma=[[s2]], mu_ig=mu_ig,
                                                        lam=lam)
    # X = mu + sigma V with V ~ NIG(alpha, beta, delta): Y ~ IG(delta/sqrt(alpha^2-beta^2), delta^2)
    sigma, delta = math.sqrt(s2), math.sqrt(lam)
    beta = gamma / sigma
    alpha = math.hypot(delta / mu_ig, beta)
    reference = scipy.stats.norminvgauss(a=alpha * delta, b=beta * delta, loc=mu, scale=sigma * delta)
    x = reference.rvs(size=200, random_state=np.random.default_rng(5))
    ll = reference.logpdf(x).sum()
    X = x[:, None]
    assert log_likelihood(model, X) == pytest.approx(ll, rel=1e-12)
    assert aic(model, X) == pytest.approx(2 * 4 - 2 * ll, rel=1e-12)
    assert bic(model, X) == pytest.approx(4 * math.log(200) - 2 * ll, rel=1e-12)


def test_aic_bic_from_log_prob_sums(data):
    model = gh()
    ll = float(np.sum(jax.vmap(model.log_prob)(data)))
    k = 2 + 2 + 3 + 2
    assert aic(model, data) == pytest.approx(2 * k - 2 * ll, rel=1e-12)
    assert bic(model, data) == pytest.approx(k * math.log(len(data)) - 2 * ll, rel=1e-12)


def test_cpu_and_jax_kernels_agree(data):
    for model in (gh(), nig(), gh(p=1.5, b=0.0), gh(p=-2.5, a=0.0)):
        assert log_likelihood(model, data, "cpu") == pytest.approx(log_likelihood(model, data, "jax"), rel=1e-12)
    with pytest.raises(ValueError, match="backend"):
        log_likelihood(gh(), data, "gpu")


def test_univariate_log_likelihood_against_scipy():
    x = np.random.default_rng(6).gamma(2.0, size=50)
    assert log_likelihood(normix.Gamma(2.5, 1.5), x) == pytest.approx(
        scipy.stats.gamma(2.5, scale=1 / 1.5).logpdf(x).sum(), rel=1e-12)
    assert aic(normix.Gamma(2.5, 1.5), x) == pytest.approx(
        4 - 2 * scipy.stats.gamma(2.5, scale=1 / 1.5).logpdf(x).sum(), rel=1e-12)


def test_likelihood_ratio_test(data):
    restricted, full = nig(mu=[2.0, 2.0]), gh()
    result = likelihood_ratio_test(restricted, full, data)
    statistic = 2 * (log_likelihood(full, data) - log_likelihood(restricted, data))
    assert result.statistic == pytest.approx(statistic, rel=1e-12)
    assert result.statistic > 0
    assert result.df == 1
    assert result.p_value == pytest.approx(scipy.stats.chi2.sf(statistic, 1), rel=1e-12)
    statistic_, df, p_value = result
    assert (statistic_, df, p_value) == tuple(result)


def test_likelihood_ratio_test_negative_statistic_has_p_value_one(data):
    result = likelihood_ratio_test(nig(), gh(mu=[2.0, 2.0]), data)
    assert result.statistic < 0 and result.p_value == 1.0


def test_likelihood_ratio_test_needs_more_parameters_in_the_full_model(data):
    with pytest.raises(ValueError, match="more free parameters"):
        likelihood_ratio_test(gh(), nig(), data)


def test_compare_sorts_by_bic(data):
    models = {"gh": gh(), "nig": nig(), "nig far": nig(mu=[2.0, 2.0])}
    rows = compare(models, data)
    assert [row.bic for row in rows] == sorted(row.bic for row in rows)
    by_name = {row.name: row for row in rows}
    assert set(by_name) == set(models)
    for name, model in models.items():
        row = by_name[name]
        assert row.n_parameters == n_parameters(model)
        assert row.bic == pytest.approx(bic(model, data), rel=1e-12)
        assert row.aic == pytest.approx(aic(model, data), rel=1e-12)
        assert row.mean_log_likelihood == pytest.approx(row.log_likelihood / len(data), rel=1e-12)
    assert [row.name for row in compare([gh(), nig()], data)][0] in ("GeneralizedHyperbolic",
                                                                      "NormalInverseGaussian")


def test_bad_data_raises_value_error():
    with pytest.raises(ValueError, match="shape \\(n, d\\)"):
        aic(nig(), np.zeros(5))
    with pytest.raises(ValueError, match="shape \\(n, 2\\)"):
        aic(nig(), np.zeros((5, 3)))
    with pytest.raises(ValueError, match="finite"):
        bic(nig(), np.array([[0.0, np.nan], [1.0, 2.0]]))
    with pytest.raises(ValueError, match="at least one model"):
        compare({}, np.zeros((3, 2)))


def test_results_with_held_parameters_count_only_free_ones(data):
    """An EMResult stands for its model; its constraints remove what the fit held (d for gamma = 0)."""
    start = nig()
    free = start.fit(data, max_iter=5, e_step_backend="cpu")
    symmetric = start.fit(data, max_iter=5, symmetric=True, e_step_backend="cpu")
    assert free.constraints is None
    assert n_parameters(free) == n_parameters(free.model) == 2 + 2 + 3 + 1
    assert n_parameters(symmetric) == n_parameters(symmetric.model) - 2
    assert n_parameters(symmetric.model, symmetric=True) == n_parameters(symmetric)
    assert log_likelihood(symmetric, data) == log_likelihood(symmetric.model, data)
    k = n_parameters(symmetric)
    ll = log_likelihood(symmetric.model, data)
    assert aic(symmetric, data) == pytest.approx(2 * k - 2 * ll, rel=1e-12)
    assert bic(symmetric, data) == pytest.approx(k * math.log(len(data)) - 2 * ll, rel=1e-12)
    test = likelihood_ratio_test(symmetric, free, data)
    statistic = 2 * (log_likelihood(free.model, data) - ll)
    assert test.df == 2 and test.statistic == pytest.approx(statistic, rel=1e-12)
    assert test.p_value == pytest.approx(scipy.stats.chi2.sf(max(statistic, 0.0), 2), rel=1e-12)
    rows = {row.name: row for row in compare({"free": free, "symmetric": symmetric}, data)}
    assert rows["symmetric"].n_parameters == k and rows["free"].n_parameters == k + 2


@pytest.mark.parametrize("statistic", [0.3, 2.7, 3.84, 9.0])
def test_boundary_p_value_is_half_the_chi_square_tail(statistic):
    from normix.selection import boundary_p_value

    assert boundary_p_value(statistic) == pytest.approx(0.5 * scipy.stats.chi2.sf(statistic, 1), rel=1e-12)
    assert boundary_p_value(statistic, 3) == pytest.approx(
        0.5 * scipy.stats.chi2.sf(statistic, 3) + 0.5 * scipy.stats.chi2.sf(statistic, 2), rel=1e-12)
    assert boundary_p_value(-statistic) == 1.0 and boundary_p_value(0.0) == 1.0


def test_boundary_null_mixture_by_simulation():
    """½χ²₀ + ½χ²₁ is the law of max(Z, 0)²: its p-value is uniform on (0, 1/2] plus an atom 1/2 at p = 1."""
    from normix.selection import boundary_p_value

    z = np.random.default_rng(0).normal(size=20000)
    p = np.array([boundary_p_value(t) for t in np.maximum(z, 0.0) ** 2])
    assert abs(np.mean(p == 1.0) - 0.5) < 0.02
    assert abs(np.mean(p <= 0.05) - 0.05) < 0.006


def test_likelihood_ratio_test_of_the_boundary_cases_uses_the_mixture(data):
    from normix.selection import likelihood_ratio_test

    full = gh()
    for name in ("VarianceGamma", "NormalInverseGamma"):
        restricted = getattr(normix, name).from_classical(mu=[0.1, -0.2], gamma=[0.3, 0.1], sigma=SIGMA,
                                                          **SUBORDINATORS[name])
        auto = likelihood_ratio_test(restricted, full, data)
        plain = likelihood_ratio_test(restricted, full, data, null="chi2")
        statistic = 2 * (log_likelihood(full, data) - log_likelihood(restricted, data))
        assert auto.statistic == pytest.approx(statistic, rel=1e-12) and auto.df == 1
        if statistic > 0:
            assert auto.p_value == pytest.approx(0.5 * scipy.stats.chi2.sf(statistic, 1), rel=1e-12)
            assert plain.p_value == pytest.approx(2 * auto.p_value, rel=1e-12)
        else:
            assert auto.p_value == 1.0
    with pytest.raises(ValueError, match="null"):
        likelihood_ratio_test(nig(), gh(), data, null="mixture")


def test_vuong_statistic_against_a_direct_computation(data):
    from normix.selection import vuong_test

    a = nig()
    b = normix.VarianceGamma.from_classical(mu=[0.1, -0.2], gamma=[0.3, 0.1], sigma=SIGMA, alpha=2.5, beta=1.7)
    la = np.array([float(a.log_prob(x)) for x in data])
    lb = np.array([float(b.log_prob(x)) for x in data])
    m = la - lb
    n = len(m)
    z = m.sum() / (np.sqrt(n) * m.std())
    result = vuong_test(a, b, data)
    assert result.statistic == pytest.approx(z, rel=1e-9)
    assert result.p_value == pytest.approx(2 * scipy.stats.norm.sf(abs(z)), rel=1e-9)
    assert result.preferred == ("neither" if result.p_value >= 0.05 else ("a" if z > 0 else "b"))
    dk = n_parameters(a) - n_parameters(b)
    schwarz = vuong_test(a, b, data, correction="schwarz")
    assert schwarz.statistic == pytest.approx((m.sum() - 0.5 * dk * np.log(n)) / (np.sqrt(n) * m.std()), rel=1e-9)
    assert vuong_test(b, a, data).statistic == pytest.approx(-z, rel=1e-9)
    with pytest.raises(ValueError, match="correction"):
        vuong_test(a, b, data, correction="bic")
    with pytest.raises(ValueError, match="same log-density"):
        vuong_test(a, a, data)


def test_aicc_closed_form(data):
    from normix.selection import aicc

    model = nig()
    k, n = n_parameters(model), len(data)
    expected = aic(model, data) + 2 * k * (k + 1) / (n - k - 1)
    assert aicc(model, data) == pytest.approx(expected, rel=1e-12)
    row = compare({"nig": model}, data)[0]
    assert row.aicc == pytest.approx(expected, rel=1e-12)
    assert aicc(model, data[: k + 1]) == math.inf
