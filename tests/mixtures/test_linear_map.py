"""Affine images, projections and margins of the mixtures (normix.mixtures.affine, .operations).

References: the change-of-variables density f_AX+b(u) = f_X(A⁻¹(u - b)) / |det A| for an
invertible A, quadrature of the joint density over the dropped coordinate for a margin,
and the moment identities E[AX + b] = A E[X] + b, Cov[AX + b] = A Cov[X] Aᵀ.
"""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import integrate

from tests.mixtures.mixture_cases import NAMES, make_model


@pytest.mark.parametrize("name", NAMES)
def test_invertible_map_density_is_change_of_variables(name):
    model = make_model(name, 3)
    A = np.array([[1.0, 2.0, 0.0], [0.0, 1.0, -1.0], [0.5, 0.0, 2.0]])
    b = np.array([0.3, -1.0, 2.0])
    image = model.linear_map(A, b)
    assert type(image) is type(model)
    log_det = np.log(abs(np.linalg.det(A)))
    for u in ([0.1, -0.7, 2.4], [1.5, 0.2, -0.3], [-2.0, 1.0, 3.0]):
        u = np.asarray(u)
        expected = float(model.log_prob(np.linalg.solve(A, u - b))) - log_det
        assert float(image.log_prob(u)) == pytest.approx(expected, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_map_moments(name):
    model = make_model(name, 3)
    A = np.array([[1.0, -2.0, 0.5], [0.0, 1.0, 3.0]])
    b = np.array([1.0, -1.0])
    image = model.linear_map(A, b)
    np.testing.assert_allclose(image.mean(), A @ np.asarray(model.mean()) + b, rtol=1e-12)
    np.testing.assert_allclose(image.cov(), A @ np.asarray(model.cov()) @ A.T, rtol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_margin_density_integrates_the_joint_density(name):
    model = make_model(name, 2)
    joint_density = jax.jit(lambda x: model.pdf(x))
    margin = model.margin(1)
    for x1 in (-0.8, 0.4, 1.9):
        integral, error = integrate.quad(lambda x0: float(joint_density(jnp.array([x0, x1]))), -np.inf, np.inf,
                                         epsabs=1e-13, epsrel=1e-11, limit=200)
        assert float(margin.pdf(np.array([x1]))) == pytest.approx(integral, rel=1e-8)


def test_margin_is_the_selection_map_and_keeps_the_order():
    model = make_model("gh", 4)
    columns = [3, 1]
    selection = np.eye(4)[columns]
    margin, image = model.margin(columns), model.linear_map(selection)
    np.testing.assert_array_equal(margin.joint.mu, np.asarray(model.joint.mu)[columns])
    for leaf, other in zip(jax.tree_util.tree_leaves(margin), jax.tree_util.tree_leaves(image)):
        np.testing.assert_allclose(leaf, other, rtol=1e-14, atol=1e-15)


def test_project_single_and_batched():
    model = make_model("nig", 3)
    W = np.array([[1.0, 0.0, 0.0], [0.2, 0.5, 0.3], [1.0, -1.0, 2.0], [0.0, 0.0, 3.0], [4.0, 1.0, 1.0]])
    batched = model.project(W)
    assert batched.batch_shape == (5,)
    assert batched.joint.mu.shape == (5, 1) and batched.joint.L_Sigma.shape == (5, 1, 1)
    assert batched.joint.mu_ig.shape == (5,) and batched.joint.lam.shape == (5,)
    x = np.linspace(-1.0, 2.0, 5)[:, None]
    by_vmap = jax.vmap(lambda m, xi: m.log_prob(xi))(batched, x)
    for k, w in enumerate(W):
        single = model.project(w)
        assert single.batch_shape == () and single.d == 1
        scale = np.sqrt(w @ np.asarray(model.joint.sigma()) @ w)
        assert float(single.joint.L_Sigma[0, 0]) == pytest.approx(scale, rel=1e-13)
        assert float(by_vmap[k]) == pytest.approx(float(single.log_prob(x[k])), rel=1e-12)
    np.testing.assert_allclose(batched.skewness()[:, 0], [float(model.project(w).skewness()[0]) for w in W],
                               rtol=1e-12)


def test_batched_model_refuses_unbatched_methods_with_a_clear_error():
    batched = make_model("gh", 2).project(np.eye(2))
    for call in (lambda: batched.log_prob(np.zeros(1)), batched.mean, batched.cov,
                 lambda: batched.linear_map(np.ones((1, 1)))):
        with pytest.raises(ValueError, match="batch_shape \\(2,\\).*jax.vmap"):
            call()


def test_linear_map_traces_in_the_matrix_and_the_parameters():
    model = make_model("vg", 3)
    A = np.array([[1.0, 2.0, 0.0], [0.0, 1.0, -1.0]])

    @jax.jit
    def mean_of_image(m, A):
        return m.linear_map(A).mean()

    np.testing.assert_allclose(mean_of_image(model, jnp.asarray(A)), model.linear_map(A).mean(), rtol=1e-13)
    grad = jax.grad(lambda A: mean_of_image(model, A)[0])(jnp.asarray(A))
    np.testing.assert_allclose(grad[0], model.mean(), rtol=1e-12)
    with pytest.raises(Exception, match="full row rank"):
        mean_of_image(model, jnp.asarray(np.array([[1.0, 2.0, 0.0], [2.0, 4.0, 0.0]])))


@pytest.mark.parametrize("A, match", [
    (np.array([[1.0, 2.0, 0.0], [2.0, 4.0, 0.0]]), "A must have full row rank 2"),
    (np.ones((2, 2)), "A must have shape \\(k, 3\\)"),
    (np.ones((4, 3)), "A must have shape \\(k, 3\\) with 1 <= k <= 3"),
    (np.ones(3), "A must have shape"),
    (np.array([[1.0, np.nan, 0.0]]), "A must be finite"),
    (np.array([["a", "b", "c"]]), "A must hold real numbers"),
])
def test_linear_map_rejects_bad_matrices(A, match):
    with pytest.raises(ValueError, match=match):
        make_model("gh", 3).linear_map(A)


def test_linear_map_rejects_bad_shifts():
    model = make_model("gh", 3)
    with pytest.raises(ValueError, match="b must have shape \\(1,\\)"):
        model.linear_map(np.ones((1, 3)), np.ones(2))
    with pytest.raises(ValueError, match="b must be finite"):
        model.linear_map(np.ones((1, 3)), np.array([np.inf]))


@pytest.mark.parametrize("w, match", [
    (np.zeros(3), "w must have no zero row"),
    (np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]), "w must have no zero row.*got zero row\\(s\\) \\[1\\]"),
    (np.ones(2), "w must have shape \\(3,\\) or \\(K, 3\\)"),
    (np.ones((2, 2, 3)), "w must have shape"),
    (np.array([1.0, np.inf, 0.0]), "w must be finite"),
])
def test_project_rejects_bad_weights(w, match):
    with pytest.raises(ValueError, match=match):
        make_model("gh", 3).project(w)


@pytest.mark.parametrize("columns, match", [
    ([0, 3], "columns must be in \\[0, 3\\)"),
    ([-1], "columns must be in \\[0, 3\\)"),
    ([1, 1], "columns must not repeat"),
    ([], "columns must name at least one"),
    ([0.5], "columns must hold integer indices"),
    ([True], "columns must hold integer indices, got the boolean"),
    ([[0, 1]], "columns must be an int or a 1-d sequence"),
])
def test_margin_rejects_bad_columns(columns, match):
    with pytest.raises(ValueError, match=match):
        make_model("gh", 3).margin(columns)
