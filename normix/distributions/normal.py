"""Multivariate normal distribution, stored by the Cholesky factor of its covariance.

f(x) = (2π)^(−d/2) ``|Σ|^(−1/2)`` exp(−½ (x − μ)ᵀ Σ⁻¹ (x − μ)),  Σ = L Lᵀ.

As an exponential family, t(x) = [x, vec(x xᵀ)], θ = [Σ⁻¹μ, −½ vec(Σ⁻¹)] and
ψ(θ) = ½ μᵀΣ⁻¹μ + ½ log|Σ| + (d/2) log 2π; the class evaluates the density through
L directly: with z = L⁻¹(x − μ) (one triangular solve),
log f(x) = −½ zᵀz − Σᵢ log Lᵢᵢ − (d/2) log 2π.  Σ⁻¹ is never formed.
"""
import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.linalg import solve_triangular

from normix._kernels import dispatch
from normix._kernels._constants import HALF_LOG_2PI
from normix._validation import check_lower_cholesky, check_sample_size, check_seed, check_shape, check_vector, \
    cholesky_factor
from normix.distributions._base import AbstractMultivariateDistribution


@jax.jit
def _log_density(X, mu, L_Sigma):
    """log f(xᵢ) = −½ ‖L⁻¹(xᵢ − μ)‖² − Σⱼ log Lⱼⱼ − (d/2) log 2π of the rows of X (n, d)."""
    z = solve_triangular(L_Sigma, (X - mu).T, lower=True)
    return -0.5 * jnp.sum(z * z, axis=0) - jnp.sum(jnp.log(jnp.diagonal(L_Sigma))) - mu.shape[-1] * HALF_LOG_2PI


class MultivariateNormal(AbstractMultivariateDistribution):
    """Multivariate normal N(μ, Σ) with Σ = L_Sigma L_Sigmaᵀ.

    Parameters
    ----------
    mu : array, shape (d,)
        Mean.
    L_Sigma : array, shape (d, d)
        Lower-triangular Cholesky factor of Σ, with a positive diagonal.
    """

    mu: jax.Array
    L_Sigma: jax.Array

    def __init__(self, mu, L_Sigma):
        self.mu = check_vector(mu, "mu")
        self.L_Sigma = check_lower_cholesky(L_Sigma, "L_Sigma", size=self.mu.shape[0])

    @classmethod
    def from_classical(cls, mu, sigma):
        """N(μ, Σ) from the mean and a symmetric positive-definite covariance Σ (factorised once)."""
        mu = check_vector(mu, "mu")
        check_shape(sigma, (mu.shape[0], mu.shape[0]), "sigma")
        return cls(mu, cholesky_factor(sigma, "sigma"))

    @property
    def d(self):
        """Dimension d."""
        return self.mu.shape[-1]

    @property
    def dim(self):
        """Dimension d (the same as :attr:`d`)."""
        return self.d

    @property
    def sigma(self):
        """Covariance Σ = L_Sigma L_Sigmaᵀ."""
        return self.L_Sigma @ self.L_Sigma.T

    def mean(self):
        """E[X] = μ."""
        return self.mu

    def cov(self):
        """Cov[X] = Σ = L_Sigma L_Sigmaᵀ."""
        return self.sigma

    def log_prob(self, x):
        """log f(x) = −½ ‖L⁻¹(x − μ)‖² − Σᵢ log Lᵢᵢ − (d/2) log 2π for one observation of shape (d,).

        Batch with ``jax.vmap`` or :meth:`log_prob_rows`.
        """
        x = jnp.asarray(x, dtype=jnp.float64)
        check_shape(x, (self.dim,), "x")
        return _log_density(x[None, :], self.mu, self.L_Sigma)[0]

    def _log_prob_rows(self, X, backend):
        return dispatch.to_backend(_log_density(jnp.asarray(X), self.mu, self.L_Sigma), backend)

    def rvs(self, n, seed=42):
        """``n`` draws μ + L z as a numpy array of shape (n, d), z ~ N(0, I) from numpy's PCG64 seeded by ``seed``."""
        n = check_sample_size(n)
        z = np.random.default_rng(check_seed(seed)).standard_normal((n, self.d))
        return np.asarray(self.mu) + z @ np.asarray(self.L_Sigma).T

    def sample(self, key, shape=()):
        """Draws of shape ``(*shape, d)``: μ + L ε with ε ~ N(0, I) from ``jax.random.normal(key)``."""
        eps = jax.random.normal(key, tuple(shape) + (self.dim,), dtype=jnp.float64)
        return self.mu + eps @ self.L_Sigma.T
