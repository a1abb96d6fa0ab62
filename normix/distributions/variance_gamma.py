"""Variance Gamma (VG): the normal variance-mean mixture with a Gamma subordinator.

X | Y = y ~ N(μ + γy, Σy),  Y ~ Gamma(α, β) (shape α, rate β), the b → 0 limit of
GIG: p = α, a = 2β, b = 0.  The marginal density

    f(x) ∝ (Q(x) / (2β + A))^((α - d/2)/2) K_{α-d/2}(√((2β + A) Q(x))) exp((x - μ)ᵀΛγ),

Q(x) = (x - μ)ᵀΛ(x - μ), A = γᵀΛγ, Λ = Σ⁻¹, is evaluated by the mixture kernels.  The
posterior of Y is GIG(α - d/2, 2β + A, Q(x)); at Q(x) = 0 (x = μ) it is a Gamma law
whose E[1/Y | x] is infinite when α <= d/2 + 1.

EM updates the subordinator in closed form: α solves ψ(α) - log α = s1 - log s3
(``digamma_inv``), β = α / s3, with s1 = mean E[log Y|x], s3 = mean E[Y|x].

References
----------
D. Madan and E. Seneta (1990), "The variance gamma (V.G.) model for share market
returns", Journal of Business 63:511-524.
"""
import jax
import jax.numpy as jnp

from normix._em.reduced_solve import solve_fixed_coordinates
from normix._kernels import dispatch
from normix.distributions.gamma import Gamma
from normix.mixtures._compiled import compiled_kernel
from normix.mixtures.joint import JointNormalMixture, normal_part, positive_scalar
from normix.mixtures.marginal import NormalMixture

# Budget and tolerance of the shape's equation ψ₀(α) = s1 + log β when β is fixed (a
# one-dimensional Newton problem from the previous iterate: a few steps).
_GAMMA_MAXITER = 100
_GAMMA_TOL = 1e-10


class JointVarianceGamma(JointNormalMixture):
    """Joint f(x, y): X | Y ~ N(μ + γy, Σy), Y ~ Gamma(α, β); GIG form p = α, a = 2β, b = 0.

    Parameters
    ----------
    mu, gamma : array, shape (d,)
    L_Sigma : array, shape (d, d)
        Lower Cholesky factor of Σ.
    alpha, beta : scalar
        Shape α > 0 and rate β > 0 of the Gamma subordinator.
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
        """From μ, γ, the covariance Σ (symmetric positive definite) and the Gamma's α, β."""
        return cls._from_sigma(mu, gamma, sigma, alpha, beta)

    def subordinator(self):
        """Gamma(α, β)."""
        return Gamma(self.alpha, self.beta)

    def _subordinator_params(self):
        return self.alpha, self.beta

    @staticmethod
    def _to_gig(alpha, beta):
        return alpha, 2.0 * beta, 0.0 * beta

    @staticmethod
    def _from_gig(p, a, b):
        return p, 0.5 * a

    @staticmethod
    def _default_subordinator():
        """Gamma(2, 2): E[Y] = 1, Var[Y] = 1/2."""
        return 2.0, 2.0

    @classmethod
    def _subordinator_log_partition(cls, p, a, b):
        """ψ of Gamma(p, a/2): log Γ(p) - p log(a/2)."""
        return Gamma._log_partition_from_theta(jnp.stack([p - 1.0, -0.5 * a]))

    @classmethod
    def _subordinator_m_step(cls, s1, s2, s3, params, backend, method):
        """α = digamma_inv(s1 - log s3), β = α / s3 (NaN when s1 >= log s3)."""
        xp = dispatch.array_namespace(backend)
        alpha = compiled_kernel(backend, "digamma_inv")(s1 - xp.log(s3))
        return alpha, alpha / s3

    @classmethod
    def _subordinator_m_step_fixed(cls, s1, s2, s3, params, fixed, backend, method):
        """(α, β) maximising (α - 1) s1 - β s3 + α log β - log Γ(α) with the ``fixed`` one(s) held.

        α fixed: β = α / s3.  β fixed: ψ₀(α) = s1 + log β, the Gamma η -> θ problem in
        θ = (α - 1, -β) restricted to θ₁ (:func:`normix._em.reduced_solve.solve_fixed_coordinates`).
        """
        xp = dispatch.array_namespace(backend)
        alpha_fixed, beta_fixed = fixed
        if beta_fixed is None:
            alpha = xp.asarray(alpha_fixed, dtype=xp.float64)
            return alpha, alpha / s3
        beta = xp.asarray(beta_fixed, dtype=xp.float64)
        if alpha_fixed is not None:
            return xp.asarray(alpha_fixed, dtype=xp.float64), beta
        alpha0, beta0 = params
        theta = solve_fixed_coordinates(Gamma.log_partition_triad(backend), (s1, s3), (alpha0 - 1.0, -beta0),
                                        (None, -beta_fixed), Gamma._theta_bounds(), backend=backend,
                                        method=method, max_steps=_GAMMA_MAXITER, tol=_GAMMA_TOL)
        return theta[0] + 1.0, beta


class VarianceGamma(NormalMixture):
    """Marginal Variance Gamma law f(x) of a :class:`JointVarianceGamma`.

    Parameters
    ----------
    joint : JointVarianceGamma
    """

    joint: JointVarianceGamma
    _joint_class = JointVarianceGamma
    fit_defaults = {"e_step_backend": "cpu"}

    def __init__(self, joint):
        if not isinstance(joint, JointVarianceGamma):
            raise TypeError(f"joint must be a JointVarianceGamma, got {type(joint).__name__}")
        self.joint = joint

    @classmethod
    def from_classical(cls, *, mu, gamma, sigma, alpha, beta):
        """From μ, γ, Σ and the Gamma subordinator's shape α and rate β."""
        return cls(JointVarianceGamma.from_classical(mu=mu, gamma=gamma, sigma=sigma, alpha=alpha, beta=beta))
