"""Gamma distribution as an exponential family.

p(x | α, β) = β^α / Γ(α) · x^(α−1) · e^(−βx), x > 0, shape α > 0, rate β > 0.

h(x) = 1, t(x) = [log x, x], θ = [α − 1, −β] (θ₁ > −1, θ₂ < 0),
ψ(θ) = log Γ(θ₁ + 1) − (θ₁ + 1) log(−θ₂),
η = ∇ψ = [ψ₀(α) − log β, α/β] (ψ₀ the digamma function).
"""
import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import gammainc, gammaln

from normix._kernels import dispatch
from normix._validation import check_greater, check_less, check_positive, \
    check_sample_size, check_seed, check_shape, check_vector, real_input, require
from normix.exponential_family import PositiveSupportFamily, as_backend_array, closed_form_options


def _shape_rate(theta):
    """(α, β) = (θ₁ + 1, −θ₂) as numpy floats from a concrete θ."""
    theta = as_backend_array(theta, "cpu")
    return theta[0] + 1.0, -theta[1]


class Gamma(PositiveSupportFamily):
    """Gamma(α, β): shape α > 0, rate β > 0 (scalars).

    Parameters
    ----------
    alpha : scalar
        Shape α > 0.
    beta : scalar
        Rate β > 0.
    """

    alpha: jax.Array
    beta: jax.Array

    def __init__(self, alpha, beta):
        self.alpha = check_positive(check_shape(alpha, (), "alpha"), "alpha")
        self.beta = check_positive(check_shape(beta, (), "beta"), "beta")

    def natural_params(self):
        """θ = [α − 1, −β]."""
        return jnp.stack([self.alpha - 1.0, -self.beta])

    @classmethod
    def from_natural(cls, theta):
        """Gamma with α = θ₁ + 1, β = −θ₂ (θ₁ > −1, θ₂ < 0)."""
        theta = check_vector(theta, "theta", size=2)
        return cls(check_greater(theta[0], -1.0, "theta[0]") + 1.0, -check_less(theta[1], 0.0, "theta[1]"))

    @staticmethod
    def sufficient_statistics(x):
        """t(x) = [log x, x]."""
        x = jnp.asarray(x, dtype=jnp.float64)
        return jnp.stack([jnp.log(x), x])

    @staticmethod
    def log_base_measure(x):
        """log h(x) = 0."""
        return jnp.zeros_like(jnp.asarray(x, dtype=jnp.float64))

    @classmethod
    def _log_partition_from_theta(cls, theta):
        """ψ(θ) = log Γ(θ₁ + 1) − (θ₁ + 1) log(−θ₂)."""
        return gammaln(theta[0] + 1.0) - (theta[0] + 1.0) * jnp.log(-theta[1])

    @classmethod
    def _log_partition_cpu(cls, theta):
        """ψ(θ) = log Γ(α) − α log β in numpy, α = θ₁ + 1, β = −θ₂."""
        from scipy.special import gammaln as log_gamma

        alpha, beta = _shape_rate(theta)
        return log_gamma(alpha) - alpha * np.log(beta)

    @classmethod
    def _grad_log_partition_cpu(cls, theta):
        """∇ψ(θ) = [ψ₀(α) − log β, α/β] = [E log X, E X] in numpy."""
        from scipy.special import digamma

        alpha, beta = _shape_rate(theta)
        return np.array([digamma(alpha) - np.log(beta), alpha / beta])

    @classmethod
    def _hessian_log_partition_cpu(cls, theta):
        """∇²ψ(θ) = [[ψ₁(α), 1/β], [1/β, α/β²]] = Cov t(X) in numpy (ψ₁ the trigamma function)."""
        from scipy.special import polygamma

        alpha, beta = _shape_rate(theta)
        return np.array([[polygamma(1, alpha), 1.0 / beta], [1.0 / beta, alpha / beta**2]])

    @classmethod
    def _theta_bounds(cls):
        return [(-1.0, None), (None, 0.0)]

    @classmethod
    def _initial_theta(cls, eta):
        """Start from ψ₀(α) − log α ≈ −1/(2α): α₀ = 1/(2 (log η₂ − η₁)), β₀ = α₀/η₂."""
        alpha = 0.5 / (jnp.log(eta[1]) - eta[0])
        return jnp.stack([alpha - 1.0, -alpha / eta[1]])

    def mean(self):
        """E[X] = α/β."""
        return self.alpha / self.beta

    def var(self):
        """Var[X] = α/β²."""
        return self.alpha / self.beta**2

    def cdf(self, x):
        """F(x) = P(α, βx), the regularised lower incomplete gamma function (0 for x <= 0)."""
        x = real_input(x, "x")
        inside = x > 0
        value = gammainc(self.alpha, self.beta * jnp.where(inside, x, 1.0))
        return jnp.where(inside, value, jnp.where(jnp.isnan(x), jnp.nan, 0.0))

    def rvs(self, n, seed=42):
        """``n`` draws as a numpy array: ``jax.random.gamma(jax.random.PRNGKey(seed), α, (n,)) / β``."""
        n = check_sample_size(n)
        seed = check_seed(seed)
        draws = jax.random.gamma(jax.random.PRNGKey(seed), self.alpha, (n,), dtype=jnp.float64)
        return np.asarray(draws / self.beta)

    @classmethod
    def from_expectation(cls, eta, *, theta0=None, maxiter=100, tol=1e-12, **kwargs):
        """Gamma from η = [E[log X], E[X]].

        α solves ψ₀(α) − log α = η₁ − log η₂ (the ``digamma_inv`` kernel of the chosen
        ``backend``, Newton to full precision), β = α/η₂.  Requires η₂ > 0 and
        η₁ < log η₂ (strict Jensen inequality); otherwise ``ValueError`` (an equinox
        runtime error under ``jax.jit``/``jax.vmap``).

        Parameters
        ----------
        eta : array, shape (2,)
        theta0, maxiter, tol
            Used only when ``method`` is given; the closed form needs no start and
            always iterates to full precision.  ``tol`` must be finite and >= 0 on
            both paths.
        **kwargs
            ``backend`` ('jax' default, or 'cpu'): which ``digamma_inv`` twin runs;
            ``method`` ('lbfgs', 'bfgs', 'newton'): solve with the generic Bregman
            solver of :class:`ExponentialFamily` instead; ``verbose``: the solver's
            summary (the closed form prints nothing).
        """
        backend, method, verbose = closed_form_options(kwargs, tol)
        if method is not None:
            return super().from_expectation(eta, theta0=theta0, maxiter=maxiter, tol=tol, backend=backend,
                                            method=method, verbose=verbose)
        eta = check_vector(eta, "eta", size=2)
        mean = check_positive(eta[1], "eta[1] (E[X])")
        gap = require(eta[0] - jnp.log(mean), lambda a: a < 0, "eta",
                      "satisfy eta[0] < log(eta[1]) (E[log X] < log E[X])")
        alpha = dispatch.kernels(backend).digamma_inv(gap)
        return cls(alpha, alpha / mean)
