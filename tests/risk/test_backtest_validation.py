"""The backtests under their null and under a wrong model.

Size: returns drawn from a known NIG or GH model, forecast with that model's own exact
VaR and ES (no refit).  Each test must then reject at its nominal rate, 5 %, within
three standard errors over the replications.  The Z2 p-value is simulated from the
same law (:func:`normix.risk.loss_laws.simulated_z2`, M = 199 paths, an exact-level
Monte-Carlo test).  The chi-square tests are asymptotic; the settings (2,500 days at
95 % and 97.5 %, 62 to 125 expected exceedances) are ones where their exact size is
within 1 % of nominal (Kupiec's exact binomial size is checked in
``test_backtest_coverage.py``); with a few exceedances, as at 99 % on 1,000 days,
the independence test is conservative (about 2 % rejections), a property of the
chi-square approximation, not of the code.

Power: a normal model refitted to heavy-tailed returns (simulated NIG, and the S&P 500 /
NASDAQ returns) underestimates the 99 % VaR, and Kupiec's test rejects it.
"""
import math

import numpy as np
import pytest

import normix
from normix.risk import tail_risk
from normix.risk.backtest import backtest
from normix.risk.coverage_tests import christoffersen_conditional_coverage, christoffersen_independence, kupiec, \
    z2_statistic, z2_test
from normix.risk.loss_laws import mixture_loss_law, simulated_z2, stack_laws

WEIGHTS = np.array([0.6, 0.4])
LEVELS = [0.975, 0.95]
SIGMA = np.array([[1.0, 0.5], [0.5, 1.5]])
MODELS = {
    "nig": lambda: normix.NormalInverseGaussian.from_classical(
        mu=np.array([0.1, 0.05]), gamma=np.array([-0.15, -0.05]), sigma=SIGMA, mu_ig=1.0, lam=0.8),
    "gh": lambda: normix.GeneralizedHyperbolic.from_classical(
        mu=np.array([0.1, 0.05]), gamma=np.array([-0.15, -0.05]), sigma=SIGMA, p=-1.3, a=1.2, b=0.9),
}
TESTS = ("kupiec", "christoffersen_independence", "christoffersen_cc", "acerbi_szekely_z2")


def rejection_rates(model, replications, n_days=2500, n_sim=199, seed=0):
    """Fraction of replications in which each test rejects at 5 %, shape (len(LEVELS), 4)."""
    var, es = tail_risk(model, WEIGHTS, LEVELS)
    laws = stack_laws([mixture_loss_law(model, WEIGHTS)], normal=False)
    var_days, es_days = np.tile(var, (n_days, 1)), np.tile(es, (n_days, 1))
    rejected = np.zeros((len(LEVELS), len(TESTS)))
    for rep in range(replications):
        losses = -(model.rvs(n_days, seed=seed + rep) @ WEIGHTS)
        simulated = simulated_z2(laws, np.zeros(n_days, dtype=int), var_days, es_days, LEVELS, n_sim,
                                 seed=10_000 + seed + rep)
        for j, level in enumerate(LEVELS):
            hits = losses > var[j]
            z2 = z2_test(z2_statistic(losses, var_days[:, j], es_days[:, j], level), simulated[j])
            tests = (kupiec(hits, level), christoffersen_independence(hits),
                     christoffersen_conditional_coverage(hits, level), z2)
            rejected[j] += [test.p_value < 0.05 for test in tests]
    return rejected / replications


def assert_nominal(rates, replications):
    band = 3.0 * math.sqrt(0.05 * 0.95 / replications)
    for j, level in enumerate(LEVELS):
        for k, name in enumerate(TESTS):
            assert abs(rates[j, k] - 0.05) <= band, (level, name, rates[j, k], band)


def test_tests_reject_at_their_nominal_rate_fast():
    replications = 40
    assert_nominal(rejection_rates(MODELS["nig"](), replications), replications)


@pytest.mark.slow
@pytest.mark.parametrize("family", sorted(MODELS))
def test_tests_reject_at_their_nominal_rate(family):
    replications = 500
    assert_nominal(rejection_rates(MODELS[family](), replications, seed=1_000), replications)


def heavy_tailed_returns(n=3000):
    """NIG returns with a small IG shape (lam = 0.25): excess kurtosis of the portfolio about 7."""
    model = normix.NormalInverseGaussian.from_classical(
        mu=np.array([0.05, 0.05]), gamma=np.array([-0.05, -0.05]), sigma=np.array([[1.0, 0.6], [0.6, 1.0]]),
        mu_ig=1.0, lam=0.25)
    return model, model.rvs(n, seed=11)


def test_a_normal_model_of_heavy_tailed_returns_fails_kupiec_at_99():
    model, X = heavy_tailed_returns()
    assert float(model.project(WEIGHTS).kurtosis()[0]) > 6.0
    normal = backtest(X, WEIGHTS, 0.99, "normal", window=500, refit_every=20, n_sim=200, progress=False)
    pof, _, _, z2 = normal.tests[0.99]
    assert normal.exceedances.mean() > 0.015 and pof.p_value < 1e-3
    assert z2.statistic < 0 and z2.p_value < 0.01
    nig = backtest(X, WEIGHTS, 0.99, "nig", window=500, refit_every=250, n_sim=200, progress=False)
    assert nig.tests[0.99][0].p_value > 0.05 and nig.tests[0.99][3].p_value > 0.05


def test_a_normal_model_of_the_sp500_nasdaq_returns_fails_kupiec_at_99():
    pytest.importorskip("arch")
    from normix.cli.backtest import demo_frame

    result = backtest(100.0 * demo_frame(), WEIGHTS, [0.99, 0.975], "normal", window=1000, n_sim=200,
                      progress=False)
    assert result.losses.size == 4030
    pof = result.tests[0.99][0]
    assert result.exceedances[:, 0].mean() > 0.02 and pof.p_value < 1e-8
