"""Normal-Inverse Gamma (NInvG): the normal variance-mean mixture with an InverseGamma subordinator.

X | Y = y ~ N(μ + γy, Σy),  Y ~ InverseGamma(α, β) (shape α, rate β), the a → 0 limit
of GIG: p = -α, a = 0, b = 2β.  This is the skewed Student t: with γ = 0 it is the
multivariate t with ν = 2α degrees of freedom, location μ and scale matrix (β/α) Σ.
The posterior of Y is GIG(-α - d/2, γᵀΛγ, 2β + Q(x)) (an InverseGamma law when γ = 0).

EM updates the subordinator in closed form: α solves ψ(α) - log α = -s1 - log s2
(``digamma_inv``), β = α / s2, with s1 = mean E[log Y|x], s2 = mean E[1/Y|x].

References
----------
K. Aas and I. H. Haff (2006), "The generalized hyperbolic skew Student's t-distribution",
Journal of Financial Econometrics 4:275-309.
"""
import jax
import jax.numpy as jnp

from normix._em.reduced_solve import solve_fixed_coordinates
from normix._kernels import dispatch
from normix.distributions.inverse_gamma import InverseGamma
from normix.mixtures._compiled import compiled_kernel
from normix.mixtures.joint import JointNormalMixture, normal_part, positive_scalar
from normix.mixtures.marginal import NormalMixture

# Budget and tolerance of the shape's equation ψ₀(α) = log β - s1 when β is fixed (a
# one-dimensional Newton problem from the previous iterate: a few steps).
_GAMMA_MAXITER = 100
_GAMMA_TOL = 1e-10


class JointNormalInverseGamma(JointNormalMixture):
    """Joint f(x, y): X | Y ~ N(μ + γy, Σy), Y ~ InverseGamma(α, β); GIG form p = -α, a = 0, b = 2β.

    Parameters
    ----------
    mu, gamma : array, shape (d,)
    L_Sigma : array, shape (d, d)
        Lower Cholesky factor of Σ.
    alpha, beta : scalar
        Shape α > 0 and rate β > 0 of the InverseGamma subordinator.
    """

    mu: jax.Array
    gamma: jax.Array
    L_Sigma: jax.Array
    alpha: jax.Array
    beta: jax.Array

    def __init__(self, mu, gamma, L_Sigma, alpha, beta):
        self.mu, self.gamma, self.L_Sigma = normal_part(mu, gamma, L_Sigma)
        self.alpha = positive_scalar(alpha, "alpha")
        self.beta = positive_scalar(beta, "beta")

    @classmethod
    def from_classical(cls, *, mu, gamma, sigma, alpha, beta):
        """From μ, γ, the covariance Σ (symmetric positive definite) and the InverseGamma's α, β."""
        return cls._from_sigma(mu, gamma, sigma, alpha, beta)

    def subordinator(self):
        """InverseGamma(α, β)."""
        return InverseGamma(self.alpha, self.beta)

    def _subordinator_params(self):
        return self.alpha, self.beta

    @staticmethod
    def _to_gig(alpha, beta):
        return -alpha, 0.0 * beta, 2.0 * beta

    @staticmethod
    def _from_gig(p, a, b):
        return -p, 0.5 * b

    @staticmethod
    def _default_subordinator():
        """InverseGamma(3, 2): E[Y] = 1, Var[Y] = 1 (a Student t with 6 degrees of freedom at γ = 0)."""
        return 3.0, 2.0

    @classmethod
    def _subordinator_log_partition(cls, p, a, b):
        """ψ of InverseGamma(-p, b/2): log Γ(-p) + p log(b/2)."""
        return InverseGamma._log_partition_from_theta(jnp.stack([0.5 * b, p - 1.0]))

    @classmethod
    def _subordinator_m_step(cls, s1, s2, s3, params, backend, method):
        """α = digamma_inv(-s1 - log s2), β = α / s2 (NaN when -s1 >= log s2)."""
        xp = dispatch.array_namespace(backend)
        alpha = compiled_kernel(backend, "digamma_inv")(-s1 - xp.log(s2))
        return alpha, alpha / s2

    @classmethod
    def _subordinator_m_step_fixed(cls, s1, s2, s3, params, fixed, backend, method):
        """(α, β) maximising -(α + 1) s1 - β s2 + α log β - log Γ(α) with the ``fixed`` one(s) held.

        α fixed: β = α / s2.  β fixed: ψ₀(α) = log β - s1, the InverseGamma η -> θ problem
        in θ = (β, -(α + 1)), η = (-s2, s1), restricted to θ₂
        (:func:`normix._em.reduced_solve.solve_fixed_coordinates`).
        """
        xp = dispatch.array_namespace(backend)
        alpha_fixed, beta_fixed = fixed
        if beta_fixed is None:
            alpha = xp.asarray(alpha_fixed, dtype=xp.float64)
            return alpha, alpha / s2
        beta = xp.asarray(beta_fixed, dtype=xp.float64)
        if alpha_fixed is not None:
            return xp.asarray(alpha_fixed, dtype=xp.float64), beta
        alpha0, beta0 = params
        theta = solve_fixed_coordinates(InverseGamma.log_partition_triad(backend), (-s2, s1),
                                        (beta0, -(alpha0 + 1.0)), (beta_fixed, None), InverseGamma._theta_bounds(),
                                        backend=backend, method=method, max_steps=_GAMMA_MAXITER, tol=_GAMMA_TOL)
        return -theta[1] - 1.0, beta


class NormalInverseGamma(NormalMixture):
    """Marginal Normal-Inverse Gamma law f(x) of a :class:`JointNormalInverseGamma`.

    Parameters
    ----------
    joint : JointNormalInverseGamma
    """

    joint: JointNormalInverseGamma
    _joint_class = JointNormalInverseGamma
    fit_defaults = {"e_step_backend": "cpu"}

    def __init__(self, joint):
        if not isinstance(joint, JointNormalInverseGamma):
            raise TypeError(f"joint must be a JointNormalInverseGamma, got {type(joint).__name__}")
        self.joint = joint

    @classmethod
    def from_classical(cls, *, mu, gamma, sigma, alpha, beta):
        """From μ, γ, Σ and the InverseGamma subordinator's shape α and rate β."""
        return cls(JointNormalInverseGamma.from_classical(mu=mu, gamma=gamma, sigma=sigma, alpha=alpha,
                                                          beta=beta))
