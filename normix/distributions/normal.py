"""Multivariate normal distribution, stored by the Cholesky factor of its covariance.

f(x) = (2π)^(−d/2) ``|Σ|^(−1/2)`` exp(−½ (x − μ)ᵀ Σ⁻¹ (x − μ)),  Σ = L Lᵀ.

As an exponential family, t(x) = [x, vec(x xᵀ)], θ = [Σ⁻¹μ, −½ vec(Σ⁻¹)] and
ψ(θ) = ½ μᵀΣ⁻¹μ + ½ log|Σ| + (d/2) log 2π; the class evaluates the density through
L directly: with z = L⁻¹(x − μ) (one triangular solve),
log f(x) = −½ zᵀz − Σᵢ log Lᵢᵢ − (d/2) log 2π.  Σ⁻¹ is never formed.
"""
import jax
import jax.numpy as jnp
from jax.scipy.linalg import solve_triangular

import equinox as eqx

from normix._kernels._constants import HALF_LOG_2PI
from normix._serialization import save_model
from normix._validation import check_lower_cholesky, check_shape, check_vector, cholesky_factor


class MultivariateNormal(eqx.Module):
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
    def dim(self):
        """Dimension d."""
        return self.mu.shape[-1]

    @property
    def sigma(self):
        """Covariance Σ = L_Sigma L_Sigmaᵀ."""
        return self.L_Sigma @ self.L_Sigma.T

    def log_prob(self, x):
        """log f(x) for one observation of shape (d,).  Batch with ``jax.vmap``."""
        x = jnp.asarray(x, dtype=jnp.float64)
        check_shape(x, (self.dim,), "x")
        z = solve_triangular(self.L_Sigma, x - self.mu, lower=True)
        log_det_half = jnp.sum(jnp.log(jnp.diagonal(self.L_Sigma)))
        return -0.5 * jnp.dot(z, z) - log_det_half - self.dim * HALF_LOG_2PI

    def sample(self, key, shape=()):
        """Draws of shape ``(*shape, d)``: μ + L ε with ε ~ N(0, I) from ``jax.random.normal(key)``."""
        eps = jax.random.normal(key, tuple(shape) + (self.dim,), dtype=jnp.float64)
        return self.mu + eps @ self.L_Sigma.T

    def save(self, path):
        """Write this model to ``path`` in the ``normix.model`` JSON format; read it back with ``normix.load``."""
        save_model(self, path)
