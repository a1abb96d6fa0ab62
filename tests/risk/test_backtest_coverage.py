"""The backtests of normix.risk.coverage_tests against closed forms, scipy.stats and simulation.

Kupiec's LR is checked against binomial log-likelihoods from ``scipy.stats.binom``, the
Christoffersen statistics against the transition counts written out by hand, p-values
against ``scipy.stats.chi2``; Z2 against a hand-computed case and, through simulation
from a normal law with closed-form VaR and ES, against its zero mean under H0.
"""
import math

import numpy as np
import pytest
from scipy import stats

from normix.risk.coverage_tests import acerbi_szekely_z2, christoffersen_conditional_coverage, \
    christoffersen_independence, kupiec, kupiec_statistic, transition_counts, z2_statistic, z2_test


def hits_with(n, positions):
    hits = np.zeros(n, dtype=bool)
    hits[list(positions)] = True
    return hits


# ------------------------------------------------------------------------------ Kupiec
@pytest.mark.parametrize("n, x, level", [(250, 2, 0.99), (250, 9, 0.99), (1000, 31, 0.975), (500, 0, 0.95),
                                         (40, 40, 0.99), (1, 1, 0.5), (7, 3, 0.9)])
def test_kupiec_is_the_binomial_likelihood_ratio(n, x, level):
    hits = hits_with(n, range(x))
    result = kupiec(hits, level)
    expected = 2.0 * (stats.binom.logpmf(x, n, x / n) - stats.binom.logpmf(x, n, 1.0 - level))
    assert result.statistic == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert result.p_value == pytest.approx(stats.chi2.sf(expected, 1), rel=1e-10, abs=1e-300)
    assert (result.name, result.df, result.reference) == ("kupiec", 1, "chi2(1)")


def test_kupiec_edges_are_exact():
    n, level = 300, 0.99
    assert kupiec(np.zeros(n, bool), level).statistic == pytest.approx(-2 * n * math.log(level), rel=1e-14)
    assert kupiec(np.ones(n, bool), level).statistic == pytest.approx(-2 * n * math.log(1 - level), rel=1e-14)
    assert kupiec(hits_with(100, [5]), 0.99).statistic == 0.0
    assert kupiec(hits_with(100, [5]), 0.99).p_value == 1.0
    far = kupiec(np.ones(5000, bool), 0.999)
    assert far.p_value == 0.0 and math.isfinite(far.statistic)


def test_kupiec_accepts_0_1_integers_and_rejects_other_input():
    hits = hits_with(50, [3, 17])
    assert kupiec(hits.astype(int), 0.95) == kupiec(hits, 0.95)
    for bad_level in (0.0, 1.0, 1.5, "x", None):
        with pytest.raises(ValueError, match="level"):
            kupiec(hits, bad_level)
    with pytest.raises(ValueError, match="hits must hold booleans or 0/1"):
        kupiec(np.array([0, 1, 2]), 0.95)
    with pytest.raises(ValueError, match="hits must be one-dimensional"):
        kupiec(hits.reshape(5, 10), 0.95)
    with pytest.raises(ValueError, match="at least 1 day"):
        kupiec(np.array([], bool), 0.95)


def exact_kupiec_size(n, level, nominal=0.05):
    """P(LR_POF > χ²₁ critical value) under Binomial(n, 1 - level), summed over x."""
    x = np.arange(n + 1)
    lr = np.array([kupiec_statistic(k, n, level) for k in x])
    return float(stats.binom.pmf(x, n, 1.0 - level)[lr > stats.chi2.isf(nominal, 1)].sum())


def test_kupiec_rejection_rate_of_bernoulli_hits_matches_the_exact_binomial_size():
    rng = np.random.default_rng(3)
    n, level, reps = 1000, 0.975, 4000
    hits = rng.random((reps, n)) < 1.0 - level
    rate = np.mean([kupiec(h, level).p_value < 0.05 for h in hits])
    exact = exact_kupiec_size(n, level)
    assert abs(exact - 0.05) < 0.01
    assert abs(rate - exact) < 3.0 * math.sqrt(exact * (1 - exact) / reps)


# ---------------------------------------------------------------------- Christoffersen
def independence_by_hand(n00, n01, n10, n11):
    """LR_ind written out with math.log for counts that are all positive."""
    p01, p11 = n01 / (n00 + n01), n11 / (n10 + n11)
    p = (n01 + n11) / (n00 + n01 + n10 + n11)
    unrestricted = n00 * math.log(1 - p01) + n01 * math.log(p01) + n10 * math.log(1 - p11) + n11 * math.log(p11)
    restricted = (n00 + n10) * math.log(1 - p) + (n01 + n11) * math.log(p)
    return 2 * (unrestricted - restricted)


def test_transition_counts_of_a_hand_made_sequence():
    hits = np.array([0, 1, 1, 0, 0, 0, 1, 0, 1, 1, 1, 0], bool)
    # pairs: 01 11 10 00 00 01 10 01 11 11 10
    assert transition_counts(hits) == (2, 3, 3, 3)


def test_independence_against_the_formula_by_hand():
    rng = np.random.default_rng(0)
    hits = rng.random(600) < 0.1
    hits[100:104] = True                                     # a cluster, so that n11 > 0
    counts = transition_counts(hits)
    assert min(counts) > 0 and sum(counts) == 599
    result = christoffersen_independence(hits)
    expected = independence_by_hand(*counts)
    assert result.statistic == pytest.approx(expected, rel=1e-12)
    assert result.p_value == pytest.approx(stats.chi2.sf(expected, 1), rel=1e-10)
    assert (result.df, result.reference) == (1, "chi2(1)")


def test_independence_edges_are_exact():
    for hits in (np.zeros(50, bool), np.ones(50, bool)):
        result = christoffersen_independence(hits)
        assert (result.statistic, result.p_value) == (0.0, 1.0)
    # one hit on the last day: no transition out of an exceedance (n10 = n11 = 0), pi01 = pi = 1/49
    result = christoffersen_independence(hits_with(50, [49]))
    assert result.statistic == 0.0
    # alternating: n00 = n11 = 0, pi01 = 1, pi11 = 0 (unrestricted log-likelihood 0), pi = 5/9
    alternating = np.arange(10) % 2 == 1
    assert transition_counts(alternating) == (0, 5, 4, 0)
    expected = -2 * (4 * math.log(4 / 9) + 5 * math.log(5 / 9))
    assert christoffersen_independence(alternating).statistic == pytest.approx(expected, rel=1e-14)
    # all hits in one cluster (n10 = 1 only at the end): n00 = 40, n01 = 1, n10 = 0, n11 = 8
    cluster = hits_with(50, range(41, 50))
    n00, n01, n10, n11 = transition_counts(cluster)
    assert (n00, n01, n10, n11) == (40, 1, 0, 8)
    p01, p = 1 / 41, 9 / 49
    expected = 2 * (40 * math.log(1 - p01) + math.log(p01) - 40 * math.log(1 - p) - 9 * math.log(p))
    assert christoffersen_independence(cluster).statistic == pytest.approx(expected, rel=1e-13)
    with pytest.raises(ValueError, match="at least 2 day"):
        christoffersen_independence(np.array([True]))


@pytest.mark.parametrize("level", [0.99, 0.95])
def test_conditional_coverage_is_kupiec_on_the_transitions_plus_independence(level):
    rng = np.random.default_rng(1)
    for hits in (rng.random(800) < 0.03, np.zeros(30, bool), np.ones(30, bool), hits_with(30, [29])):
        cc = christoffersen_conditional_coverage(hits, level)
        parts = kupiec(hits[1:], level).statistic + christoffersen_independence(hits).statistic
        assert cc.statistic == pytest.approx(parts, rel=1e-12, abs=1e-12)
        assert cc.p_value == pytest.approx(stats.chi2.sf(cc.statistic, 2), rel=1e-10, abs=1e-300)
        assert (cc.df, cc.reference) == (2, "chi2(2)")


def test_clustered_exceedances_are_rejected_by_independence_not_by_kupiec():
    hits = np.zeros(1000, bool)
    for start in (100, 300, 500, 700, 900):                  # 10 hits = 1 % of 1000, in pairs
        hits[start:start + 2] = True
    assert kupiec(hits, 0.99).p_value == 1.0
    assert christoffersen_independence(hits).p_value < 1e-4
    assert christoffersen_conditional_coverage(hits, 0.99).p_value < 1e-3


# ----------------------------------------------------------------------------------- Z2
def test_z2_by_hand():
    losses = np.array([1.0, 3.0, -2.0, 5.0])
    var = np.array([2.0, 2.0, 2.0, 4.0])
    es = np.array([3.0, 2.5, 3.0, 4.5])
    level = 0.75                                             # T alpha = 1
    expected = 1.0 - (3.0 / 2.5 + 5.0 / 4.5)
    assert z2_statistic(losses, var, es, level) == pytest.approx(expected, rel=1e-15)
    assert z2_statistic(np.array([1.0, 1.0, -2.0, 3.0]), var, es, level) == 1.0
    batch = np.stack([losses, losses - 10.0])
    np.testing.assert_allclose(z2_statistic(batch, var, es, level), [expected, 1.0], rtol=1e-15)


def test_z2_p_value_is_the_monte_carlo_rank():
    assert z2_test(-0.5, [-1.0, -0.5, 0.0, 0.3]).p_value == pytest.approx(3 / 5)
    assert z2_test(-2.0, [-1.0, -0.5, 0.0, 0.3]).p_value == pytest.approx(1 / 5)
    result = z2_test(0.9, np.linspace(-1, 1, 9))
    assert result.p_value == pytest.approx(9 / 10) and result.reference == "simulated (9 draws)"
    assert result.df is None


def normal_var_es(level, scale=1.0):
    z = stats.norm.ppf(level)
    return scale * z, scale * stats.norm.pdf(z) / (1.0 - level)


def test_z2_has_mean_zero_under_the_forecast_law_and_detects_understated_shortfall():
    rng = np.random.default_rng(5)
    T, level, paths = 250, 0.975, 20_000
    var, es = (np.full(T, v) for v in normal_var_es(level))
    draws = rng.standard_normal((paths, T))
    z2 = z2_statistic(draws, var, es, level)
    assert abs(z2.mean()) < 4 * z2.std() / math.sqrt(paths)
    heavy = 1.6 * rng.standard_normal(T)                     # realised losses wider than forecast
    result = acerbi_szekely_z2(heavy, var, es, level, draws[:999])
    assert result.statistic < 0 and result.p_value < 0.01


def test_z2_input_checks():
    var, es = np.ones(3), np.full(3, 2.0)
    with pytest.raises(ValueError, match="es must be > 0"):
        z2_statistic(np.zeros(3), var, np.array([1.0, 0.0, 1.0]), 0.9)
    with pytest.raises(ValueError, match="losses must end with an axis of 3 days"):
        z2_statistic(np.zeros(4), var, es, 0.9)
    with pytest.raises(ValueError, match="es must have the shape of var"):
        z2_statistic(np.zeros(3), var, np.ones(2), 0.9)
    with pytest.raises(ValueError, match="losses must be finite"):
        z2_statistic(np.array([0.0, np.nan, 1.0]), var, es, 0.9)
    with pytest.raises(ValueError, match="es must be > 0"):
        z2_statistic(np.zeros(3), var, np.array([1.0, np.nan, 1.0]), 0.9)
    # an infinite ES contributes its limit 0: Z2 = 1 - (3/2) / (3 * 0.5)
    assert z2_statistic(np.array([3.0, 5.0, 0.0]), var, np.array([2.0, np.inf, 2.0]), 0.5) == pytest.approx(0.0)
    with pytest.raises(ValueError, match="simulated_losses must have shape"):
        acerbi_szekely_z2(np.zeros(3), var, es, 0.9, np.zeros(3))
