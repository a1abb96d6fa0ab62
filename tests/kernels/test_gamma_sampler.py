"""The Marsaglia-Tsang gamma generator against scipy and exact log-moments."""
import numpy as np
import pytest
import scipy.stats as st
from scipy.special import digamma, polygamma

from normix._kernels.gamma_sampler_cpu import standard_gamma_block
from normix._kernels.stream_sampler_cpu import stream_states


def gamma_sample(alpha, n, seed):
    out = np.empty(n)
    standard_gamma_block(stream_states(seed, 1)[0], alpha, out)
    return out


@pytest.mark.parametrize("alpha", [0.01, 0.3, 0.999, 1.0, 1.5, 7.0, 1e3])
def test_ks_against_scipy(alpha):
    x = gamma_sample(alpha, 20000, seed=21)
    assert np.all(x >= 0.0)
    assert st.kstest(x, st.gamma(alpha).cdf).pvalue > 1e-3


@pytest.mark.parametrize("alpha", [1e-3, 1e-6])
def test_tiny_shape_has_the_right_mass_below_thresholds(alpha):
    # most of Gamma(1e-3) lies below the float range (P(X < 1e-308) ~ 0.5), so compare
    # P(X <= t) at thresholds that are representable, within 5 binomial standard errors
    n = 50_000
    x = gamma_sample(alpha, n, seed=23)
    for t in (1e-300, 1e-100, 1e-10, 1.0):
        prob = st.gamma(alpha).cdf(t)
        assert abs(np.mean(x <= t) - prob) <= 5.0 * np.sqrt(prob * (1.0 - prob) / n) + 1.0 / n


@pytest.mark.parametrize("alpha", [0.05, 0.5, 3.0, 100.0])
def test_mean_and_log_mean_within_five_standard_errors(alpha):
    # E X = alpha, Var X = alpha; E log X = digamma(alpha), Var log X = trigamma(alpha)
    n = 200_000
    x = gamma_sample(alpha, n, seed=22)
    assert abs(x.mean() - alpha) <= 5.0 * np.sqrt(alpha / n)
    assert abs(np.log(x).mean() - digamma(alpha)) <= 5.0 * np.sqrt(polygamma(1, alpha) / n)


def test_ks_detects_a_wrong_shape():
    x = gamma_sample(1.5, 20000, seed=21)
    assert st.kstest(x, st.gamma(1.55).cdf).pvalue < 1e-3
