"""scipy.stats and R ghyp interoperability (to_scipy / from_scipy, normix.utils.ghyp).

References: scipy's own logpdf; a transcription of ghyp's density (``.dghypmv`` for
χ > 0, ψ > 0: the λ, χ, ψ formula of Breymann and Lüthi) in numpy/scipy; the GIG mean
by quadrature for the alpha-bar scale.
"""
import numpy as np
import pytest
import scipy.stats as st
from scipy import integrate, special

from normix import GeneralizedHyperbolic, NormalInverseGamma, NormalInverseGaussian, VarianceGamma
from normix.utils.ghyp import alpha_bar_to_chi_psi, from_ghyp_alpha_bar, from_ghyp_chi_psi, to_ghyp_alpha_bar, \
    to_ghyp_chi_psi

POINTS = (-4.0, -0.7, 0.0, 0.35, 2.0, 6.0)


def test_nig_to_scipy_has_the_same_log_density():
    model = NormalInverseGaussian.from_classical(mu=[0.3], gamma=[-0.4], sigma=[[1.7]], mu_ig=1.2, lam=0.8)
    frozen = model.to_scipy()
    assert frozen.dist.name == "norminvgauss"
    for x in POINTS:
        assert float(model.log_prob(np.array([x]))) == pytest.approx(frozen.logpdf(x), rel=1e-12, abs=1e-12)


def test_gh_to_scipy_has_the_same_log_density():
    model = GeneralizedHyperbolic.from_classical(mu=[-0.2], gamma=[0.5], sigma=[[0.8]], p=1.4, a=0.9, b=1.6)
    frozen = model.to_scipy()
    assert frozen.dist.name == "genhyperbolic"
    for x in POINTS:
        assert float(model.log_prob(np.array([x]))) == pytest.approx(frozen.logpdf(x), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("cls, frozen", [
    (NormalInverseGaussian, st.norminvgauss(2.0, 0.7, loc=-0.3, scale=1.4)),
    (NormalInverseGaussian, st.norminvgauss(a=1.1, b=-1.0)),
    (GeneralizedHyperbolic, st.genhyperbolic(0.8, 1.5, -0.4, loc=1.0, scale=0.5)),
    (GeneralizedHyperbolic, st.genhyperbolic(-2.3, 0.4, 0.3, 2.0, 3.0)),
])
def test_from_scipy_round_trip(cls, frozen):
    model = cls.from_scipy(frozen)
    assert type(model) is cls
    for x in POINTS:
        assert float(model.log_prob(np.array([x]))) == pytest.approx(frozen.logpdf(x), rel=1e-12, abs=1e-12)
    back = model.to_scipy()
    for x in POINTS:
        assert back.logpdf(x) == pytest.approx(frozen.logpdf(x), rel=1e-12, abs=1e-12)


def test_scipy_conversions_reject_what_scipy_cannot_hold():
    with pytest.raises(ValueError, match="univariate law \\(d = 1\\), got d = 2"):
        NormalInverseGaussian.from_classical(mu=[0.0, 0.0], gamma=[0.0, 0.0], sigma=np.eye(2), mu_ig=1.0,
                                             lam=1.0).to_scipy()
    vg_limit = GeneralizedHyperbolic.from_classical(mu=[0.0], gamma=[0.1], sigma=[[1.0]], p=2.0, a=1.0, b=0.0)
    with pytest.raises(ValueError, match="a > 0 and b > 0"):
        vg_limit.to_scipy()
    with pytest.raises(ValueError, match="frozen must be a frozen scipy.stats.norminvgauss"):
        NormalInverseGaussian.from_scipy(st.genhyperbolic(0.8, 1.5, -0.4))
    with pytest.raises(ValueError, match="frozen must be a frozen scipy.stats.genhyperbolic"):
        GeneralizedHyperbolic.from_scipy(st.norm())
    with pytest.raises(ValueError, match="\\|b\\| < a"):
        GeneralizedHyperbolic.from_scipy(st.genhyperbolic(0.8, 1.0, 1.5))


def ghyp_log_density(x, lam, chi, psi, mu, sigma, gamma):
    """ghyp's .dghypmv for chi > 0, psi > 0 (transcribed from the R package, numpy/scipy only)."""
    x, mu, gamma, sigma = (np.atleast_1d(np.asarray(v, dtype=float)) for v in (x, mu, gamma, sigma))
    sigma = sigma.reshape(mu.size, mu.size)
    d = mu.size
    inverse = np.linalg.inv(sigma)
    Q = (x - mu) @ inverse @ (x - mu)
    skew_scaled = (x - mu) @ inverse @ gamma
    skew_norm = gamma @ inverse @ gamma
    z = np.sqrt((psi + skew_norm) * (chi + Q))
    log_top = np.log(special.kve(lam - d / 2, z)) - z + skew_scaled
    log_bottom = (d / 2 - lam) * np.log(z)
    log_const_top = -lam / 2 * np.log(psi * chi) + d / 2 * np.log(psi) + (d / 2 - lam) * np.log(1 + skew_norm / psi)
    w = np.sqrt(chi * psi)
    log_const_bottom = (d / 2 * np.log(2 * np.pi) + np.log(special.kve(lam, w)) - w
                        + 0.5 * np.log(np.linalg.det(sigma)))
    return log_const_top + log_top - log_const_bottom - log_bottom


def test_chi_psi_form_has_ghyps_density_and_round_trips():
    sigma = np.array([[1.5, 0.4, 0.0], [0.4, 1.0, -0.2], [0.0, -0.2, 0.7]])
    params = {"lambda_": -1.3, "chi": 0.9, "psi": 2.1, "mu": np.array([0.1, -0.5, 1.0]), "sigma": sigma,
              "gamma": np.array([0.3, 0.0, -0.6])}
    model = from_ghyp_chi_psi(**params)
    for x in (np.array([0.0, 0.0, 0.0]), np.array([1.0, -2.0, 0.5]), np.array([-3.0, 1.0, 2.0])):
        reference = ghyp_log_density(x, params["lambda_"], params["chi"], params["psi"], params["mu"], sigma,
                                     params["gamma"])
        assert float(model.log_prob(x)) == pytest.approx(reference, rel=1e-12, abs=1e-12)
    back = to_ghyp_chi_psi(model)
    for key, value in params.items():
        np.testing.assert_allclose(back[key], value, rtol=1e-14, err_msg=key)


def test_univariate_ghyp_sigma_is_a_scale():
    model = from_ghyp_chi_psi(0.5, 1.2, 0.8, mu=0.2, sigma=1.5, gamma=-0.3)
    for x in POINTS:
        reference = ghyp_log_density(x, 0.5, 1.2, 0.8, 0.2, 1.5 ** 2, -0.3)
        assert float(model.log_prob(np.array([x]))) == pytest.approx(reference, rel=1e-12, abs=1e-12)
    back = to_ghyp_chi_psi(model)
    assert back["sigma"] == pytest.approx(1.5, rel=1e-15) and isinstance(back["mu"], float)


@pytest.mark.parametrize("lam, alpha_bar", [(1.3, 0.7), (-0.5, 2.0), (-2.5, 0.05), (0.0, 1.0)])
def test_alpha_bar_fixes_the_mean_of_w_to_one(lam, alpha_bar):
    chi, psi = alpha_bar_to_chi_psi(lam, alpha_bar)
    assert np.sqrt(chi * psi) == pytest.approx(alpha_bar, rel=1e-13)
    law = st.geninvgauss(lam, np.sqrt(chi * psi), scale=np.sqrt(chi / psi))
    mean, _ = integrate.quad(lambda w: w * law.pdf(w), 0, np.inf, epsrel=1e-11)
    assert mean == pytest.approx(1.0, rel=1e-9)


@pytest.mark.parametrize("model", [
    GeneralizedHyperbolic.from_classical(mu=[0.3, -1.0], gamma=[-0.4, 0.2], sigma=[[1.7, 0.2], [0.2, 1.0]], p=1.3,
                                         a=2.0, b=0.7),
    NormalInverseGaussian.from_classical(mu=[0.3], gamma=[0.5], sigma=[[2.0]], mu_ig=0.6, lam=1.9),
    VarianceGamma.from_classical(mu=[0.0, 1.0], gamma=[0.3, -0.1], sigma=np.eye(2), alpha=1.5, beta=0.7),
    NormalInverseGamma.from_classical(mu=[0.2], gamma=[0.1], sigma=[[0.5]], alpha=3.0, beta=1.1),
])
def test_alpha_bar_round_trip_keeps_the_law(model):
    params = to_ghyp_alpha_bar(model)
    back = from_ghyp_alpha_bar(**params)
    p, a, b = (float(v) for v in back.joint.gig_params())
    mean_w = st.geninvgauss(p, np.sqrt(a * b), scale=np.sqrt(b / a)).mean() if a > 0 and b > 0 else \
        (2 * p / a if b == 0 else b / 2 / (-p - 1))
    assert mean_w == pytest.approx(1.0, rel=1e-10)
    rng = np.random.default_rng(3)
    for x in rng.normal(size=(4, model.d)):
        assert float(back.log_prob(x)) == pytest.approx(float(model.log_prob(x)), rel=1e-12, abs=1e-12)


def test_ghyp_converters_reject_bad_input():
    with pytest.raises(ValueError, match="alpha_bar = 0 needs lambda_ > 0"):
        alpha_bar_to_chi_psi(-0.5, 0.0)
    with pytest.raises(ValueError, match="alpha_bar must be >= 0"):
        alpha_bar_to_chi_psi(1.0, -1.0)
    with pytest.raises(ValueError, match="sigma must be the \\(d, d\\) dispersion matrix"):
        from_ghyp_chi_psi(1.0, 1.0, 1.0, mu=[0.0, 0.0], sigma=1.0, gamma=[0.0, 0.0])
    with pytest.raises(ValueError, match="b must be > 0 unless p > 0"):
        from_ghyp_chi_psi(-1.0, 0.0, 1.0, mu=0.0, sigma=1.0, gamma=0.0)
    heavy = NormalInverseGamma.from_classical(mu=[0.0], gamma=[0.0], sigma=[[1.0]], alpha=0.8, beta=1.0)
    with pytest.raises(ValueError, match="finite mean"):
        to_ghyp_alpha_bar(heavy)
