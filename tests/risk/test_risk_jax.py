"""The JAX backend of normix.risk: agreement with the numba backend, jit, and derivatives.

References: the CPU backend (itself checked against mpmath in test_measures.py), its
closed-form Euler gradients (test_contributions.py), and central finite differences of
the CPU values for the derivatives in the model's parameters.  Every call here uses the
same shapes (two portfolios, three levels, or one portfolio at one level), so that each
JAX program compiles once; each compilation of a program holding the quantile kernel takes
tens of seconds, so only the values are checked in the fast suite.
"""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from normix import GeneralizedHyperbolic, NormalInverseGamma, NormalInverseGaussian, VarianceGamma
from normix.risk import expected_shortfall, risk_contributions, tail_risk

MU = np.array([5e-4, -2e-4, 1e-4])
GAMMA = np.array([-2e-3, 1e-3, -5e-4])
SIGMA = 1e-4 * np.array([[1.0, 0.3, 0.1], [0.3, 2.0, -0.2], [0.1, -0.2, 0.5]])
WEIGHTS = np.array([[0.5, 0.3, 0.2], [1.0, -0.4, 0.3]])
LEVELS = np.array([0.9, 0.999, 1 - 1e-10])
MODELS = [
    NormalInverseGaussian.from_classical(mu=MU, gamma=GAMMA, sigma=SIGMA, mu_ig=1.0, lam=1.3),
    VarianceGamma.from_classical(mu=MU, gamma=GAMMA, sigma=SIGMA, alpha=1.6, beta=1.6),
    NormalInverseGamma.from_classical(mu=MU, gamma=GAMMA, sigma=SIGMA, alpha=2.5, beta=1.5),
    GeneralizedHyperbolic.from_classical(mu=MU, gamma=GAMMA, sigma=SIGMA, p=1.7, a=2.0, b=0.6),
]


def gh(theta):
    """GH with (p, a, b, μ₀) = theta, the rest fixed (traceable in theta)."""
    mu = jnp.asarray(MU).at[0].set(theta[3])
    return GeneralizedHyperbolic.from_classical(mu=mu, gamma=GAMMA, sigma=SIGMA, p=theta[0], a=theta[1], b=theta[2])


def test_values_agree_with_cpu():
    for model in MODELS:
        for ours, cpu in zip(tail_risk(model, WEIGHTS, LEVELS, backend="jax"), tail_risk(model, WEIGHTS, LEVELS)):
            assert isinstance(ours, jax.Array)
            np.testing.assert_allclose(np.asarray(ours), cpu, rtol=1e-12)


@pytest.mark.slow
def test_contributions_agree_with_cpu():
    for model in (MODELS[0], MODELS[3]):
        for measure in ("es", "var"):
            np.testing.assert_allclose(
                np.asarray(risk_contributions(model, WEIGHTS, LEVELS, measure, backend="jax")),
                risk_contributions(model, WEIGHTS, LEVELS, measure), rtol=1e-11, atol=1e-15)


@pytest.mark.slow
def test_grad_in_weights_is_the_euler_gradient_and_jit_agrees():
    model = MODELS[3]
    w = jnp.asarray(WEIGHTS[1])

    def es(weights):
        return expected_shortfall(model, weights, 0.99, backend="jax")

    gradient = jax.grad(es)(w)
    np.testing.assert_allclose(np.asarray(gradient) * WEIGHTS[1], risk_contributions(model, WEIGHTS[1], 0.99),
                               rtol=1e-10)
    np.testing.assert_allclose(float(jax.jit(es)(w)), expected_shortfall(model, WEIGHTS[1], 0.99), rtol=1e-13)


@pytest.mark.slow
def test_grad_in_parameters_matches_finite_differences():
    theta = np.array([1.7, 2.0, 0.6, MU[0]])

    def es(t):
        return expected_shortfall(gh(t), WEIGHTS[1], 0.99, backend="jax")

    gradient = np.asarray(jax.grad(es)(jnp.asarray(theta)))
    for i in range(4):
        h = 1e-6 * max(abs(theta[i]), 1e-2)
        up, down = theta.copy(), theta.copy()
        up[i] += h
        down[i] -= h
        cpu = [expected_shortfall(GeneralizedHyperbolic.from_classical(
            mu=np.r_[t[3], MU[1:]], gamma=GAMMA, sigma=SIGMA, p=t[0], a=t[1], b=t[2]), WEIGHTS[1], 0.99)
            for t in (up, down)]
        np.testing.assert_allclose(gradient[i], (cpu[0] - cpu[1]) / (2 * h), rtol=1e-6)
    np.testing.assert_allclose(gradient[3], -WEIGHTS[1][0], rtol=1e-12)
