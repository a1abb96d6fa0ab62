"""Closed-form moments (normix.mixtures.moments) against quadrature of the density and scipy.stats."""
import jax
import numpy as np
import pytest
import scipy.stats as st
from scipy import integrate

from normix import GeneralizedHyperbolic, NormalInverseGamma, NormalInverseGaussian
from tests.mixtures.mixture_cases import NAMES, make_model


def quadrature_moments(model, orders):
    """E[X^k] by scipy.integrate.quad of x^k exp(log_prob(x)) (d = 1), and the central moments."""
    density = jax.jit(lambda x: model.pdf(x[None]))

    def moment(k, centre=0.0):
        value, _ = integrate.quad(lambda x: (x - centre) ** k * float(density(x)), -np.inf, np.inf,
                                  epsabs=1e-12, epsrel=1e-10, limit=400)
        return value

    raw = {k: moment(k) for k in orders}
    mean = raw[1]
    return raw, {k: moment(k, mean) for k in orders}


@pytest.mark.parametrize("name", NAMES)
def test_moments_match_quadrature_of_the_density(name):
    model = make_model(name, 3, seed=1, **({"alpha": 9.5} if name == "ninvg" else {})).margin(1)
    orders = (0, 1, 2, 3, 4)
    raw, central = quadrature_moments(model, orders)
    for k in orders:
        assert float(model.moment(k)) == pytest.approx(raw[k], rel=1e-7, abs=1e-9)
        assert float(model.central_moment(k)) == pytest.approx(central[k], rel=1e-7, abs=1e-9)
    assert float(model.skewness()[0]) == pytest.approx(central[3] / central[2] ** 1.5, rel=1e-7)
    assert float(model.kurtosis()[0]) == pytest.approx(central[4] / central[2] ** 2 - 3.0, rel=1e-7)
    assert float(model.moment(1)) == pytest.approx(float(model.mean()[0]), rel=1e-13)
    assert float(model.central_moment(2)) == pytest.approx(float(model.cov()[0, 0]), rel=1e-12)


def test_skewness_and_kurtosis_agree_with_scipy_nig_and_genhyperbolic():
    nig = NormalInverseGaussian.from_classical(mu=[0.3], gamma=[-0.4], sigma=[[1.7]], mu_ig=1.2, lam=0.8)
    gh = GeneralizedHyperbolic.from_classical(mu=[0.3], gamma=[0.6], sigma=[[0.9]], p=1.7, a=2.0, b=0.4)
    for model, frozen in ((nig, st.norminvgauss(1.3, -0.5, loc=0.3, scale=1.1)),
                          (gh, st.genhyperbolic(1.7, 1.5, 0.6, loc=0.3, scale=0.9))):
        law = model.to_scipy()
        mean, variance, skew, kurt = (float(v) for v in law.stats("mvsk"))
        assert float(model.moment(1)) == pytest.approx(mean, rel=1e-12)
        assert float(model.central_moment(2)) == pytest.approx(variance, rel=1e-12)
        assert float(model.skewness()[0]) == pytest.approx(skew, rel=1e-10)
        assert float(model.kurtosis()[0]) == pytest.approx(kurt, rel=1e-10)
        other = type(model).from_scipy(frozen)
        assert float(other.skewness()[0]) == pytest.approx(float(frozen.stats("s")), rel=1e-10)
        assert float(other.kurtosis()[0]) == pytest.approx(float(frozen.stats("k")), rel=1e-10)


def test_skewness_and_kurtosis_of_every_margin():
    model = make_model("gh", 3)
    for i in range(3):
        margin = model.margin(i)
        variance = float(margin.central_moment(2))
        assert float(model.skewness()[i]) == pytest.approx(float(margin.central_moment(3)) / variance ** 1.5,
                                                           rel=1e-12)
        assert float(model.kurtosis()[i]) == pytest.approx(float(margin.central_moment(4)) / variance ** 2 - 3,
                                                           rel=1e-12)


def test_inverse_gamma_moments_are_infinite_exactly_where_they_do_not_exist():
    # shape alpha = 2.5: with gamma != 0, E|X|^k < inf iff k < 2.5; with gamma = 0 iff k < 5.
    skewed = NormalInverseGamma.from_classical(mu=[0.1], gamma=[0.5], sigma=[[1.0]], alpha=2.5, beta=1.0)
    symmetric = NormalInverseGamma.from_classical(mu=[0.1], gamma=[0.0], sigma=[[1.0]], alpha=2.5, beta=1.0)
    assert [bool(np.isfinite(skewed.moment(k))) for k in range(6)] == [True, True, True, False, False, False]
    assert [bool(np.isfinite(symmetric.moment(k))) for k in range(7)] == [True] * 5 + [False, False]
    assert float(symmetric.central_moment(3)) == 0.0
    assert np.isinf(skewed.skewness()[0]) and np.isinf(skewed.kurtosis()[0])
    assert float(symmetric.skewness()[0]) == 0.0 and np.isfinite(symmetric.kurtosis()[0])
    # the symmetric fourth moment against Student t: X = mu + sqrt(beta/alpha) T, T ~ t(2 alpha)
    t = st.t(5.0, loc=0.1, scale=np.sqrt(1.0 / 2.5))
    assert float(symmetric.central_moment(4)) == pytest.approx(float(t.expect(lambda x: (x - 0.1) ** 4)), rel=1e-8)
    assert float(symmetric.kurtosis()[0]) == pytest.approx(float(t.stats("k")), rel=1e-12)


def test_batched_moments_and_jit():
    model = make_model("vg", 3)
    W = np.array([[1.0, 0.0, 0.0], [0.3, -0.2, 1.0]])
    batched = model.project(W)
    np.testing.assert_allclose(batched.moment(3), [float(model.project(w).moment(3)) for w in W], rtol=1e-12)
    moment = jax.jit(lambda m: m.central_moment(4))
    assert float(moment(model.margin(0))) == pytest.approx(float(model.margin(0).central_moment(4)), rel=1e-13)


@pytest.mark.parametrize("k", [-1, 1.5, True, "2"])
def test_moment_rejects_bad_orders(k):
    with pytest.raises(ValueError, match="k must be an integer >= 0"):
        make_model("nig", 1).moment(k)


def test_moment_needs_a_univariate_law():
    with pytest.raises(ValueError, match="univariate laws \\(d = 1\\), got d = 2.*margin"):
        make_model("nig", 2).central_moment(2)
