"""Joint laws f(x, y) of the four mixture families against independent references."""
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.stats import kstest

from mixture_cases import FAMILIES, NAMES, log_normal_conditional, make_model, normal_params, \
    posterior_quadrature, subordinator_law


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("d", [1, 3])
def test_log_prob_joint_matches_scipy(name, d):
    joint = make_model(name, d).joint
    mu, gamma, sigma = normal_params(d)
    rng = np.random.default_rng(1)
    for _ in range(3):
        x, y = rng.normal(size=d), float(rng.gamma(2.0, 0.6))
        expected = log_normal_conditional(x, np.array([y]), mu, gamma, sigma)[0] + subordinator_law(name).logpdf(y)
        np.testing.assert_allclose(float(joint.log_prob_joint(x, y)), expected, rtol=1e-12)
    assert float(joint.log_prob_joint(np.zeros(d), -1.0)) == -np.inf


@eqx.filter_jit
def _family_form(joint, xy):
    theta = joint.natural_params()
    return (theta @ joint.sufficient_statistics(xy) + joint.log_base_measure(xy)
            - type(joint)._log_partition_from_theta(theta))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("d", [1, 3])
def test_exponential_family_form_equals_log_prob_joint(name, d):
    """θᵀt(x, y) + log h(x, y) - ψ(θ) = log f(x, y), with the corrected halves in θ₂, θ₃."""
    joint = make_model(name, d).joint
    rng = np.random.default_rng(2)
    for _ in range(2):
        x, y = rng.normal(size=d), float(rng.gamma(2.0, 0.6))
        xy = jnp.concatenate([jnp.asarray(x), jnp.asarray([y])])
        expected = float(joint.log_prob_joint(x, y))
        np.testing.assert_allclose(float(_family_form(joint, xy)), expected, rtol=1e-12)
        np.testing.assert_allclose(float(eqx.filter_jit(joint.log_prob)(xy)), expected, rtol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_natural_params_layout(name):
    d = 2
    joint = make_model(name, d).joint
    mu, gamma, sigma = normal_params(d)
    precision = np.linalg.inv(sigma)
    p, a, b = (float(v) for v in joint.gig_params())
    expected = np.concatenate([[p - 1 - d / 2, -(b / 2 + mu @ precision @ mu / 2),
                                -(a / 2 + gamma @ precision @ gamma / 2)],
                               precision @ gamma, precision @ mu, -0.5 * precision.ravel()])
    np.testing.assert_allclose(np.asarray(joint.natural_params()), expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", NAMES)
def test_from_natural_round_trip(name):
    joint = make_model(name, 3).joint
    back = type(joint).from_natural(joint.natural_params())
    for left, right in zip(jax.tree_util.tree_leaves(joint), jax.tree_util.tree_leaves(back)):
        np.testing.assert_allclose(np.asarray(right), np.asarray(left), rtol=1e-10, atol=1e-12)


def test_from_natural_rejects_bad_theta():
    joint = make_model("nig", 2).joint
    with pytest.raises(ValueError, match="length"):
        type(joint).from_natural(jnp.zeros(10))
    theta = joint.natural_params().at[-4:].set(jnp.array([1.0, 0.0, 0.0, 1.0]))
    with pytest.raises(ValueError, match="positive definite"):
        type(joint).from_natural(theta)


@pytest.mark.parametrize("name", ["nig", "gh"])
def test_expectation_params_are_joint_moments(name):
    """∇ψ(θ) = E[t(X, Y)]: η₄ = μ + γE[Y], η₅ = μE[1/Y] + γ, η₆ = Σ + μμᵀE[1/Y] + γγᵀE[Y] + μγᵀ + γμᵀ."""
    d = 2
    joint = make_model(name, d).joint
    mu, gamma, sigma = normal_params(d)
    law = subordinator_law(name)
    e_log = law.expect(np.log)
    e_inv = law.expect(lambda y: 1.0 / y)
    e_y = law.mean()
    eta = np.asarray(joint.expectation_params())
    expected = np.concatenate([[e_log, e_inv, e_y], mu + gamma * e_y, mu * e_inv + gamma,
                               (sigma + np.outer(mu, mu) * e_inv + np.outer(gamma, gamma) * e_y
                                + np.outer(mu, gamma) + np.outer(gamma, mu)).ravel()])
    np.testing.assert_allclose(eta, expected, rtol=1e-7)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("d", [1, 3])
def test_conditional_expectations_match_quadrature(name, d):
    joint = make_model(name, d).joint
    mu, gamma, sigma = normal_params(d)
    rng = np.random.default_rng(3)
    for x in (mu + rng.normal(size=d), mu + 3.0 * rng.normal(size=d)):
        _, e_log, e_inv, e_y = posterior_quadrature(x, mu, gamma, sigma, subordinator_law(name))
        got = joint.conditional_expectations(x)
        np.testing.assert_allclose(float(got["E_log_Y"]), e_log, rtol=1e-9, atol=1e-11)
        np.testing.assert_allclose(float(got["E_inv_Y"]), e_inv, rtol=1e-9)
        np.testing.assert_allclose(float(got["E_Y"]), e_y, rtol=1e-9)


@pytest.mark.parametrize("name", NAMES)
def test_rvs_shapes_reproducible_and_subordinator_law(name):
    joint = make_model(name, 2).joint
    X, Y = joint.rvs(4000, seed=7)
    assert X.shape == (4000, 2) and Y.shape == (4000,)
    X2, Y2 = joint.rvs(4000, seed=7)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(Y, Y2)
    assert not np.array_equal(joint.rvs(4000, seed=8)[1], Y)
    # The Y draws follow the subordinator's law (Kolmogorov-Smirnov, fixed seed).
    assert kstest(Y, subordinator_law(name).cdf).pvalue > 1e-3


def test_joint_validates_parameters():
    cls = FAMILIES["nig"][0]._joint_class
    mu, gamma, sigma = normal_params(2)
    L = np.linalg.cholesky(sigma)
    with pytest.raises(ValueError, match="lam"):
        cls(mu, gamma, L, 1.0, -1.0)
    with pytest.raises(ValueError, match="gamma"):
        cls(mu, np.zeros(3), L, 1.0, 1.0)
    with pytest.raises(ValueError, match="L_Sigma"):
        cls(mu, gamma, L.T, 1.0, 1.0)
    with pytest.raises(ValueError, match="sigma"):
        cls.from_classical(mu=mu, gamma=gamma, sigma=np.array([[1.0, 2.0], [2.0, 1.0]]), mu_ig=1.0, lam=1.0)
    with pytest.raises(ValueError, match="mu"):
        cls(np.array([np.nan, 0.0]), gamma, L, 1.0, 1.0)


def test_generalized_hyperbolic_limits_need_the_right_sign_of_p():
    cls = FAMILIES["gh"][0]._joint_class
    mu, gamma, sigma = normal_params(2)
    L = np.linalg.cholesky(sigma)
    cls(mu, gamma, L, 1.5, 1.0, 0.0)
    cls(mu, gamma, L, -1.5, 0.0, 1.0)
    with pytest.raises(ValueError, match="b must be > 0 unless p > 0"):
        cls(mu, gamma, L, -1.5, 1.0, 0.0)
    with pytest.raises(ValueError, match="a must be > 0 unless p < 0"):
        cls(mu, gamma, L, 1.5, 0.0, 1.0)
    with pytest.raises(ValueError, match="b must be >= 0"):
        cls(mu, gamma, L, 1.5, 1.0, -1.0)
