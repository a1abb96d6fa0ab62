"""Conditional laws X_B | X_A = x_A (normix.mixtures.conditional).

References: the factorisation f(x_A, x_B) = f_A(x_A) f(x_B | x_A) (f_A from ``margin``,
the full density from the model), and Monte Carlo on a thin slab |X_A - x_A| < eps
with a tolerance from the standard error.
"""
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from normix import GeneralizedHyperbolic, NormalInverseGamma, VarianceGamma
from normix.mixtures.conditional import condition
from tests.mixtures.mixture_cases import NAMES, make_model

POINTS = (np.array([0.4, -1.1, 0.8, 0.2]), np.array([-2.0, 0.5, 1.5, -0.3]), np.array([1.2, 0.0, -0.7, 2.5]))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("columns", [[0], [2, 0], [1, 3, 0]])
def test_density_factorises(name, columns):
    model = make_model(name, 4)
    rest = [i for i in range(4) if i not in columns]
    margin = model.margin(columns)
    for x in POINTS:
        law = model.condition(columns, x[columns])
        assert isinstance(law, GeneralizedHyperbolic) and law.d == len(rest)
        total = float(margin.log_prob(x[columns])) + float(law.log_prob(x[rest]))
        assert total == pytest.approx(float(model.log_prob(x)), rel=1e-12, abs=1e-12)


def test_condition_works_before_gh_is_imported():
    """A model made from its own module conditions to a GH law, loading GH on demand (fresh process)."""
    code = ("import sys, numpy as np\n"
            "from normix.distributions.normal_inverse_gaussian import NormalInverseGaussian\n"
            "assert 'normix.distributions.generalized_hyperbolic' not in sys.modules\n"
            "m = NormalInverseGaussian.from_classical(mu=np.zeros(2), gamma=np.array([0.3, -0.2]), "
            "sigma=np.array([[1.0, 0.4], [0.4, 2.0]]), mu_ig=1.0, lam=2.0)\n"
            "law = m.condition([0], [0.5])\n"
            "print(type(law).__name__, float(law.joint.p))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["GeneralizedHyperbolic", "-1.0"]


def test_scenarios_give_one_batched_law():
    model = make_model("nig", 3)
    values = np.array([[0.1, 0.2], [1.0, -1.0], [-0.5, 2.0]])
    batched = condition(model, [0, 2], values)
    assert batched.batch_shape == (3,) and batched.joint.mu.shape == (3, 1) and batched.joint.p.shape == (3,)
    for s, v in enumerate(values):
        single = condition(model, [0, 2], v)
        for leaf, other in zip(jax.tree_util.tree_leaves(single), jax.tree_util.tree_leaves(batched)):
            np.testing.assert_allclose(other[s], leaf, rtol=1e-13)


def test_conditional_mean_matches_monte_carlo_on_a_thin_slab():
    """E[X_1 | X_0 = x_0] against the mean of X_1 over draws with |X_0 - x_0| < eps.

    With 2e5 draws and eps = 0.03 about 5e3 fall in the slab; the tolerance is 4.5
    standard errors of that mean (a two-sided miss has probability ~7e-6) plus the
    slab's bias bound eps * max|d/dx E[X_1 | x]| (the conditional mean moves by less
    than 0.7 eps over the slab here).
    """
    model = make_model("nig", 2)
    x0 = float(model.mean()[0])
    X = model.rvs(200_000, seed=7)
    eps = 0.03
    inside = X[np.abs(X[:, 0] - x0) < eps, 1]
    standard_error = inside.std(ddof=1) / np.sqrt(inside.size)
    expected = float(condition(model, [0], np.array([x0])).mean()[0])
    slope = (float(condition(model, [0], np.array([x0 + eps])).mean()[0])
             - float(condition(model, [0], np.array([x0 - eps])).mean()[0])) / (2 * eps)
    assert inside.size > 2000
    assert abs(inside.mean() - expected) < 4.5 * standard_error + abs(slope) * eps


@pytest.mark.slow
def test_conditional_variance_matches_monte_carlo_on_a_thin_slab():
    """Var[X_1 | x_0] against the slab's sample variance (3e6 draws, 4.5 standard errors)."""
    model = make_model("gh", 2)
    x0 = float(model.mean()[0]) + 0.5
    X = model.rvs(3_000_000, seed=11)
    inside = X[np.abs(X[:, 0] - x0) < 0.01, 1]
    expected = float(condition(model, [0], np.array([x0])).cov()[0, 0])
    centred = (inside - inside.mean()) ** 2
    standard_error = centred.std(ddof=1) / np.sqrt(inside.size)
    assert abs(centred.mean() - expected) < 4.5 * standard_error + 0.01 * expected


def test_closed_sub_families_appear_as_gh_limits():
    sigma = np.array([[1.0, 0.3], [0.3, 2.0]])
    vg = VarianceGamma.from_classical(mu=[0.5, -0.2], gamma=[0.4, 0.1], sigma=sigma, alpha=2.5, beta=1.0)
    at_mu = condition(vg, [0], np.array([0.5]))
    assert float(at_mu.joint.b) == 0.0 and float(at_mu.joint.p) == 2.0
    assert float(condition(vg, [0], np.array([0.6])).joint.b) > 0
    ninvg = NormalInverseGamma.from_classical(mu=[0.5, -0.2], gamma=[0.0, 0.3], sigma=sigma, alpha=3.0, beta=1.0)
    symmetric_a = condition(ninvg, [0], np.array([1.5]))
    assert float(symmetric_a.joint.a) == 0.0 and float(symmetric_a.joint.p) == -3.5
    assert float(condition(ninvg, [1], np.array([1.5])).joint.a) > 0


def test_condition_traces_in_values_and_parameters():
    model = make_model("gh", 3)
    values = np.array([0.3, -0.4])
    mean = jax.jit(lambda m, v: condition(m, [1, 2], v).mean())
    np.testing.assert_allclose(mean(model, jnp.asarray(values)), condition(model, [1, 2], values).mean(),
                               rtol=1e-12)
    gradient = jax.grad(lambda v: mean(model, v)[0])(jnp.asarray(values))
    step = 1e-6
    numeric = [(float(mean(model, jnp.asarray(values + step * e))[0])
                - float(mean(model, jnp.asarray(values - step * e))[0])) / (2 * step) for e in np.eye(2)]
    np.testing.assert_allclose(gradient, numeric, rtol=1e-6)


def test_condition_rejects_bad_input():
    model = make_model("gh", 3)
    with pytest.raises(ValueError, match="columns must leave at least one coordinate"):
        condition(model, [0, 1, 2], np.zeros(3))
    with pytest.raises(ValueError, match="values must have shape \\(2,\\) or \\(S, 2\\)"):
        condition(model, [0, 1], np.zeros(3))
    with pytest.raises(ValueError, match="values must be finite"):
        condition(model, [0], np.array([np.nan]))
    with pytest.raises(ValueError, match="columns must not repeat"):
        condition(model, [0, 0], np.zeros(2))
    vg = VarianceGamma.from_classical(mu=np.zeros(3), gamma=np.zeros(3), sigma=np.eye(3), alpha=1.0, beta=1.0)
    with pytest.raises(ValueError, match="values must differ from mu.*infinite"):
        condition(vg, [0, 1], np.zeros(2))
    with pytest.raises(ValueError, match="condition takes an unbatched model"):
        condition(model.project(np.eye(3)), [0], np.zeros(1))
