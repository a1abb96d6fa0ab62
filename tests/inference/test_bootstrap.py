"""normix.inference.bootstrap against direct resampling loops, hand-computed BCa and simulation."""
import numpy as np
import pytest
from scipy.stats import norm

import normix
from normix.fitting.em import BatchEMFitter, EMNotConvergedError
from normix.inference import bootstrap
from normix.inference.intervals import bca_interval, jackknife_acceleration, percentile_interval

TRUE = normix.NormalInverseGaussian.from_classical(mu=[0.1, -0.2], gamma=[0.3, 0.1], sigma=[[1.0, 0.4], [0.4, 0.8]],
                                                   mu_ig=1.0, lam=1.5)
X = np.asarray(TRUE.rvs(150, seed=11))


def first_mean(model):
    return float(np.asarray(model.mean())[0])


@pytest.fixture(scope="module")
def result():
    return bootstrap(TRUE, X, 12, statistic=first_mean, seed=5, jackknife_groups=6)


def test_percentile_interval_equals_a_direct_resampling_loop(result):
    # the same indices as bootstrap draws: default_rng(seed).integers(0, n, (n_boot, n)), each refitted alone
    fitter = BatchEMFitter(max_iter=1000, tol=1e-6, e_step_backend="cpu")
    estimate = fitter.fit(TRUE, X).model
    indices = np.random.default_rng(5).integers(0, X.shape[0], size=(12, X.shape[0]))
    values = []
    for rows in indices:
        fit = fitter.fit(estimate, X[rows])
        if fit.converged:
            values.append(first_mean(fit.model))
    assert result.n_valid == len(values) >= 4
    assert result.failures == ({"max_iter": 12 - len(values)} if len(values) < 12 else {})
    np.testing.assert_allclose(result.replicates["statistic"], values, rtol=1e-10, atol=1e-12)
    expected = np.quantile(values, [0.025, 0.975])
    np.testing.assert_allclose(result.intervals("percentile")["statistic"], expected, rtol=1e-10)
    np.testing.assert_allclose(result.standard_errors["statistic"], np.std(values, ddof=1), rtol=1e-10)
    np.testing.assert_allclose(result.estimates["statistic"], first_mean(estimate), rtol=1e-12)


def test_bca_interval_by_hand(result):
    for name in ("statistic", "mu", "lam"):
        rep, est, jack = result.replicates[name], result.estimates[name], result.jackknife[name]
        flat_rep, flat_est, flat_jack = rep.reshape(len(rep), -1), est.reshape(-1), jack.reshape(len(jack), -1)
        got = result.intervals("bca", 0.9)[name].reshape(2, -1)
        for k in range(flat_rep.shape[1]):
            share = np.clip(np.mean(flat_rep[:, k] < flat_est[k]), 0.5 / len(rep), 1 - 0.5 / len(rep))
            z0 = norm.ppf(share)
            dev = flat_jack[:, k].mean() - flat_jack[:, k]
            a = np.sum(dev ** 3) / (6 * np.sum(dev ** 2) ** 1.5)
            lo = norm.cdf(z0 + (z0 + norm.ppf(0.05)) / (1 - a * (z0 + norm.ppf(0.05))))
            hi = norm.cdf(z0 + (z0 + norm.ppf(0.95)) / (1 - a * (z0 + norm.ppf(0.95))))
            np.testing.assert_allclose(got[:, k], np.quantile(flat_rep[:, k], [lo, hi]), rtol=1e-12)


def test_parameters_use_from_classical_names_in_the_unit_determinant_gauge(result):
    assert list(result.estimates)[:5] == ["mu", "gamma", "sigma", "mu_ig", "lam"]
    np.testing.assert_allclose(np.linalg.det(result.replicates["sigma"]), 1.0, rtol=1e-10)
    rebuilt = normix.NormalInverseGaussian.from_classical(**{k: v for k, v in result.estimates.items()
                                                             if k != "statistic"})
    np.testing.assert_allclose([float(rebuilt.log_prob(x)) for x in X[:5]],
                               [float(result.model.log_prob(x)) for x in X[:5]], rtol=1e-10)
    assert "statistic" in result.table()


def test_acceleration_of_the_mean_is_the_skewness_formula():
    x = np.random.default_rng(0).gamma(2.0, size=40)
    leave_one_out = (x.sum() - x) / (x.size - 1)
    centred = x - x.mean()
    expected = np.sum(centred ** 3) / (6 * np.sum(centred ** 2) ** 1.5)
    np.testing.assert_allclose(jackknife_acceleration(leave_one_out), expected, rtol=1e-12)


def test_bca_reduces_to_percentile_without_bias_or_acceleration():
    replicates = np.linspace(-1, 1, 400)[:, None] ** 3
    symmetric_jackknife = np.array([[-1.0], [1.0]])
    np.testing.assert_allclose(bca_interval(replicates, [0.0], symmetric_jackknife, 0.9),
                               percentile_interval(replicates, 0.9), rtol=1e-12)


def test_seed_gives_the_same_numbers():
    a = bootstrap(TRUE, X, 4, seed=1, statistic=first_mean, bca=False)
    b = bootstrap(TRUE, X, 4, seed=1, statistic=first_mean, bca=False)
    for name in a.replicates:
        np.testing.assert_array_equal(a.replicates[name], b.replicates[name])
    c = bootstrap(TRUE, X, 4, seed=2, statistic=first_mean, bca=False)
    assert not np.array_equal(a.replicates["mu"], c.replicates["mu"])


def test_an_estimate_that_does_not_converge_raises():
    with pytest.raises(EMNotConvergedError):
        bootstrap(TRUE, X, 4, seed=2, bca=False, tol=0.0, max_iter=2)


def test_non_finite_statistic_is_counted_not_averaged():
    calls = []

    def statistic(model):
        calls.append(1)
        return 1.0 if len(calls) == 1 else np.inf

    res = bootstrap(TRUE, X, 3, seed=4, statistic=statistic, bca=False)
    assert res.n_valid == 0 and res.failures.get("non_finite_statistic", 0) >= 1
    assert sum(res.failures.values()) == 3 and res.replicates["statistic"].shape == (0,)
    with pytest.raises(ValueError, match="0 of 3"):
        res.intervals("percentile")


@pytest.mark.parametrize("kwargs, match", [(dict(n_boot=1), "n_boot"), (dict(kind="wild"), "kind"),
                                           (dict(level=1.0), "level"), (dict(seed=-1), "seed"),
                                           (dict(statistic=3), "statistic"), (dict(gauge="x"), "gauge")])
def test_invalid_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        bootstrap(TRUE, X, **{"n_boot": 3, **kwargs})


XW = np.asarray(TRUE.rvs(1000, seed=12))  # large enough for every weighted refit to converge
WEIGHTS = np.random.default_rng(2).integers(0, 4, XW.shape[0]).astype(float)  # a quarter of the rows weigh 0


@pytest.mark.parametrize("kind", ["nonparametric", "parametric"])
def test_weighted_replicates_equal_direct_weighted_refits(kind):
    """Resampled rows keep their weights, parametric samples take the weights in order, jackknife drops both."""
    res = bootstrap(TRUE, XW, 5, kind=kind, statistic=first_mean, seed=8, jackknife_groups=3, weights=WEIGHTS)
    fitter = BatchEMFitter(max_iter=1000, tol=1e-6, e_step_backend="cpu")
    estimate = fitter.fit(TRUE, XW, weights=WEIGHTS).model
    assert res.estimates["statistic"] == pytest.approx(first_mean(estimate), rel=1e-12)
    rng = np.random.default_rng(8)
    n = XW.shape[0]
    if kind == "nonparametric":
        rows = rng.integers(0, n, size=(5, n))
        samples, sample_weights = XW[rows], WEIGHTS[rows]
    else:
        samples = np.asarray(estimate.rvs(5 * n, seed=int(rng.integers(2 ** 63)))).reshape(5, n, 2)
        sample_weights = np.broadcast_to(WEIGHTS, (5, n))
    values = [first_mean(fit.model) for fit in (fitter.fit(estimate, data, weights=w)
                                                 for data, w in zip(samples, sample_weights)) if fit.converged]
    assert len(values) == 5
    np.testing.assert_allclose(res.replicates["statistic"], values, rtol=1e-9, atol=1e-12)
    parts = np.array_split(rng.permutation(n), 3)
    jack = []
    for part in parts:
        keep = np.setdiff1d(np.arange(n), part)
        fit = fitter.fit(estimate, XW[keep], weights=WEIGHTS[keep])
        if fit.converged:
            jack.append(first_mean(fit.model))
    np.testing.assert_allclose(res.jackknife["statistic"], jack, rtol=1e-9, atol=1e-12)


def test_weights_of_one_give_the_unweighted_bootstrap():
    plain = bootstrap(TRUE, X, 3, statistic=first_mean, seed=6, jackknife_groups=3)
    ones = bootstrap(TRUE, X, 3, statistic=first_mean, seed=6, jackknife_groups=3, weights=np.ones(X.shape[0]))
    for name in plain.replicates:
        np.testing.assert_array_equal(ones.replicates[name], plain.replicates[name])
        np.testing.assert_array_equal(ones.jackknife[name], plain.jackknife[name])


@pytest.mark.parametrize("weights, match", [(-np.ones(150), ">= 0"), (np.ones(3), "shape"),
                                            (np.r_[np.ones(3), np.zeros(147)], "d \\+ 2")])
def test_invalid_weights(weights, match):
    with pytest.raises(ValueError, match=f"weights.*{match}"):
        bootstrap(TRUE, X, 3, weights=weights)


@pytest.mark.slow
def test_coverage_of_the_percentile_interval_of_the_mean():
    truth = normix.NormalInverseGaussian.from_classical(mu=[0.0], gamma=[0.5], sigma=[[1.0]], mu_ig=1.0, lam=2.0)
    mean = float(np.asarray(truth.mean())[0])
    hits = []
    for k in range(60):
        data = np.asarray(truth.rvs(300, seed=100 + k))
        res = bootstrap(truth, data, 200, statistic=first_mean, seed=k, bca=False, level=0.9)
        lo, hi = res.intervals("percentile")["statistic"]
        hits.append(lo <= mean <= hi)
    assert 0.78 <= np.mean(hits) <= 0.99
