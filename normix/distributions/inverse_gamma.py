"""InverseGamma distribution as an exponential family.

p(x | α, β) = β^α / Γ(α) · x^(−α−1) · e^(−β/x), x > 0, shape α > 0, rate β > 0
(X ~ InverseGamma(α, β) exactly when 1/X ~ Gamma(α, β)).

h(x) = 1, t(x) = [−1/x, log x], θ = [β, −(α + 1)] (θ₁ > 0, θ₂ < −1),
ψ(θ) = log Γ(−θ₂ − 1) − (−θ₂ − 1) log θ₁ = log Γ(α) − α log β,
η = ∇ψ = [−α/β, log β − ψ₀(α)] = [E[−1/X], E[log X]].
"""
import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import gammaincc, gammaln

from normix._kernels import dispatch
from normix._validation import check_greater, check_less, check_positive, \
    check_sample_size, check_seed, check_shape, check_vector, real_input, require
from normix.distributions.gamma import Gamma
from normix.exponential_family import PositiveSupportFamily, as_backend_array, closed_form_options

# θ_Gamma = A θ + c maps InverseGamma(α, β) natural parameters θ = (β, −(α + 1)) to those
# of Gamma(α, β), θ_Gamma = (α − 1, −β); both log-partitions are log Γ(α) − α log β.
_TO_GAMMA = np.array([[0.0, -1.0], [-1.0, 0.0]])
_GAMMA_OFFSET = np.array([-2.0, 0.0])


def _gamma_theta(theta):
    """θ_Gamma = Aθ + c (a numpy array) of a concrete InverseGamma θ."""
    return _TO_GAMMA @ as_backend_array(theta, "cpu") + _GAMMA_OFFSET


class InverseGamma(PositiveSupportFamily):
    """InverseGamma(α, β): shape α > 0, rate β > 0 (scalars).

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
        """θ = [β, −(α + 1)]."""
        return jnp.stack([self.beta, -(self.alpha + 1.0)])

    @classmethod
    def from_natural(cls, theta):
        """InverseGamma with α = −θ₂ − 1, β = θ₁ (θ₁ > 0, θ₂ < −1)."""
        theta = check_vector(theta, "theta", size=2)
        beta = check_greater(theta[0], 0.0, "theta[0]")
        return cls(-check_less(theta[1], -1.0, "theta[1]") - 1.0, beta)

    @staticmethod
    def sufficient_statistics(x):
        """t(x) = [−1/x, log x]."""
        x = jnp.asarray(x, dtype=jnp.float64)
        return jnp.stack([-1.0 / x, jnp.log(x)])

    @staticmethod
    def log_base_measure(x):
        """log h(x) = 0."""
        return jnp.zeros_like(jnp.asarray(x, dtype=jnp.float64))

    @classmethod
    def _log_partition_from_theta(cls, theta):
        """ψ(θ) = log Γ(−θ₂ − 1) − (−θ₂ − 1) log θ₁."""
        alpha = -theta[1] - 1.0
        return gammaln(alpha) - alpha * jnp.log(theta[0])

    @classmethod
    def _log_partition_cpu(cls, theta):
        """ψ(θ) = ψ_Gamma(Aθ + c) in numpy (see :func:`_gamma_theta`)."""
        return Gamma._log_partition_cpu(_gamma_theta(theta))

    @classmethod
    def _grad_log_partition_cpu(cls, theta):
        """∇ψ(θ) = Aᵀ ∇ψ_Gamma(Aθ + c) = [−α/β, log β − ψ₀(α)] = [E[−1/X], E log X] in numpy."""
        return _TO_GAMMA.T @ Gamma._grad_log_partition_cpu(_gamma_theta(theta))

    @classmethod
    def _hessian_log_partition_cpu(cls, theta):
        """∇²ψ(θ) = Aᵀ ∇²ψ_Gamma(Aθ + c) A = [[α/β², 1/β], [1/β, ψ₁(α)]] = Cov t(X) in numpy."""
        return _TO_GAMMA.T @ Gamma._hessian_log_partition_cpu(_gamma_theta(theta)) @ _TO_GAMMA

    @classmethod
    def _theta_bounds(cls):
        return [(0.0, None), (None, -1.0)]

    @classmethod
    def _initial_theta(cls, eta):
        """Start from ψ₀(α) − log α ≈ −1/(2α): α₀ = 1/(2(η₂ + log(−η₁))), β₀ = α₀/(−η₁)."""
        alpha = 0.5 / (eta[1] + jnp.log(-eta[0]))
        return jnp.stack([-alpha / eta[0], -(alpha + 1.0)])

    def mean(self):
        """E[X] = β/(α − 1) for α > 1, +inf otherwise."""
        finite = self.alpha > 1.0
        return jnp.where(finite, self.beta / jnp.where(finite, self.alpha - 1.0, 1.0), jnp.inf)

    def var(self):
        """Var[X] = β² / ((α − 1)² (α − 2)) for α > 2, +inf otherwise."""
        finite = self.alpha > 2.0
        a = jnp.where(finite, self.alpha, 3.0)
        return jnp.where(finite, self.beta**2 / ((a - 1.0) ** 2 * (a - 2.0)), jnp.inf)

    def cdf(self, x):
        """F(x) = Q(α, β/x), the regularised upper incomplete gamma function (0 for x <= 0)."""
        x = real_input(x, "x")
        inside = x > 0
        value = gammaincc(self.alpha, self.beta / jnp.where(inside, x, 1.0))
        return jnp.where(inside, value, jnp.where(jnp.isnan(x), jnp.nan, 0.0))

    def rvs(self, n, seed=42):
        """``n`` draws as a numpy array: β / ``jax.random.gamma(jax.random.PRNGKey(seed), α, (n,))``."""
        n = check_sample_size(n)
        seed = check_seed(seed)
        draws = jax.random.gamma(jax.random.PRNGKey(seed), self.alpha, (n,), dtype=jnp.float64)
        return np.asarray(self.beta / draws)

    @classmethod
    def from_expectation(cls, eta, *, theta0=None, maxiter=100, tol=1e-12, **kwargs):
        """InverseGamma from η = [E[−1/X], E[log X]] = [−α/β, log β − ψ₀(α)].

        α solves ψ₀(α) − log α = −η₂ − log(−η₁) (the ``digamma_inv`` kernel of the
        chosen ``backend``), β = α/(−η₁).  Requires η₁ < 0 and η₂ > −log(−η₁)
        (E[log X] > −log E[1/X], strict Jensen); otherwise ``ValueError`` (an equinox
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
        inv_mean = check_positive(-eta[0], "-eta[0] (E[1/X])")
        gap = require(-eta[1] - jnp.log(inv_mean), lambda a: a < 0, "eta",
                      "satisfy eta[1] > -log(-eta[0]) (E[log X] > -log E[1/X])")
        alpha = dispatch.kernels(backend).digamma_inv(gap)
        return cls(alpha, alpha / inv_mean)
