"""VaR and ES of portfolios against independent references.

References: mpmath quadrature over the subordinator at 30 digits (risk_reference.py), the
closed forms of the normal law and of the Student t (scipy.stats), and the integral of
scipy.stats.norminvgauss.ppf over (α, 1).  The loss law of each portfolio is computed
by hand from (μ, γ, Σ, w) and the families' classical parameters.
"""
import numpy as np
import pytest
from scipy import integrate, stats

from normix import GeneralizedHyperbolic, NormalInverseGamma, NormalInverseGaussian, VarianceGamma
from normix.risk import expected_shortfall, tail_risk, value_at_risk
from risk_reference import MixtureTail, loss_law, subordinator

MU = np.array([5e-4, -2e-4, 1e-4])
GAMMA = np.array([-2e-3, 1e-3, -5e-4])
SIGMA = 1e-4 * np.array([[1.0, 0.3, 0.1], [0.3, 2.0, -0.2], [0.1, -0.2, 0.5]])
W = np.array([0.5, 0.3, 0.2])

# name: (class, classical subordinator parameters); realistic daily-return scales
LAWS = {
    "nig": (NormalInverseGaussian, {"mu_ig": 1.0, "lam": 1.3}),
    "vg": (VarianceGamma, {"alpha": 1.6, "beta": 1.6}),
    "ninvg": (NormalInverseGamma, {"alpha": 2.5, "beta": 1.5}),
    "gh": (GeneralizedHyperbolic, {"p": 1.7, "a": 2.0, "b": 0.6}),
}
# extreme cases: sharp steps (|γ| >> σ), nearly Gaussian, tiny Gamma shape, heavy InverseGamma with
# g < 0 (E[Y] infinite, the tilted size-biased law) and g > 0 with a finite mean
EXTREME = {
    "gh_sharp_step": (GeneralizedHyperbolic, {"p": -1.2, "a": 0.5, "b": 3.0}, 30.0),
    "nig_near_normal": (NormalInverseGaussian, {"mu_ig": 1.0, "lam": 400.0}, 1.0),
    "vg_small_shape": (VarianceGamma, {"alpha": 0.3, "beta": 0.3}, 1.0),
    "ninvg_infinite_mean": (NormalInverseGamma, {"alpha": 0.8, "beta": 0.8}, -10.0),
    "ninvg_heavy": (NormalInverseGamma, {"alpha": 1.3, "beta": 0.5}, 5.0),
}


def make(cls, sub, gamma_scale=1.0):
    return cls.from_classical(mu=MU, gamma=gamma_scale * GAMMA, sigma=SIGMA, **sub)


def family(cls):
    return {NormalInverseGaussian: "nig", VarianceGamma: "vg", NormalInverseGamma: "ninvg"}.get(cls, "gh")


def check_against_mpmath(cls, sub, gamma_scale, levels):
    model = make(cls, sub, gamma_scale)
    ref = MixtureTail(*loss_law(MU, gamma_scale * GAMMA, SIGMA, W), *subordinator(family(cls), **sub), dps=30)
    var, es = tail_risk(model, W, levels)
    for level, v, e in zip(levels, var, es):
        v_ref = ref.value_at_risk(level, v, steps=2)
        e_ref = ref.expected_shortfall(level, v_ref)
        assert abs(v - float(v_ref)) <= 1e-10 * abs(float(v_ref)), (level, v, v_ref)
        assert abs(e - float(e_ref)) <= 1e-10 * abs(float(e_ref)), (level, e, e_ref)


@pytest.mark.parametrize("name", sorted(LAWS))
def test_var_and_es_match_mpmath(name):
    cls, sub = LAWS[name]
    check_against_mpmath(cls, sub, 1.0, [0.999] if name != "nig" else [0.999, 1 - 1e-12])


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(LAWS) + sorted(EXTREME))
def test_var_and_es_match_mpmath_at_every_level(name):
    cls, sub, scale = EXTREME[name] if name in EXTREME else (*LAWS[name], 1.0)
    check_against_mpmath(cls, sub, scale, [0.9, 0.99, 0.999, 1 - 1e-6, 1 - 1e-12])


def test_tilted_size_biased_law_matches_mpmath():
    """NInvG with α = 0.8 < 1 (E[Y] = ∞) and g < 0: ES is finite and exact."""
    cls, sub, scale = EXTREME["ninvg_infinite_mean"]
    check_against_mpmath(cls, sub, scale, [0.99])


def test_symmetric_inverse_gamma_is_a_student_t():
    """a = 0 and γ = 0: L = m + s √Y Z = m + s √(β/α) T_{2α}; ES of a t in closed form."""
    alpha, beta = 0.8, 1.1  # 1.6 degrees of freedom: E[Y] = ∞ but E|L| < ∞
    model = NormalInverseGamma.from_classical(mu=MU, gamma=np.zeros(3), sigma=SIGMA, alpha=alpha, beta=beta)
    m, _, s = loss_law(MU, np.zeros(3), SIGMA, W)
    nu, scale = 2 * alpha, s * np.sqrt(beta / alpha)
    levels = np.array([0.9, 0.99, 0.9999])
    t = stats.t.isf(1 - levels, nu)
    es_t = stats.t.pdf(t, nu) * (nu + t**2) / (nu - 1) / (1 - levels)
    var, es = tail_risk(model, W, levels)
    np.testing.assert_allclose(var, m + scale * t, rtol=1e-12)
    np.testing.assert_allclose(es, m + scale * es_t, rtol=1e-12)


def test_infinite_expected_shortfall():
    """E[L⁺] = ∞: NInvG with α <= 1 and g > 0, or α <= 1/2 and g = 0; VaR stays finite."""
    model = NormalInverseGamma.from_classical(mu=MU, gamma=GAMMA, sigma=SIGMA, alpha=0.9, beta=1.0)
    assert -W @ GAMMA > 0
    var, es = tail_risk(model, W, [0.95, 0.99])
    assert np.all(np.isfinite(var)) and np.all(es == np.inf)
    t_half = NormalInverseGamma.from_classical(mu=MU, gamma=np.zeros(3), sigma=SIGMA, alpha=0.5, beta=1.0)
    assert expected_shortfall(t_half, W, 0.99) == np.inf


def test_normal_limit():
    """GH(p = 1, a = b = λ) concentrates Y at 1 (Var Y = O(1/λ)), so VaR and ES tend to the normal's
    m + s Φ⁻¹(α) and m + s φ(Φ⁻¹(α))/(1 - α) with an error c/λ + O(1/λ²): at λ = 1e6 within 5e-6, and the
    Richardson extrapolation of λ = 1e5 and 1e6 within 1e-10."""
    m, _, s = loss_law(MU, np.zeros(3), SIGMA, W)
    levels = np.array([0.9, 0.99, 0.999])
    z = stats.norm.ppf(levels)
    normal = m + s * z, m + s * stats.norm.pdf(z) / (1 - levels)

    def measures(lam):
        model = GeneralizedHyperbolic.from_classical(mu=MU, gamma=np.zeros(3), sigma=SIGMA, p=1.0, a=lam, b=lam)
        return np.array(tail_risk(model, W, levels))

    coarse, fine = measures(1e5), measures(1e6)
    np.testing.assert_allclose(fine, normal, rtol=5e-6)
    np.testing.assert_allclose((10.0 * fine - coarse) / 9.0, normal, rtol=1e-10)


def test_nig_es_is_the_mean_of_scipy_quantiles():
    """ES_α = (1/(1 - α)) ∫_α^1 F⁻¹(u) du with scipy.stats.norminvgauss (accurate in the bulk)."""
    mu_ig, lam, m, g, s = 1.0, 1.3, 0.01, -0.02, 0.1
    model = NormalInverseGaussian.from_classical(mu=[-m], gamma=[-g], sigma=[[s * s]], mu_ig=mu_ig, lam=lam)
    alpha = np.sqrt(lam / mu_ig**2 + g**2 / s**2) / s
    beta, delta = g / s**2, s * np.sqrt(lam)
    law = stats.norminvgauss(alpha * delta, beta * delta, loc=m, scale=delta)
    for level in (0.9, 0.95):
        mean_quantile = integrate.quad(law.ppf, level, 1.0, limit=200, epsrel=1e-10)[0] / (1 - level)
        np.testing.assert_allclose(expected_shortfall(model, [1.0], level), mean_quantile, rtol=1e-7)
        np.testing.assert_allclose(value_at_risk(model, [1.0], level), law.ppf(level), rtol=1e-8)


@pytest.mark.parametrize("name", sorted(LAWS))
def test_es_exceeds_var_and_both_grow_with_the_level(name):
    model = make(*LAWS[name])
    levels = np.array([0.5, 0.9, 0.99, 0.999, 1 - 1e-8])
    var, es = tail_risk(model, W, levels)
    assert np.all(es > var) and np.all(np.diff(var) > 0) and np.all(np.diff(es) > 0)


def test_returns_side_and_scale():
    """returns=True reports the lower tail of R = wᵀX: -VaR and -ES; both scale with w (degree 1)."""
    model = make(*LAWS["nig"])
    var, es = tail_risk(model, W, 0.99)
    assert value_at_risk(model, W, 0.99, returns=True) == -var
    assert expected_shortfall(model, W, 0.99, returns=True) == -es
    np.testing.assert_allclose(tail_risk(model, 3.0 * W, 0.99), (3.0 * var, 3.0 * es), rtol=1e-13)


def test_shapes_and_batches_agree_with_single_portfolios():
    model = make(*LAWS["gh"])
    weights = np.array([W, [1.0, 0.0, 0.0], [0.2, -0.5, 1.0]])
    levels = np.array([0.95, 0.99])
    es = expected_shortfall(model, weights, levels)
    assert es.shape == (3, 2)
    assert expected_shortfall(model, weights, 0.99).shape == (3,)
    assert expected_shortfall(model, W, levels).shape == (2,)
    assert np.ndim(expected_shortfall(model, W, 0.99)) == 0
    for k in range(3):
        for j, level in enumerate(levels):
            np.testing.assert_allclose(expected_shortfall(model, weights[k], level), es[k, j], rtol=1e-14)
