"""Stress scenarios against a conditional law built by hand and mpmath, and against Monte Carlo on a thin slab.

The reference conditional law is the Schur complement of Σ in numpy (not
normix.mixtures.conditional): Y | x_A ~ GIG(p - d_A/2, a + γ_AᵀΣ_AA⁻¹γ_A, b + Q_A) and
X_B | Y, x_A ~ N(μ_B + Σ_BAΣ_AA⁻¹(x_A - μ_A) + (γ_B - Σ_BAΣ_AA⁻¹γ_A) Y, Σ_B|A Y); its
loss law's VaR and ES come from mpmath quadrature (risk_reference.py).
"""
import numpy as np
import pytest

from normix import NormalInverseGaussian, VarianceGamma
from normix.risk import stress
from risk_reference import MixtureTail

MU = np.array([5e-4, 3e-4, 1e-4])
GAMMA = np.array([-2e-3, 1e-3, 5e-4])
SIGMA = 1e-4 * np.array([[1.0, 0.5, 0.2], [0.5, 2.0, 0.3], [0.2, 0.3, 1.5]])
W = np.array([0.5, 0.3, 0.2])
MU_IG, LAM = 1.0, 1.3
MODEL = NormalInverseGaussian.from_classical(mu=MU, gamma=GAMMA, sigma=SIGMA, mu_ig=MU_IG, lam=LAM)


def conditional_loss_law(columns, x_a, w, p=-0.5, a=LAM / MU_IG**2, b=LAM):
    """(m, g, s, p', a', b') of the loss given X_A = x_A, by the Schur complement."""
    A = list(columns)
    B = [i for i in range(3) if i not in A]
    S_aa, S_ba, S_bb = SIGMA[np.ix_(A, A)], SIGMA[np.ix_(B, A)], SIGMA[np.ix_(B, B)]
    K = S_ba @ np.linalg.inv(S_aa)
    r = x_a - MU[A]
    mu_b, gamma_b, sigma_b = MU[B] + K @ r, GAMMA[B] - K @ GAMMA[A], S_bb - K @ S_ba.T
    p_c = p - len(A) / 2
    a_c = a + GAMMA[A] @ np.linalg.solve(S_aa, GAMMA[A])
    b_c = b + r @ np.linalg.solve(S_aa, r)
    m = -w[A] @ x_a - w[B] @ mu_b
    return m, -w[B] @ gamma_b, np.sqrt(w[B] @ sigma_b @ w[B]), p_c, a_c, b_c


def test_one_scenario_matches_the_hand_built_law():
    result = stress(MODEL, {0: -0.03}, W, [0.95, 0.999])
    m, g, s, p, a, b = conditional_loss_law([0], np.array([-0.03]), W)
    ref = MixtureTail(m, g, s, p, a, b, dps=30)
    for j, level in enumerate([0.95, 0.999]):
        v = ref.value_at_risk(level, result.value_at_risk[j], steps=2)
        np.testing.assert_allclose(result.value_at_risk[j], float(v), rtol=1e-10)
        np.testing.assert_allclose(result.expected_shortfall[j], float(ref.expected_shortfall(level, v)), rtol=1e-10)
    # E[Y | x_A] of GIG(p', a', b') by quadrature of the density
    y = np.exp(np.linspace(-12, 8, 200001))
    density = y ** (p - 1) * np.exp(-(a * y + b / y) / 2) * y
    np.testing.assert_allclose(result.mean, m + g * np.sum(density * y) / np.sum(density), rtol=1e-10)
    assert result.columns == (0,) and result.returns is False


def test_scenarios_portfolios_and_levels_batch():
    shocks = {2: np.array([-0.02, 0.0, 0.01]), 0: 0.005}
    weights = np.array([W, [1.0, -1.0, 0.5]])
    result = stress(MODEL, shocks, weights, [0.9, 0.99])
    assert result.value_at_risk.shape == (3, 2, 2) and result.mean.shape == (3, 2)
    np.testing.assert_array_equal(result.scenarios, [[-0.02, 0.005], [0.0, 0.005], [0.01, 0.005]])
    for s in range(3):
        one = stress(MODEL, {2: shocks[2][s], 0: 0.005}, weights[1], 0.99)
        np.testing.assert_allclose(one.expected_shortfall, result.expected_shortfall[s, 1, 1], rtol=1e-14)
        np.testing.assert_allclose(one.mean, result.mean[s, 1], rtol=1e-14)
        m, g, s_, p, a, b = conditional_loss_law([2, 0], np.array([shocks[2][s], 0.005]), weights[1])
        ref = MixtureTail(m, g, s_, p, a, b, dps=20)
        np.testing.assert_allclose(one.value_at_risk, float(ref.value_at_risk(0.99, one.value_at_risk)), rtol=1e-9)


def test_only_shocked_assets_is_deterministic_and_returns_flip():
    result = stress(MODEL, {0: -0.03, 1: 0.01}, [0.5, 0.5, 0.0], [0.9, 0.99])
    np.testing.assert_allclose([result.mean, *result.value_at_risk, *result.expected_shortfall], 0.01, rtol=1e-15)
    flipped = stress(MODEL, {1: 0.01}, W, 0.99, returns=True)
    plain = stress(MODEL, {1: 0.01}, W, 0.99)
    assert flipped.returns and flipped.expected_shortfall == -plain.expected_shortfall
    assert flipped.mean == -plain.mean


def test_gamma_limit_conditional_law():
    """VG given x_A away from μ_A: a GH law with b' > 0 (checked by hand and mpmath)."""
    model = VarianceGamma.from_classical(mu=MU, gamma=GAMMA, sigma=SIGMA, alpha=1.6, beta=1.6)
    result = stress(model, {1: 0.02}, W, 0.99)
    ref = MixtureTail(*conditional_loss_law([1], np.array([0.02]), W, p=1.6, a=3.2, b=0.0), dps=20)
    np.testing.assert_allclose(result.value_at_risk, float(ref.value_at_risk(0.99, result.value_at_risk)),
                               rtol=1e-9)


@pytest.mark.parametrize("shocks, match", [
    ({}, "shocks must be a non-empty dict"),
    ([0.1], "shocks must be a non-empty dict"),
    ({3: 0.1}, r"shocks keys must be in \[0, 3\)"),
    ({0: 0.1, 1: 0.1, 2: 0.1}, "must leave at least one"),
    ({0: [0.1, 0.2], 1: [0.1, 0.2, 0.3]}, "one common, non-zero length"),
    ({0: np.nan}, "must be finite"),
    ({0: "x"}, "must hold real numbers"),
    ({0: [[0.1]]}, "scalars or 1-d arrays"),
])
def test_bad_shocks(shocks, match):
    with pytest.raises(ValueError, match=match):
        stress(MODEL, shocks, W, 0.99)


@pytest.mark.slow
def test_matches_monte_carlo_on_a_thin_slab():
    """Draws with |X_0 - x_0| < 5e-4 approximate the conditional law; agreement within 4 standard errors."""
    x0, level = -0.03, 0.95
    X = np.asarray(MODEL.rvs(8_000_000, seed=7))
    L = -(X[np.abs(X[:, 0] - x0) < 5e-4] @ W)
    n = L.size
    result = stress(MODEL, {0: x0}, W, level)
    assert abs(L.mean() - result.mean) < 4 * L.std() / np.sqrt(n)
    v = np.quantile(L, level)
    density = np.mean(np.abs(L - v) < 1e-3) / 2e-3
    assert abs(v - result.value_at_risk) < 4 * np.sqrt(level * (1 - level) / n) / density
    beyond = L[L >= v]
    assert abs(beyond.mean() - result.expected_shortfall) < 4 * beyond.std() / np.sqrt(beyond.size) + abs(
        v - result.value_at_risk)


@pytest.mark.slow
def test_jax_backend_agrees():
    cpu = stress(MODEL, {0: np.array([-0.03, 0.01])}, W, [0.95, 0.99])
    jax_result = stress(MODEL, {0: np.array([-0.03, 0.01])}, W, [0.95, 0.99], backend="jax")
    for field in ("mean", "value_at_risk", "expected_shortfall"):
        np.testing.assert_allclose(np.asarray(getattr(jax_result, field)), getattr(cpu, field), rtol=1e-12)
