"""Inverse Gaussian (Wald) distribution as an exponential family.

f(x | μ, λ) = √(λ/(2π)) · x^(−3/2) · exp(−λ (x − μ)² / (2 μ² x)), x > 0, mean μ > 0,
shape λ > 0.

h(x) = (2π)^(−1/2) x^(−3/2), t(x) = [x, 1/x], θ = [−λ/(2μ²), −λ/2] (θ₁ < 0, θ₂ < 0),
ψ(θ) = −½ log(−2θ₂) − √((−2θ₁)(−2θ₂)) = −½ log λ − λ/μ,
η = ∇ψ = [μ, 1/μ + 1/λ] = [E[X], E[1/X]].
"""
import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import log_ndtr, ndtr

from normix._kernels._constants import HALF_LOG_2PI
from normix._validation import check_less, check_positive, check_sample_size, check_seed, \
    check_shape, check_vector, real_input
from normix.exponential_family import PositiveSupportFamily, as_backend_array, closed_form_options


def _mean_shape(theta):
    """(μ, λ) = (√(θ₂/θ₁), −2θ₂) as numpy floats from a concrete θ."""
    theta = as_backend_array(theta, "cpu")
    return np.sqrt(theta[1] / theta[0]), -2.0 * theta[1]


class InverseGaussian(PositiveSupportFamily):
    """InverseGaussian(μ, λ): mean μ > 0, shape λ > 0 (scalars).

    Parameters
    ----------
    mu : scalar
        Mean μ > 0.
    lam : scalar
        Shape λ > 0.
    """

    mu: jax.Array
    lam: jax.Array

    def __init__(self, mu, lam):
        self.mu = check_positive(check_shape(mu, (), "mu"), "mu")
        self.lam = check_positive(check_shape(lam, (), "lam"), "lam")

    def natural_params(self):
        """θ = [−λ/(2μ²), −λ/2]."""
        return jnp.stack([-self.lam / (2.0 * self.mu**2), -0.5 * self.lam])

    @classmethod
    def from_natural(cls, theta):
        """InverseGaussian with λ = −2θ₂, μ = √(θ₂/θ₁) (θ₁ < 0, θ₂ < 0)."""
        theta = check_vector(theta, "theta", size=2)
        t1 = check_less(theta[0], 0.0, "theta[0]")
        t2 = check_less(theta[1], 0.0, "theta[1]")
        return cls(jnp.sqrt(t2 / t1), -2.0 * t2)

    @staticmethod
    def sufficient_statistics(x):
        """t(x) = [x, 1/x]."""
        x = jnp.asarray(x, dtype=jnp.float64)
        return jnp.stack([x, 1.0 / x])

    @staticmethod
    def log_base_measure(x):
        """log h(x) = −½ log(2π) − (3/2) log x."""
        return -HALF_LOG_2PI - 1.5 * jnp.log(jnp.asarray(x, dtype=jnp.float64))

    @classmethod
    def _log_partition_from_theta(cls, theta):
        """ψ(θ) = −½ log(−2θ₂) − √((−2θ₁)(−2θ₂))."""
        return -0.5 * jnp.log(-2.0 * theta[1]) - jnp.sqrt(4.0 * theta[0] * theta[1])

    @classmethod
    def _log_partition_cpu(cls, theta):
        """ψ(θ) = −½ log λ − λ/μ in numpy, μ = √(θ₂/θ₁), λ = −2θ₂."""
        mu, lam = _mean_shape(theta)
        return -0.5 * np.log(lam) - lam / mu

    @classmethod
    def _grad_log_partition_cpu(cls, theta):
        """∇ψ(θ) = [μ, 1/μ + 1/λ] = [E X, E 1/X] in numpy."""
        mu, lam = _mean_shape(theta)
        return np.array([mu, 1.0 / mu + 1.0 / lam])

    @classmethod
    def _hessian_log_partition_cpu(cls, theta):
        """∇²ψ(θ) = [[μ³/λ, −μ/λ], [−μ/λ, 1/(μλ) + 2/λ²]] = Cov t(X) in numpy."""
        mu, lam = _mean_shape(theta)
        return np.array([[mu**3 / lam, -mu / lam], [-mu / lam, 1.0 / (mu * lam) + 2.0 / lam**2]])

    @classmethod
    def _theta_bounds(cls):
        return [(None, 0.0), (None, 0.0)]

    @classmethod
    def _initial_theta(cls, eta):
        """The closed-form inverse (μ = η₁, 1/λ = η₂ − 1/η₁) as the solver's start."""
        lam = 1.0 / (eta[1] - 1.0 / eta[0])
        return jnp.stack([-lam / (2.0 * eta[0] ** 2), -0.5 * lam])

    def log_prob(self, x):
        """log f(x) = ½ log(λ/(2π)) − (3/2) log x − λ (x − μ)² / (2 μ² x) (−inf for x <= 0 and x = +inf).

        Written in the classical form: the natural-parameter form subtracts terms of size
        λ/μ that cancel when λ ≫ μ.
        """
        x = real_input(x, "x")
        inside = (x > 0) & (x < jnp.inf)
        xs = jnp.where(inside, x, 1.0)
        value = 0.5 * jnp.log(self.lam) - HALF_LOG_2PI - 1.5 * jnp.log(xs) \
            - self.lam * (xs - self.mu) ** 2 / (2.0 * self.mu**2 * xs)
        return jnp.where(inside, value, jnp.where(jnp.isnan(x), jnp.nan, -jnp.inf))

    def mean(self):
        """E[X] = μ."""
        return self.mu

    def var(self):
        """Var[X] = μ³/λ."""
        return self.mu**3 / self.lam

    def cdf(self, x):
        """F(x) = Φ(√(λ/x)(x/μ − 1)) + exp(2λ/μ) Φ(−√(λ/x)(x/μ + 1)) (0 for x <= 0, 1 at x = +inf).

        The second term is evaluated as exp(2λ/μ + log Φ(·)), which stays finite where
        exp(2λ/μ) alone overflows.
        """
        x = real_input(x, "x")
        inside = (x > 0) & (x < jnp.inf)
        xs = jnp.where(inside, x, 1.0)
        r = jnp.sqrt(self.lam / xs)
        value = ndtr(r * (xs / self.mu - 1.0)) + jnp.exp(2.0 * self.lam / self.mu + log_ndtr(-r * (xs / self.mu + 1.0)))
        outside = jnp.where(jnp.isnan(x), jnp.nan, jnp.where(x > 0, 1.0, 0.0))
        return jnp.where(inside, jnp.minimum(value, 1.0), outside)

    def rvs(self, n, seed=42):
        """``n`` draws as a numpy array: λ · ``jax.random.wald(jax.random.PRNGKey(seed), μ/λ, (n,))``.

        Uses the scaling IG(μ, λ) = λ · IG(μ/λ, 1).
        """
        n = check_sample_size(n)
        seed = check_seed(seed)
        draws = jax.random.wald(jax.random.PRNGKey(seed), self.mu / self.lam, (n,), dtype=jnp.float64)
        return np.asarray(self.lam * draws)

    @classmethod
    def from_expectation(cls, eta, *, theta0=None, maxiter=100, tol=1e-12, **kwargs):
        """InverseGaussian from η = [E[X], E[1/X]]: μ = η₁, 1/λ = η₂ − 1/η₁.

        Requires η₁ > 0 and η₂ > 1/η₁ (E[1/X] > 1/E[X], strict Jensen); otherwise
        ``ValueError`` (an equinox runtime error under ``jax.jit``/``jax.vmap``).

        Parameters
        ----------
        eta : array, shape (2,)
        theta0, maxiter, tol
            Used only when ``method`` is given (the closed form is exact); ``tol``
            must be finite and >= 0 on both paths.
        **kwargs
            ``backend`` ('jax' or 'cpu': the closed form is the same arithmetic on
            both); ``method`` ('lbfgs', 'bfgs', 'newton'): solve with the generic
            Bregman solver of :class:`ExponentialFamily` instead; ``verbose``: the
            solver's summary.
        """
        backend, method, verbose = closed_form_options(kwargs, tol)
        if method is not None:
            return super().from_expectation(eta, theta0=theta0, maxiter=maxiter, tol=tol, backend=backend,
                                            method=method, verbose=verbose)
        eta = check_vector(eta, "eta", size=2)
        mu = check_positive(eta[0], "eta[0] (E[X])")
        excess = check_positive(eta[1] - 1.0 / mu, "eta[1] - 1/eta[0] (E[1/X] - 1/E[X])")
        return cls(mu, 1.0 / excess)
