"""cdf, sf and quantiles of d = 1 mixture laws through the model, against independent references.

References: scipy.stats.norminvgauss (NIG, in the bulk, where its quadrature is good to
about 1e-10 absolute) and the integral of the model's own density by scipy.integrate.quad
(in the tails, relative to the value).  The kernel tests (tests/kernels/test_univariate_cdf.py)
check the kernels against mpmath at high precision.
"""
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import integrate, stats

from normix import GeneralizedHyperbolic, NormalInverseGamma, NormalInverseGaussian, VarianceGamma
from normix.mixtures import univariate

M, G, S = 5e-4, -2e-3, 1e-2
MODELS = {
    "nig": NormalInverseGaussian.from_classical(mu=[M], gamma=[G], sigma=[[S**2]], mu_ig=1.0, lam=1.3),
    "vg": VarianceGamma.from_classical(mu=[M], gamma=[G], sigma=[[S**2]], alpha=0.8, beta=0.8),
    "ninvg": NormalInverseGamma.from_classical(mu=[M], gamma=[G], sigma=[[S**2]], alpha=2.5, beta=1.5),
    "gh": GeneralizedHyperbolic.from_classical(mu=[M], gamma=[G], sigma=[[S**2]], p=1.7, a=2.0, b=0.6),
}


def density_integral(model, lower, upper):
    """∫ f over a tail [lower, upper] (one end infinite) by adaptive quadrature of exp(log_prob)."""
    f = lambda t: float(np.exp(model.log_prob(jnp.array([t]))))  # noqa: E731
    value, _ = integrate.quad(f, lower, upper, limit=400, epsabs=0, epsrel=1e-12)
    return value


def test_nig_bulk_matches_scipy():
    model = MODELS["nig"]
    mu_ig, lam = 1.0, 1.3
    alpha = np.sqrt(lam / mu_ig**2 + G**2 / S**2) / S
    beta, delta = G / S**2, S * np.sqrt(lam)
    reference = stats.norminvgauss(alpha * delta, beta * delta, loc=M, scale=delta)
    x = M + S * np.linspace(-4, 4, 9)
    np.testing.assert_allclose(univariate.cdf(model, x), reference.cdf(x), rtol=0, atol=1e-9)
    np.testing.assert_allclose(univariate.sf(model, x), reference.sf(x), rtol=0, atol=1e-9)
    q = np.array([0.01, 0.3, 0.5, 0.9, 0.999])
    np.testing.assert_allclose(univariate.ppf(model, q), reference.ppf(q), rtol=1e-7)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_tails_match_the_integral_of_the_density(name):
    model = MODELS[name]
    for x in (M - 8 * S, M - 2 * S):
        want = density_integral(model, -np.inf, x)
        np.testing.assert_allclose(float(univariate.cdf(model, x)), want, rtol=1e-8)
    for x in (M + 2 * S, M + 8 * S):
        want = density_integral(model, x, np.inf)
        np.testing.assert_allclose(float(univariate.sf(model, x)), want, rtol=1e-8)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_quantiles_invert_the_distribution_function(name):
    model = MODELS[name]
    # NInvG's power-law tails: the quantile kernel is checked down to 1e-12 there (see the kernel's notes).
    smallest = 1e-12 if name == "ninvg" else 1e-300
    q = np.array([smallest, 1e-30 if name != "ninvg" else 1e-10, 1e-6, 0.2, 0.5, 0.8])
    x = univariate.ppf(model, q)
    np.testing.assert_allclose(univariate.logcdf(model, x), np.log(q), rtol=1e-10)
    upper = univariate.isf(model, q)
    np.testing.assert_allclose(univariate.logsf(model, upper), np.log(q), rtol=1e-10)
    assert np.all(np.diff(x) > 0) and np.all(np.diff(upper) < 0)
    cdf, sf = univariate.cdf(model, x[3:]), univariate.sf(model, x[3:])
    np.testing.assert_allclose(cdf + sf, 1.0, rtol=0, atol=1e-15)


def test_jax_backend_agrees_and_edges():
    model = MODELS["gh"]
    x = M + S * np.array([-30.0, -1.0, 0.3, 40.0])
    np.testing.assert_allclose(np.asarray(univariate.logcdf(model, x, backend="jax")), univariate.logcdf(model, x),
                               rtol=1e-11)
    np.testing.assert_allclose(np.asarray(univariate.ppf(model, [0.05, 0.5], backend="jax")),
                               univariate.ppf(model, [0.05, 0.5]), rtol=1e-11)
    edges = univariate.cdf(model, np.array([-np.inf, np.inf, np.nan]))
    assert edges[0] == 0.0 and edges[1] == 1.0 and np.isnan(edges[2])
    assert list(univariate.ppf(model, [0.0, 1.0])) == [-np.inf, np.inf]


def test_bad_input_names_the_argument():
    with pytest.raises(ValueError, match="univariate law"):
        univariate.cdf(NormalInverseGaussian.from_classical(mu=[0.0, 0.0], gamma=[0.0, 0.0], sigma=np.eye(2),
                                                            mu_ig=1.0, lam=1.0), 0.0)
    with pytest.raises(ValueError, match="q must be probabilities"):
        univariate.ppf(MODELS["nig"], [0.5, 1.5])
    with pytest.raises(ValueError, match="x"):
        univariate.cdf(MODELS["nig"], "0.1")


def test_model_methods_and_batched_projections():
    X = NormalInverseGaussian.from_classical(mu=[0.0, 1e-3], gamma=[1e-3, -2e-3], sigma=[[1e-4, 3e-5], [3e-5, 2e-4]],
                                             mu_ig=1.0, lam=1.3)
    W = np.array([[0.6, 0.4], [1.0, 0.0], [0.2, 0.8]])
    batched = X.project(W)
    x = np.linspace(-0.05, 0.05, 7)[:, None]
    together = batched.cdf(x)
    assert together.shape == (7, 3)
    for k, w in enumerate(W):
        one = X.project(w)
        np.testing.assert_allclose(together[:, k], one.cdf(x[:, 0]), rtol=1e-13)
        np.testing.assert_allclose(one.ppf([0.01]), univariate.ppf(one, [0.01]), rtol=0)
        np.testing.assert_allclose(one.logsf(0.02), np.log(one.sf(0.02)), rtol=1e-13)
