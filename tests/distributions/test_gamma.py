"""Gamma against scipy.stats.gamma, quadrature and the tutorial's printed values."""
import io
from contextlib import redirect_stdout

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats as st
from scipy import integrate
from scipy.special import digamma, polygamma

from normix import Gamma

PARAMS = [(2.5, 1.5), (1.0, 1.0), (1e-3, 1.0), (0.3, 1e-3), (50.0, 1e3), (1e4, 2.0), (7.0, 1e-4)]
PROBS = np.array([1e-8, 1e-3, 0.1, 0.5, 0.9, 0.999, 1 - 1e-9])


def reference(alpha, beta):
    return st.gamma(alpha, scale=1.0 / beta)


@pytest.mark.parametrize("alpha, beta", PARAMS)
def test_log_prob_and_cdf_match_scipy(alpha, beta):
    dist, ref = Gamma(alpha, beta), reference(alpha, beta)
    x = ref.ppf(PROBS)
    x = x[x > 0]
    np.testing.assert_allclose(jax.vmap(dist.log_prob)(x), ref.logpdf(x), rtol=1e-11, atol=1e-11)
    np.testing.assert_allclose(jax.vmap(dist.cdf)(x), ref.cdf(x), rtol=1e-9, atol=1e-300)
    np.testing.assert_allclose(jax.vmap(dist.pdf)(x), ref.pdf(x), rtol=1e-10)


@pytest.mark.parametrize("alpha, beta", PARAMS)
def test_moments_match_scipy(alpha, beta):
    dist, ref = Gamma(alpha, beta), reference(alpha, beta)
    np.testing.assert_allclose(dist.mean(), ref.mean(), rtol=1e-14)
    np.testing.assert_allclose(dist.var(), ref.var(), rtol=1e-14)
    np.testing.assert_allclose(dist.std(), ref.std(), rtol=1e-14)


@pytest.mark.parametrize("alpha, beta", [(2.5, 1.5), (0.5, 3.0), (40.0, 0.1)])
def test_pdf_integrates_to_one(alpha, beta):
    dist = Gamma(alpha, beta)
    total, err = integrate.quad(lambda x: float(dist.pdf(x)), 0.0, np.inf, limit=200)
    assert abs(total - 1.0) < 1e-8


@pytest.mark.parametrize("alpha, beta", PARAMS)
def test_expectation_and_fisher_closed_forms(alpha, beta):
    dist = Gamma(alpha, beta)
    np.testing.assert_allclose(dist.expectation_params(), [digamma(alpha) - np.log(beta), alpha / beta], rtol=1e-13)
    fisher = [[polygamma(1, alpha), 1.0 / beta], [1.0 / beta, alpha / beta**2]]  # Cov[log X, X] = 1/β
    np.testing.assert_allclose(dist.fisher_information("cpu"), fisher, rtol=1e-12)


def test_rvs_is_reproducible_and_has_the_right_law():
    dist = Gamma(2.0, 1.5)
    x = dist.rvs(20_000, seed=7)
    assert isinstance(x, np.ndarray) and x.shape == (20_000,)
    np.testing.assert_array_equal(x, dist.rvs(20_000, seed=7))
    assert not np.array_equal(x, dist.rvs(20_000, seed=8))
    assert st.kstest(x, reference(2.0, 1.5).cdf).pvalue > 1e-3


def test_from_expectation_rejects_eta_outside_the_domain():
    with pytest.raises(ValueError, match=r"eta\[1\] \(E\[X\]\) must be > 0"):
        Gamma.from_expectation(jnp.array([0.0, -1.0]))
    with pytest.raises(ValueError, match=r"eta must satisfy eta\[0\] < log\(eta\[1\]\)"):
        Gamma.from_expectation(jnp.array([1.0, 1.0]))
    with pytest.raises(Exception, match=r"eta must satisfy eta\[0\] < log\(eta\[1\]\)"):
        jax.jit(Gamma.from_expectation)(jnp.array([1.0, 1.0])).alpha.block_until_ready()
    with pytest.raises(Exception, match=r"eta must satisfy"):
        jax.vmap(Gamma.from_expectation)(jnp.array([[0.0, 2.0], [1.0, 1.0]])).alpha.block_until_ready()


def test_constant_data_raise_instead_of_returning_garbage():
    with pytest.raises(ValueError, match="eta must satisfy"):
        Gamma.fit_mle(np.full(10, 2.0))


def test_cpu_backend_refuses_traced_values():
    eta = Gamma(2.0, 1.0).expectation_params()
    with pytest.raises(TypeError, match="backend='jax'"):
        jax.jit(lambda e: Gamma.from_expectation(e, backend="cpu").alpha)(eta)


def _run(code):
    out = io.StringIO()
    with redirect_stdout(out):
        exec(code, {})
    return out.getvalue()


TUTORIAL_VMAP = '''
import jax
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp
import numpy as np
from normix import Gamma
np.set_printoptions(precision=4, suppress=True)

g_true = Gamma(alpha=jnp.array(2.0), beta=jnp.array(1.5))
datasets = jnp.stack([g_true.rvs(2000, seed=s) for s in range(8)])   # (8, 2000)

# Each dataset's expectation parameters, then a single batched solve.
etas = jax.vmap(lambda d: jax.vmap(Gamma.sufficient_statistics)(d).mean(0))(datasets)
fits = jax.vmap(Gamma.from_expectation)(etas)        # batched Gamma pytree

print("fitted alphas:", np.asarray(fits.alpha))
print("fitted betas :", np.asarray(fits.beta))
print("alpha mean ± sd: %.3f ± %.3f" % (float(fits.alpha.mean()), float(fits.alpha.std())))
'''

TUTORIAL_WARM_START = '''
import jax.numpy as jnp
from normix import Gamma
g_true = Gamma(alpha=jnp.array(2.0), beta=jnp.array(1.5))
X1 = g_true.rvs(5000, seed=0)
cold = Gamma.fit_mle(X1)
warm = Gamma.fit_mle(X1, theta0=g_true.natural_params())
print("cold start (alpha, beta):", float(cold.alpha), float(cold.beta))
print("warm start (alpha, beta):", float(warm.alpha), float(warm.beta))
'''


def _numbers(line):
    return np.array([float(v) for v in line.split(":", 1)[1].replace("[", " ").replace("]", " ").replace("±", " ")
                     .replace(",", " ").split()])


def test_tutorial_vmap_section():
    lines = _run(TUTORIAL_VMAP).splitlines()
    np.testing.assert_allclose(_numbers(lines[0]), [2.1107, 1.9357, 1.9964, 2.0283, 1.9852, 1.993, 2.0164, 2.0651],
                               atol=1e-4)
    np.testing.assert_allclose(_numbers(lines[1]), [1.6125, 1.4889, 1.4707, 1.5019, 1.4967, 1.515, 1.5366, 1.5359],
                               atol=1e-4)
    np.testing.assert_allclose(_numbers(lines[2]), [2.016, 0.050], atol=1e-3)


def test_tutorial_warm_start_section():
    lines = _run(TUTORIAL_WARM_START).splitlines()
    for line in lines:
        np.testing.assert_allclose(_numbers(line), [2.022789272342743, 1.509325547948308], rtol=1e-13)
