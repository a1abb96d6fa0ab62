"""Joint law f(x, y) of a normal variance-mean mixture, as an exponential family.

X | Y = y ~ N(mu + gamma y, Sigma y),  Y >= 0 the *subordinator*, with law
GIG(p, a, b) (density ∝ y^(p-1) exp(-(a y + b/y)/2)) or one of its limits:
Gamma (b = 0, p > 0), InverseGamma (a = 0, p < 0), InverseGaussian (p = -1/2).

With Λ = Σ⁻¹ and t(x, y) = [log y, 1/y, y, x, x/y, vec(x xᵀ/y)], expanding
log f(x | y) + log f_Y(y) gives

    θ₁ = p - 1 - d/2,            θ₄ = Λγ,
    θ₂ = -(b/2 + ½ μᵀΛμ),        θ₅ = Λμ,
    θ₃ = -(a/2 + ½ γᵀΛγ),        θ₆ = -½ vec(Λ),

    log h(x, y) = -(d/2) log(2π),
    ψ(θ) = ψ_Y(p, a, b) + ½ log|Σ| + μᵀΛγ,

where ψ_Y is the log-partition of the subordinator in its own family (for GIG,
log 2 + log K_p(√(ab)) + (p/2) log(b/a)).  The coefficients of 1/y and y carry the
halves of b and a (the subordinator's own θ is (p - 1, -b/2, -a/2)).

Concrete families (one final pair per file in :mod:`normix.distributions`) store
(mu, gamma, L_Sigma) and the subordinator's classical parameters, and say how
those map to and from the GIG form (p, a, b) that the kernels take.

References
----------
O. Barndorff-Nielsen (1977), "Exponentially decreasing distributions for the logarithm
of particle size", Proc. R. Soc. Lond. A 353:401-419.
A. McNeil, R. Frey and P. Embrechts (2005), "Quantitative Risk Management", Sect. 3.2.
"""
import abc
import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.linalg import cho_solve, solve_triangular

from normix._validation import check_lower_cholesky, check_sample_size, check_scalar, check_seed, check_vector, \
    cholesky_factor, require
from normix.exponential_family import ExponentialFamily
from normix.mixtures._compiled import compiled_kernel

_LOG_2PI = math.log(2.0 * math.pi)


def dimension_of_theta(size):
    """d such that a joint θ (or η) vector of length ``size`` = d² + 2d + 3; ``ValueError`` otherwise."""
    d = math.isqrt(max(size - 2, 0)) - 1
    if d < 1 or (d + 1) ** 2 != size - 2:
        raise ValueError(f"theta must have length d**2 + 2*d + 3 for some d >= 1, got length {size}")
    return d


def normal_part(mu, gamma, L_Sigma):
    """Validated (mu, gamma, L_Sigma): finite (d,) vectors (d >= 1) and a lower Cholesky factor with positive diagonal."""
    mu = check_vector(mu, "mu")
    d = mu.shape[0]
    if d < 1:
        raise ValueError("mu must have at least one element (the dimension d >= 1), got shape (0,)")
    return mu, check_vector(gamma, "gamma", size=d), check_lower_cholesky(L_Sigma, "L_Sigma", size=d)


def positive_scalar(value, name):
    """``value`` as a float64 JAX scalar after checking it is finite and > 0."""
    return require(check_scalar(value, name), lambda v: v > 0, name, "be > 0")


class JointNormalMixture(ExponentialFamily):
    """Abstract joint law f(x, y): X | Y ~ N(μ + γY, ΣY), Y ~ subordinator.

    Stored by every concrete family: ``mu`` (d,), ``gamma`` (d,) and ``L_Sigma`` (d, d),
    the lower Cholesky factor of Σ, plus the subordinator's classical parameters.

    Concrete families implement :meth:`subordinator`, the GIG-form maps
    :meth:`_to_gig` / :meth:`_from_gig`, :meth:`_subordinator_params`,
    :meth:`_default_subordinator`, :meth:`_subordinator_log_partition` and
    :meth:`_subordinator_m_step`.
    """

    mu: eqx.AbstractVar[jax.Array]
    gamma: eqx.AbstractVar[jax.Array]
    L_Sigma: eqx.AbstractVar[jax.Array]

    # ------------------------------------------------------------- family hooks
    @abc.abstractmethod
    def subordinator(self):
        """The law of Y as a distribution object of its own family."""

    @abc.abstractmethod
    def _subordinator_params(self):
        """Tuple of the subordinator's classical parameters, in constructor order."""

    @staticmethod
    @abc.abstractmethod
    def _to_gig(*params):
        """(p, a, b) of the subordinator's classical parameters (arithmetic only: numpy or JAX)."""

    @staticmethod
    @abc.abstractmethod
    def _from_gig(p, a, b):
        """Classical parameters of the subordinator whose GIG form is (p, a, b) (arithmetic only)."""

    @staticmethod
    @abc.abstractmethod
    def _default_subordinator():
        """Classical parameters of the family's default subordinator (E[Y] = 1), for ``default_init``."""

    @classmethod
    @abc.abstractmethod
    def _subordinator_log_partition(cls, p, a, b):
        """ψ_Y of the subordinator given in GIG form, JAX-traceable and differentiable."""

    @classmethod
    @abc.abstractmethod
    def _subordinator_m_step(cls, s1, s2, s3, params, backend, method):
        """Classical parameters solving E[log Y] = s1, E[1/Y] = s2, E[Y] = s3 (or the family's subset).

        ``params`` (the current ones) is the warm start; ``backend`` picks the kernels
        and the array type; invalid statistics give NaN parameters (never an exception),
        so that the EM engine can stop honestly inside compiled loops.
        """

    # ----------------------------------------------------------------- geometry
    @property
    def d(self):
        """Dimension of X."""
        return self.mu.shape[0]

    def sigma(self):
        """Σ = L Lᵀ."""
        return self.L_Sigma @ self.L_Sigma.T

    def log_det_sigma(self):
        """log|Σ| = 2 Σᵢ log Lᵢᵢ."""
        return 2.0 * jnp.sum(jnp.log(jnp.diagonal(self.L_Sigma)))

    def gig_params(self):
        """The subordinator in GIG form (p, a, b), as the kernels take it (a = 0 or b = 0 for the limits)."""
        return self._to_gig(*self._subordinator_params())

    def _precision_times(self, v):
        return cho_solve((self.L_Sigma, True), v)

    # ------------------------------------------------------- exponential family
    def natural_params(self):
        """θ = [p - 1 - d/2, -(b/2 + ½μᵀΛμ), -(a/2 + ½γᵀΛγ), Λγ, Λμ, -½vec(Λ)], Λ = Σ⁻¹."""
        p, a, b = self.gig_params()
        d = self.d
        lam_mu = self._precision_times(self.mu)
        lam_gamma = self._precision_times(self.gamma)
        precision = self._precision_times(jnp.eye(d))
        head = jnp.stack([p - 1.0 - 0.5 * d, -(0.5 * b + 0.5 * self.mu @ lam_mu),
                          -(0.5 * a + 0.5 * self.gamma @ lam_gamma)])
        return jnp.concatenate([head, lam_gamma, lam_mu, -0.5 * precision.ravel()])

    @staticmethod
    def _decode_theta(theta):
        """(mu, gamma, L_Sigma, p, a, b, ½log|Σ| + μᵀΛγ) of a joint θ."""
        d = dimension_of_theta(theta.shape[0])
        lam_gamma, lam_mu = theta[3:3 + d], theta[3 + d:3 + 2 * d]
        precision = -2.0 * theta[3 + 2 * d:].reshape(d, d)
        L_precision = jnp.linalg.cholesky(0.5 * (precision + precision.T))
        mu = cho_solve((L_precision, True), lam_mu)
        gamma = cho_solve((L_precision, True), lam_gamma)
        sigma = cho_solve((L_precision, True), jnp.eye(d))
        L_Sigma = jnp.linalg.cholesky(0.5 * (sigma + sigma.T))
        p = theta[0] + 1.0 + 0.5 * d
        b = -2.0 * theta[1] - mu @ lam_mu
        a = -2.0 * theta[2] - gamma @ lam_gamma
        normal_log_partition = -jnp.sum(jnp.log(jnp.diagonal(L_precision))) + mu @ lam_gamma
        return mu, gamma, L_Sigma, p, a, b, normal_log_partition

    @classmethod
    def from_natural(cls, theta):
        """The family member with natural parameters θ (see the module docstring).

        Λ = -2 θ₆ must be positive definite (``ValueError`` naming ``theta`` otherwise);
        μ = Λ⁻¹θ₅, γ = Λ⁻¹θ₄, p = θ₁ + 1 + d/2, b = -2θ₂ - μᵀΛμ, a = -2θ₃ - γᵀΛγ, then
        the family's classical subordinator parameters of (p, a, b) (a family with a fixed
        p or a limit a = 0 / b = 0 reads only the coordinates it has).
        """
        theta = check_vector(theta, "theta")
        mu, gamma, L_Sigma, p, a, b, _ = cls._decode_theta(theta)
        L_Sigma = require(L_Sigma, lambda v: abs(v) < math.inf, "theta",
                          "have -2*theta_6 positive definite (the precision matrix)")
        return cls(mu, gamma, L_Sigma, *cls._from_gig(p, a, b))

    @classmethod
    def _log_partition_from_theta(cls, theta):
        """ψ(θ) = ψ_Y(p, a, b) + ½ log|Σ| + μᵀΛγ.

        For the limit families the joint is a curved family: VG fixes b = 0 and NInvG
        a = 0, and ψ_Y does not read that coordinate.  There ∂ψ/∂θ₂ (VG) and ∂ψ/∂θ₃
        (NInvG) are not E[1/Y] and E[Y]; every other coordinate of ∇ψ is E[t(X, Y)].
        """
        theta = jnp.asarray(theta, dtype=jnp.float64)
        _, _, _, p, a, b, normal_log_partition = cls._decode_theta(theta)
        return cls._subordinator_log_partition(p, a, b) + normal_log_partition

    @staticmethod
    def sufficient_statistics(xy):
        """t(x, y) = [log y, 1/y, y, x, x/y, vec(x xᵀ/y)] of the flat vector xy = [x₁, ..., x_d, y]."""
        xy = jnp.asarray(xy, dtype=jnp.float64)
        x, y = xy[:-1], xy[-1]
        return jnp.concatenate([jnp.stack([jnp.log(y), 1.0 / y, y]), x, x / y, jnp.outer(x, x).ravel() / y])

    @staticmethod
    def log_base_measure(xy):
        """log h(x, y) = -(d/2) log(2π) (the rest of the subordinator's base measure is in θ₁)."""
        xy = jnp.asarray(xy, dtype=jnp.float64)
        return jnp.asarray(-0.5 * (xy.shape[0] - 1) * _LOG_2PI)

    @staticmethod
    def _support(xy):
        inside = xy[-1] > 0
        return inside, xy.at[-1].set(jnp.where(inside, xy[-1], 1.0))

    # -------------------------------------------------------------- densities
    def log_prob_joint(self, x, y):
        """log f(x, y) = log f(x | y) + log f_Y(y), with

        log f(x | y) = -(d/2) log(2π) - ½ log|Σ| - (d/2) log y - ‖L⁻¹(x - μ - γy)‖² / (2y),

        and log f_Y from :meth:`subordinator`; -inf for y <= 0.  ``x`` must be a finite
        (d,) vector (``ValueError`` otherwise).  Evaluated as one compiled program.
        """
        x = check_vector(x, "x", size=self.d)
        y = check_scalar(y, "y")
        return _log_prob_joint(self, self.subordinator(), x, y)

    def conditional_expectations(self, x):
        """E[log Y | x], E[1/Y | x], E[Y | x] under the posterior Y | X = x ~ GIG(p - d/2, a + γᵀΛγ, b + Q(x)).

        Q(x) = (x - μ)ᵀΛ(x - μ).  Computed by the ``posterior_moments`` JAX kernel (jit-able,
        vmappable).  Returns a dict with keys ``'E_log_Y'``, ``'E_inv_Y'``, ``'E_Y'``.
        """
        x = check_vector(x, "x", size=self.d)
        p, a, b = self.gig_params()
        e_log_y, e_inv_y, e_y = compiled_kernel("jax", "posterior_moments")(
            x[None, :], self.mu, self.gamma, self.L_Sigma, p, a, b)
        return {"E_log_Y": e_log_y[0], "E_inv_Y": e_inv_y[0], "E_Y": e_y[0]}

    def rvs(self, n, seed=42):
        """``n`` draws of (X, Y) as numpy arrays of shapes (n, d) and (n,).

        Y comes from the subordinator's ``rvs`` and Z ~ N(0, I) from numpy's PCG64, on two
        streams derived from ``numpy.random.SeedSequence(seed)``; X = μ + γY + √Y L Z.
        """
        n = check_sample_size(n)
        seed = check_seed(seed)
        subordinator_seed, normal_seed = (int(s) for s in np.random.SeedSequence(seed).generate_state(2))
        y = np.asarray(self.subordinator().rvs(n, seed=subordinator_seed), dtype=np.float64)
        z = np.random.default_rng(normal_seed).standard_normal((n, self.d))
        L_Sigma = np.asarray(self.L_Sigma)
        x = np.asarray(self.mu) + y[:, None] * np.asarray(self.gamma) + np.sqrt(y)[:, None] * (z @ L_Sigma.T)
        return x, y

    # ----------------------------------------------------------- constructors
    @classmethod
    def _from_sigma(cls, mu, gamma, sigma, *params):
        mu = check_vector(mu, "mu")
        if np.shape(sigma) != (mu.shape[0],) * 2:
            raise ValueError(f"sigma must have shape {(mu.shape[0],) * 2} to match mu, got shape {np.shape(sigma)}")
        return cls(mu, gamma, cholesky_factor(sigma, "sigma"), *params)


@eqx.filter_jit
def _log_prob_joint(joint, subordinator, x, y):
    inside = y > 0
    y_safe = jnp.where(inside, y, 1.0)
    z = solve_triangular(joint.L_Sigma, x - joint.mu - joint.gamma * y_safe, lower=True)
    conditional = (-0.5 * joint.d * (_LOG_2PI + jnp.log(y_safe)) - 0.5 * joint.log_det_sigma()
                   - 0.5 * (z @ z) / y_safe)
    return jnp.where(inside, conditional + subordinator.log_prob(y_safe), -jnp.inf)
