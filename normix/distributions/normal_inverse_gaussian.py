"""Normal-Inverse Gaussian (NIG): the normal variance-mean mixture with an InverseGaussian subordinator.

X | Y = y ~ N(μ + γy, Σy),  Y ~ InverseGaussian(μ_IG, λ) (mean μ_IG, shape λ), which is
GIG(-1/2, λ/μ_IG², λ).  The posterior of Y is GIG(-1/2 - d/2, λ/μ_IG² + γᵀΛγ, λ + Q(x)),
whose Bessel functions have half-integer order (a closed form) when d is odd.

EM updates the subordinator in closed form from the posterior averages
s2 = mean E[1/Y|x], s3 = mean E[Y|x]:  μ_IG = s3,  1/λ = s2 - 1/s3.

References
----------
O. Barndorff-Nielsen (1997), "Normal inverse Gaussian distributions and stochastic
volatility modelling", Scandinavian Journal of Statistics 24:1-13.
"""
import jax
import jax.numpy as jnp

from normix._kernels import dispatch
from normix.distributions.generalized_inverse_gaussian import GeneralizedInverseGaussian
from normix.distributions.inverse_gaussian import InverseGaussian
from normix.distributions.scipy_interop import frozen_arguments, gh_to_scipy, scipy_to_gh
from normix.mixtures.joint import JointNormalMixture, normal_part, positive_scalar
from normix.mixtures.marginal import NormalMixture


class JointNormalInverseGaussian(JointNormalMixture):
    """Joint f(x, y): X | Y ~ N(μ + γy, Σy), Y ~ InverseGaussian(μ_IG, λ); GIG form (-1/2, λ/μ_IG², λ).

    Parameters
    ----------
    mu, gamma : array, shape (d,)
    L_Sigma : array, shape (d, d)
        Lower Cholesky factor of Σ.
    mu_ig, lam : scalar
        Mean μ_IG > 0 and shape λ > 0 of the InverseGaussian subordinator.
    """

    mu: jax.Array
    gamma: jax.Array
    L_Sigma: jax.Array
    mu_ig: jax.Array
    lam: jax.Array

    def __init__(self, mu, gamma, L_Sigma, mu_ig, lam):
        self.mu, self.gamma, self.L_Sigma = normal_part(mu, gamma, L_Sigma)
        self.mu_ig = positive_scalar(mu_ig, "mu_ig")
        self.lam = positive_scalar(lam, "lam")

    @classmethod
    def from_classical(cls, *, mu, gamma, sigma, mu_ig, lam):
        """From μ, γ, the covariance Σ (symmetric positive definite) and the InverseGaussian's μ_IG, λ."""
        return cls._from_sigma(mu, gamma, sigma, mu_ig, lam)

    def subordinator(self):
        """InverseGaussian(μ_IG, λ)."""
        return InverseGaussian(self.mu_ig, self.lam)

    def _subordinator_params(self):
        return self.mu_ig, self.lam

    @staticmethod
    def _to_gig(mu_ig, lam):
        return 0.0 * lam - 0.5, lam / mu_ig**2, lam

    @staticmethod
    def _from_gig(p, a, b):
        return (b / a) ** 0.5, b

    @staticmethod
    def _default_subordinator():
        """InverseGaussian(1, 1): E[Y] = 1, Var[Y] = 1."""
        return 1.0, 1.0

    @classmethod
    def _subordinator_log_partition(cls, p, a, b):
        """ψ of GIG(-1/2, a, b) = ½ log(2π) - ½ log b - √(ab)."""
        return GeneralizedInverseGaussian._log_partition_from_theta(jnp.stack([p - 1.0, -0.5 * b, -0.5 * a]))

    @classmethod
    def _subordinator_m_step(cls, s1, s2, s3, params, backend, method):
        """μ_IG = s3, λ = 1 / (s2 - 1/s3) (NaN unless s2 s3 > 1)."""
        xp = dispatch.array_namespace(backend)
        gap = s2 - 1.0 / s3
        lam = xp.where(gap > 0, 1.0 / xp.where(gap > 0, gap, 1.0), xp.nan)
        return xp.asarray(s3, dtype=xp.float64), lam

    @classmethod
    def _subordinator_m_step_fixed(cls, s1, s2, s3, params, fixed, backend, method):
        """(μ_IG, λ) maximising ½ log λ - λ s3/(2μ_IG²) + λ/μ_IG - λ s2/2 with the ``fixed`` one(s) held.

        Setting the derivatives to zero: ∂/∂μ_IG gives μ_IG = s3 whatever λ (so λ fixed:
        μ_IG = s3); ∂/∂λ gives 1/λ = s2 - 2/μ_IG + s3/μ_IG² (so μ_IG fixed: that λ, which is
        > 0 since s2 - 2/μ + s3/μ² = s3 (1/μ - 1/s3)² + s2 - 1/s3 and s2 s3 >= 1).
        """
        xp = dispatch.array_namespace(backend)
        mu_fixed, lam_fixed = fixed
        if mu_fixed is None:
            return xp.asarray(s3, dtype=xp.float64), xp.asarray(lam_fixed, dtype=xp.float64)
        mu_ig = xp.asarray(mu_fixed, dtype=xp.float64)
        if lam_fixed is not None:
            return mu_ig, xp.asarray(lam_fixed, dtype=xp.float64)
        gap = s2 - 2.0 / mu_ig + s3 / mu_ig**2
        return mu_ig, xp.where(gap > 0, 1.0 / xp.where(gap > 0, gap, 1.0), xp.nan)


class NormalInverseGaussian(NormalMixture):
    """Marginal Normal-Inverse Gaussian law f(x) of a :class:`JointNormalInverseGaussian`.

    Parameters
    ----------
    joint : JointNormalInverseGaussian
    """

    joint: JointNormalInverseGaussian
    _joint_class = JointNormalInverseGaussian

    def __init__(self, joint):
        if not isinstance(joint, JointNormalInverseGaussian):
            raise TypeError(f"joint must be a JointNormalInverseGaussian, got {type(joint).__name__}")
        self.joint = joint

    @classmethod
    def from_classical(cls, *, mu, gamma, sigma, mu_ig, lam):
        """From μ, γ, Σ and the InverseGaussian subordinator's mean μ_IG and shape λ."""
        return cls(JointNormalInverseGaussian.from_classical(mu=mu, gamma=gamma, sigma=sigma, mu_ig=mu_ig,
                                                             lam=lam))

    def to_scipy(self):
        """The equal frozen ``scipy.stats.norminvgauss`` of a univariate NIG law (d = 1).

        norminvgauss(a_s, b_s, loc=μ, scale=δ) with, in GIG form (a, b) = (λ/μ_IG², λ),
        a_s = √(b(a + γ²/σ²)), b_s = γ√b/σ, δ = σ√b (derivation in
        :mod:`normix.distributions.scipy_interop`).

        Raises
        ------
        ValueError
            If d != 1.
        """
        if self.d != 1:
            raise ValueError(f"to_scipy needs a univariate law (d = 1), got d = {self.d}; take model.margin(i) or "
                             "model.project(w) first")
        import scipy.stats

        joint = self.joint
        _, a_s, b_s, loc, scale = gh_to_scipy(joint.mu[0], joint.gamma[0], joint.L_Sigma[0, 0] ** 2,
                                              *joint.gig_params())
        return scipy.stats.norminvgauss(a_s, b_s, loc=loc, scale=scale)

    @classmethod
    def from_scipy(cls, frozen):
        """The univariate NIG law equal to a frozen ``scipy.stats.norminvgauss(a, b, loc, scale)``.

        Of the equivalent scalings it returns the one with λ = 1: σ = scale,
        γ = b_scipy · scale, μ_IG = 1/√(a_scipy² - b_scipy²), μ = loc.

        Raises
        ------
        ValueError
            If ``frozen`` is not a frozen norminvgauss, or its parameters are outside scipy's domain.
        """
        values = frozen_arguments(frozen, "norminvgauss")
        mu, gamma, sigma2, _, a, b = scipy_to_gh(-0.5, values["a"], values["b"], values["loc"], values["scale"])
        return cls.from_classical(mu=[mu], gamma=[gamma], sigma=[[sigma2]], mu_ig=(b / a) ** 0.5, lam=b)
