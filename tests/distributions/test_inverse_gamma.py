"""InverseGamma against scipy.stats.invgamma and quadrature."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats as st
from scipy import integrate
from scipy.special import digamma, polygamma

from normix import Gamma, InverseGamma

PARAMS = [(3.0, 2.0), (1.0, 1.0), (1e-3, 1.0), (0.3, 1e-3), (50.0, 1e3), (1e4, 2.0), (7.0, 1e-4)]
PROBS = np.array([1e-8, 1e-3, 0.1, 0.5, 0.9, 0.999, 1 - 1e-9])


def reference(alpha, beta):
    return st.invgamma(alpha, scale=beta)


@pytest.mark.parametrize("alpha, beta", PARAMS)
def test_log_prob_and_cdf_match_scipy(alpha, beta):
    dist, ref = InverseGamma(alpha, beta), reference(alpha, beta)
    x = ref.ppf(PROBS)
    x = x[(x > 0) & np.isfinite(x)]
    np.testing.assert_allclose(jax.vmap(dist.log_prob)(x), ref.logpdf(x), rtol=1e-11, atol=1e-11)
    np.testing.assert_allclose(jax.vmap(dist.cdf)(x), ref.cdf(x), rtol=1e-9, atol=1e-300)


@pytest.mark.parametrize("alpha, beta", PARAMS)
def test_moments_match_scipy(alpha, beta):
    dist, ref = InverseGamma(alpha, beta), reference(alpha, beta)
    mean = ref.mean() if alpha > 1 else np.inf
    var = ref.var() if alpha > 2 else np.inf
    np.testing.assert_allclose(dist.mean(), mean, rtol=1e-13)
    np.testing.assert_allclose(dist.var(), var, rtol=1e-13)


@pytest.mark.parametrize("alpha, beta", [(3.0, 2.0), (0.5, 3.0), (40.0, 0.1)])
def test_pdf_integrates_to_one(alpha, beta):
    dist = InverseGamma(alpha, beta)
    mode = beta / (alpha + 1.0)
    head, _ = integrate.quad(lambda x: float(dist.pdf(x)), 0.0, mode, limit=200)
    tail, _ = integrate.quad(lambda x: float(dist.pdf(x)), mode, np.inf, limit=200)
    assert abs(head + tail - 1.0) < 1e-8


@pytest.mark.parametrize("alpha, beta", PARAMS)
def test_expectation_and_fisher_closed_forms(alpha, beta):
    dist = InverseGamma(alpha, beta)
    # θ₂ = −(α + 1) carries α to ~1e-16 (α + 1) absolute: 1e-13 relative at α = 1e-3
    np.testing.assert_allclose(dist.expectation_params(), [-alpha / beta, np.log(beta) - digamma(alpha)],
                               rtol=1e-12)
    fisher = [[alpha / beta**2, 1.0 / beta], [1.0 / beta, polygamma(1, alpha)]]  # Cov[-1/X, log X] = 1/β
    np.testing.assert_allclose(dist.fisher_information("cpu"), fisher, rtol=1e-12)


def test_is_the_law_of_the_reciprocal_of_a_gamma():
    gamma, inverse = Gamma(2.5, 1.7), InverseGamma(2.5, 1.7)
    x = np.array([0.1, 0.6, 2.0])
    np.testing.assert_allclose(jax.vmap(inverse.cdf)(x), 1.0 - jax.vmap(gamma.cdf)(1.0 / x), rtol=1e-10)
    np.testing.assert_allclose(inverse.rvs(2000, seed=4), 1.0 / gamma.rvs(2000, seed=4), rtol=1e-14)


def test_rvs_is_reproducible_and_has_the_right_law():
    dist = InverseGamma(3.0, 2.0)
    x = dist.rvs(20_000, seed=7)
    np.testing.assert_array_equal(x, dist.rvs(20_000, seed=7))
    assert st.kstest(x, reference(3.0, 2.0).cdf).pvalue > 1e-3


def test_from_expectation_rejects_eta_outside_the_domain():
    with pytest.raises(ValueError, match=r"-eta\[0\] \(E\[1/X\]\) must be > 0"):
        InverseGamma.from_expectation(jnp.array([1.0, 0.0]))
    with pytest.raises(ValueError, match=r"eta must satisfy eta\[1\] > -log\(-eta\[0\]\)"):
        InverseGamma.from_expectation(jnp.array([-1.0, -1.0]))
    with pytest.raises(Exception, match=r"eta must satisfy"):
        jax.jit(InverseGamma.from_expectation)(jnp.array([-1.0, -1.0])).alpha.block_until_ready()
