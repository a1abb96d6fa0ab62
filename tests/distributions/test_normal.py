"""MultivariateNormal against scipy.stats.multivariate_normal."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats as st

from normix import MultivariateNormal


def random_problem(d, seed):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((d, d))
    return rng.standard_normal(d), A @ A.T / d + 0.1 * np.eye(d)


@pytest.mark.parametrize("d", [1, 2, 5, 20])
def test_log_prob_matches_scipy(d):
    mu, sigma = random_problem(d, d)
    dist = MultivariateNormal.from_classical(mu, sigma)
    x = np.random.default_rng(1).standard_normal((6, d)) * 2.0
    np.testing.assert_allclose(jax.vmap(dist.log_prob)(x), st.multivariate_normal(mu, sigma).logpdf(x), rtol=1e-12)
    np.testing.assert_allclose(dist.sigma, sigma, rtol=1e-13, atol=1e-15)
    assert dist.dim == d


def test_badly_scaled_covariance():
    sigma = np.diag([1e-8, 1.0, 1e8])
    dist = MultivariateNormal.from_classical(np.zeros(3), sigma)
    x = np.array([1e-4, 1.0, 1e4])
    np.testing.assert_allclose(dist.log_prob(x), st.norm(0.0, np.sqrt(np.diag(sigma))).logpdf(x).sum(), rtol=1e-13)


def test_sample_shape_and_moments():
    mu, sigma = random_problem(3, 0)
    dist = MultivariateNormal.from_classical(mu, sigma)
    draws = dist.sample(jax.random.PRNGKey(0), (200_000,))
    assert draws.shape == (200_000, 3)
    assert dist.sample(jax.random.PRNGKey(0)).shape == (3,)
    assert dist.sample(jax.random.PRNGKey(0), (4, 5)).shape == (4, 5, 3)
    np.testing.assert_allclose(draws.mean(axis=0), mu, atol=0.02)
    np.testing.assert_allclose(np.cov(np.asarray(draws), rowvar=False), sigma, atol=0.03)


def test_is_a_pytree_that_jits_vmaps_and_differentiates():
    mu, sigma = random_problem(2, 3)
    dist = MultivariateNormal.from_classical(mu, sigma)
    x = jnp.array([0.3, -0.2])
    np.testing.assert_allclose(jax.jit(lambda d: d.log_prob(x))(dist), dist.log_prob(x), rtol=1e-14)
    grad = jax.grad(lambda d: d.log_prob(x))(dist)
    np.testing.assert_allclose(grad.mu, np.linalg.solve(sigma, x - mu), rtol=1e-12)
    batch = jax.vmap(MultivariateNormal)(jnp.stack([mu, mu + 1.0]), jnp.stack([dist.L_Sigma, dist.L_Sigma]))
    assert batch.mu.shape == (2, 2)


@pytest.mark.parametrize("sigma, message", [
    (np.array([[1.0, 2.0], [2.0, 1.0]]), "sigma must be positive definite, got smallest eigenvalue -1.0"),
    (np.array([[1.0, 0.0], [0.1, 1.0]]), "sigma must be symmetric"),
    (np.array([[np.nan, 0.0], [0.0, 1.0]]), "sigma must be finite"),
    (np.eye(3), r"sigma must be of shape \(2, 2\)"),
])
def test_bad_covariance_raises(sigma, message):
    with pytest.raises(ValueError, match=message):
        MultivariateNormal.from_classical(np.zeros(2), sigma)


def test_bad_parameters_raise_also_under_jit():
    with pytest.raises(ValueError, match="mu must be a 1-d array"):
        MultivariateNormal(np.zeros((2, 2)), np.eye(2))
    with pytest.raises(ValueError, match="mu must be finite"):
        MultivariateNormal(np.array([0.0, np.inf]), np.eye(2))
    with pytest.raises(ValueError, match="L_Sigma must be lower triangular"):
        MultivariateNormal(np.zeros(2), np.array([[1.0, 0.5], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="the diagonal of L_Sigma must be > 0"):
        MultivariateNormal(np.zeros(2), np.array([[1.0, 0.0], [0.5, -1.0]]))
    with pytest.raises(ValueError, match=r"L_Sigma must be a square matrix of shape \(2, 2\)"):
        MultivariateNormal(np.zeros(2), np.eye(3))
    with pytest.raises(ValueError, match=r"x must be of shape \(2,\)"):
        MultivariateNormal(np.zeros(2), np.eye(2)).log_prob(np.zeros(3))
    with pytest.raises(Exception, match="sigma must be positive definite"):
        indefinite = np.array([[1.0, 2.0], [2.0, 1.0]])
        jax.jit(MultivariateNormal.from_classical)(np.zeros(2), indefinite).mu.block_until_ready()
    with pytest.raises(Exception, match="the diagonal of L_Sigma must be > 0"):
        jax.jit(MultivariateNormal)(np.zeros(2), -np.eye(2)).mu.block_until_ready()


@pytest.mark.parametrize("backend", ["cpu", "jax"])
def test_log_prob_rows_matches_scipy_and_log_prob(backend):
    mu, sigma = random_problem(4, 2)
    dist = MultivariateNormal.from_classical(mu, sigma)
    X = np.random.default_rng(3).standard_normal((25, 4)) * 2.0
    rows = dist.log_prob_rows(X, backend=backend)
    assert isinstance(rows, np.ndarray if backend == "cpu" else jax.Array) and rows.shape == (25,)
    np.testing.assert_allclose(rows, st.multivariate_normal(mu, sigma).logpdf(X), rtol=1e-12)
    np.testing.assert_allclose(rows, jax.vmap(dist.log_prob)(X), rtol=1e-13)
    with pytest.raises(ValueError, match=r"X must have shape \(n, 4\)"):
        dist.log_prob_rows(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="X must be finite"):
        dist.log_prob_rows(np.full((2, 4), np.inf))


def test_common_surface_with_the_mixtures(tmp_path):
    from normix import load

    mu, sigma = random_problem(3, 4)
    dist = MultivariateNormal.from_classical(mu, sigma)
    assert dist.d == dist.dim == 3
    np.testing.assert_array_equal(dist.mean(), mu)
    np.testing.assert_allclose(dist.cov(), sigma, rtol=1e-13, atol=1e-15)
    draws = dist.rvs(100_000, seed=7)
    assert isinstance(draws, np.ndarray) and draws.shape == (100_000, 3)
    np.testing.assert_array_equal(draws, dist.rvs(100_000, seed=7))
    assert not np.array_equal(draws[:5], dist.rvs(5, seed=8))
    np.testing.assert_allclose(draws.mean(axis=0), mu, atol=0.03)
    np.testing.assert_allclose(np.cov(draws, rowvar=False), sigma, atol=0.03)
    assert dist.rvs(4).shape == (4, 3)
    with pytest.raises(ValueError, match="n must be a non-negative integer"):
        dist.rvs(-1)
    dist.save(tmp_path / "normal.json")
    loaded = load(tmp_path / "normal.json")
    np.testing.assert_array_equal(loaded.L_Sigma, dist.L_Sigma)
