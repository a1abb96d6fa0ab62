"""InverseGaussian against scipy.stats.invgauss, quadrature and mpmath."""
import jax
import jax.numpy as jnp
import mpmath as mp
import numpy as np
import pytest
import scipy.stats as st
from scipy import integrate

from normix import InverseGaussian

PARAMS = [(1.3, 2.5), (1.0, 1.0), (0.01, 50.0), (20.0, 0.5), (1.0, 1e4), (1e3, 1e-2), (2.0, 3e5)]
PROBS = np.array([1e-8, 1e-3, 0.1, 0.5, 0.9, 0.999, 1 - 1e-9])


def reference(mu, lam):
    return st.invgauss(mu / lam, scale=lam)


def mp_cdf(x, mu, lam):
    """F(x) by mpmath at 60 digits (the exp(2λ/μ) term needs the extra range)."""
    with mp.workdps(60):
        x, mu, lam = mp.mpf(x), mp.mpf(mu), mp.mpf(lam)
        r = mp.sqrt(lam / x)
        return float(mp.ncdf(r * (x / mu - 1)) + mp.exp(2 * lam / mu) * mp.ncdf(-r * (x / mu + 1)))


@pytest.mark.parametrize("mu, lam", PARAMS)
def test_log_prob_matches_scipy(mu, lam):
    dist, ref = InverseGaussian(mu, lam), reference(mu, lam)
    x = ref.ppf(PROBS)
    x = x[(x > 0) & np.isfinite(x)]
    np.testing.assert_allclose(jax.vmap(dist.log_prob)(x), ref.logpdf(x), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("mu, lam", PARAMS)
def test_cdf_matches_mpmath_without_overflow(mu, lam):
    dist = InverseGaussian(mu, lam)
    x = reference(mu, lam).ppf(PROBS[1:-1])
    got = np.asarray(jax.vmap(dist.cdf)(x))
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, [mp_cdf(v, mu, lam) for v in x], rtol=1e-9)


def test_cdf_where_the_naive_formula_overflows():
    dist = InverseGaussian(1.0, 1e3)  # exp(2 lam / mu) = exp(2000) overflows
    x = np.array([0.9, 1.0, 1.1])
    np.testing.assert_allclose(jax.vmap(dist.cdf)(x), [mp_cdf(v, 1.0, 1e3) for v in x], rtol=1e-10)


@pytest.mark.parametrize("mu, lam", PARAMS)
def test_moments_match_scipy(mu, lam):
    dist, ref = InverseGaussian(mu, lam), reference(mu, lam)
    np.testing.assert_allclose(dist.mean(), ref.mean(), rtol=1e-13)
    np.testing.assert_allclose(dist.var(), ref.var(), rtol=1e-13)


@pytest.mark.parametrize("mu, lam", [(1.3, 2.5), (0.5, 30.0), (5.0, 0.5)])
def test_pdf_integrates_to_one(mu, lam):
    dist = InverseGaussian(mu, lam)
    head, _ = integrate.quad(lambda x: float(dist.pdf(x)), 0.0, mu, limit=200)
    tail, _ = integrate.quad(lambda x: float(dist.pdf(x)), mu, np.inf, limit=200)
    assert abs(head + tail - 1.0) < 1e-8


def test_log_partition_has_a_minus_before_the_square_root():
    # the density normalises only with psi = -1/2 log(-2 theta2) - sqrt(4 theta1 theta2)
    dist = InverseGaussian(1.3, 2.5)
    np.testing.assert_allclose(dist.log_partition(), -0.5 * np.log(2.5) - 2.5 / 1.3, rtol=1e-15)
    x = np.array([0.4, 1.1, 3.0])
    generic = [float(dist.log_base_measure(v) + dist.natural_params() @ dist.sufficient_statistics(v)
                     - dist.log_partition()) for v in x]
    np.testing.assert_allclose(generic, reference(1.3, 2.5).logpdf(x), rtol=1e-13)


@pytest.mark.parametrize("mu, lam", PARAMS)
def test_expectation_and_fisher_closed_forms(mu, lam):
    dist = InverseGaussian(mu, lam)
    np.testing.assert_allclose(dist.expectation_params(), [mu, 1.0 / mu + 1.0 / lam], rtol=1e-13)
    t1, t2 = -lam / (2 * mu**2), -lam / 2
    # d2 psi for psi = -1/2 log(-2 t2) - 2 sqrt(t1 t2)
    root = np.sqrt(t1 * t2)
    fisher = [[0.5 * t2 / (t1 * root), -0.5 / root], [-0.5 / root, 0.5 / t2**2 + 0.5 * t1 / (t2 * root)]]
    np.testing.assert_allclose(dist.fisher_information("cpu"), fisher, rtol=1e-11)


def test_rvs_is_reproducible_and_has_the_right_law():
    dist = InverseGaussian(1.3, 2.5)
    x = dist.rvs(20_000, seed=7)
    np.testing.assert_array_equal(x, dist.rvs(20_000, seed=7))
    assert st.kstest(x, reference(1.3, 2.5).cdf).pvalue > 1e-3


def test_from_expectation_rejects_eta_outside_the_domain():
    with pytest.raises(ValueError, match=r"eta\[0\] \(E\[X\]\) must be > 0"):
        InverseGaussian.from_expectation(jnp.array([-1.0, 2.0]))
    with pytest.raises(ValueError, match=r"eta\[1\] - 1/eta\[0\] \(E\[1/X\] - 1/E\[X\]\) must be > 0"):
        InverseGaussian.from_expectation(jnp.array([2.0, 0.5]))
    with pytest.raises(Exception, match=r"eta\[1\] - 1/eta\[0\]"):
        jax.jit(InverseGaussian.from_expectation)(jnp.array([2.0, 0.5])).mu.block_until_ready()
