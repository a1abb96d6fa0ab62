"""Euler contributions: the sum rule, finite differences and the conditional expectations by mpmath.

∂ES/∂w = -E[X | L >= VaR] and ∂VaR/∂w = -E[X | L = VaR]; the references integrate over
the subordinator with mpmath (risk_reference.py): E[X 1{L > v}] = μ P(L > v) + γ E[Y Φ(-z)]
- (Σw/s) E[√Y φ(z)], and E[X | L = v] = μ - (Σw/s²)(v - m) + (γ + g Σw/s²) E[Y | L = v]
with E[Y | L = v] = E[√Y φ(z)]/(s f_L(v)).
"""
import numpy as np
import pytest

from normix import GeneralizedHyperbolic, NormalInverseGamma, NormalInverseGaussian, VarianceGamma
from normix.risk import expected_shortfall, risk_contributions, tail_risk, value_at_risk
from risk_reference import MixtureTail, loss_law, subordinator

MU = np.array([5e-4, -2e-4, 1e-4])
GAMMA = np.array([-2e-3, 1e-3, -5e-4])
SIGMA = 1e-4 * np.array([[1.0, 0.3, 0.1], [0.3, 2.0, -0.2], [0.1, -0.2, 0.5]])
WEIGHTS = np.array([[0.5, 0.3, 0.2], [1.0, -0.4, 0.3], [0.1, 0.1, 2.0]])
LEVELS = np.array([0.9, 0.99, 1 - 1e-8])

MODELS = {
    "nig": (NormalInverseGaussian, {"mu_ig": 1.0, "lam": 1.3}),
    "vg": (VarianceGamma, {"alpha": 1.6, "beta": 1.6}),
    "ninvg": (NormalInverseGamma, {"alpha": 2.5, "beta": 1.5}),
    "gh": (GeneralizedHyperbolic, {"p": 1.7, "a": 2.0, "b": 0.6}),
    "ninvg_infinite_mean": (NormalInverseGamma, {"alpha": 0.8, "beta": 0.8}),
}


def make(name, gamma=GAMMA):
    cls, sub = MODELS[name]
    return cls.from_classical(mu=MU, gamma=gamma, sigma=SIGMA, **sub)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_contributions_add_up_to_the_measure(name):
    # ninvg_infinite_mean (E[Y] = ∞): γ > 0 makes g = -wᵀγ < 0 for every portfolio here, so ES is finite
    model = make(name, gamma=GAMMA if name != "ninvg_infinite_mean" else np.full(3, 1e-3))
    var, es = tail_risk(model, WEIGHTS, LEVELS)
    for measure, value in (("es", es), ("var", var)):
        parts = risk_contributions(model, WEIGHTS, LEVELS, measure=measure)
        assert parts.shape == (3, 3, 3)
        np.testing.assert_allclose(parts.sum(axis=-1), value, rtol=1e-10, atol=0)


@pytest.mark.parametrize("name", ["nig", "vg", "ninvg", "gh"])
def test_gradients_match_finite_differences(name):
    model = make(name)
    w = WEIGHTS[1]
    for function, measure in ((expected_shortfall, "es"), (value_at_risk, "var")):
        gradient = risk_contributions(model, w, LEVELS, measure=measure) / w
        h = 1e-5 * np.abs(w)
        steps = np.diag(h)
        differences = np.stack([(function(model, w + e, LEVELS) - function(model, w - e, LEVELS)) / (2 * e.sum())
                                for e in steps], axis=-1)
        np.testing.assert_allclose(gradient, differences, rtol=1e-7, atol=1e-9 * np.abs(gradient).max())


@pytest.mark.parametrize("name", ["nig", "gh"])
def test_gradients_are_minus_the_conditional_means(name):
    cls, sub = MODELS[name]
    model = make(name)
    w, level = WEIGHTS[0], 0.99
    m, g, s = loss_law(MU, GAMMA, SIGMA, w)
    ref = MixtureTail(m, g, s, *subordinator(name, **sub), dps=30)
    v = value_at_risk(model, w, level)
    sigma_w = SIGMA @ w
    tail, y_tail, j = (float(ref.integral(v, kind)) for kind in ("sf", "y_tail", "j"))
    beyond = (MU * tail + GAMMA * y_tail - sigma_w / s * j) / (1 - level)
    np.testing.assert_allclose(risk_contributions(model, w, level, "es") / w, -beyond, rtol=1e-10)
    post = j / (s * float(ref.integral(v, "pdf")))
    at_var = MU - sigma_w / s**2 * (v - m) + (GAMMA + g * sigma_w / s**2) * post
    np.testing.assert_allclose(risk_contributions(model, w, level, "var") / w, -at_var, rtol=1e-10)


def test_returns_side_flips_the_sign():
    model = make("nig")
    np.testing.assert_array_equal(risk_contributions(model, WEIGHTS[0], 0.99, returns=True),
                                  -risk_contributions(model, WEIGHTS[0], 0.99))


def test_zero_weight_has_zero_contribution():
    parts = risk_contributions(make("gh"), [0.7, 0.0, 0.3], 0.99)
    assert parts[1] == 0.0 and parts.shape == (3,)


def test_infinite_es_has_no_contributions():
    model = NormalInverseGamma.from_classical(mu=MU, gamma=GAMMA, sigma=SIGMA, alpha=0.9, beta=1.0)
    with pytest.raises(ValueError, match="expected shortfall is infinite"):
        risk_contributions(model, WEIGHTS[0], 0.99)
    assert np.all(np.isfinite(risk_contributions(model, WEIGHTS[0], 0.99, measure="var")))
