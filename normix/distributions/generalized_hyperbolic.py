"""Generalized Hyperbolic (GH): the normal variance-mean mixture with a GIG subordinator.

X | Y = y ~ N(μ + γy, Σy),  Y ~ GIG(p, a, b) (density ∝ y^(p-1) exp(-(a y + b/y)/2)).
With Q(x) = (x - μ)ᵀΛ(x - μ), A = γᵀΛγ, Λ = Σ⁻¹, the marginal density is::

    f(x) = (a/b)^(p/2) / ((2π)^(d/2) |Σ|^(1/2) K_p(√(ab)))
           · ((b + Q)/(a + A))^((p - d/2)/2) K_{p-d/2}(√((a + A)(b + Q))) exp((x - μ)ᵀΛγ)

and the posterior of Y is GIG(p - d/2, a + A, b + Q(x)).  The limits b = 0 (p > 0) and
a = 0 (p < 0) are the Variance Gamma and Normal-Inverse Gamma laws and are accepted
here, so that every special case has an exact GH form; NIG is p = -1/2.

The family is not identified in scale: (μ, γ/c, Σ/c, cY) has the same law for every
c > 0, hence ``regularization='det_sigma_one'`` (``|Σ| = 1``) by default in :meth:`fit`.

EM updates the subordinator by solving the GIG moment equations
(E[log Y], E[1/Y], E[Y]) = (s1, s2, s3): the batched ``gig_eta_to_theta`` Newton kernel
(``m_step_method='newton'``), or ``solve_bregman`` (``'lbfgs'``, ``'bfgs'``) on the GIG
log-partition after rescaling Y to the symmetric problem E[1/Y'] = E[Y'].

References
----------
O. Barndorff-Nielsen (1977), Proc. R. Soc. Lond. A 353:401-419.
A. McNeil, R. Frey and P. Embrechts (2005), "Quantitative Risk Management", Sect. 3.2.4.
"""
import jax
import jax.numpy as jnp

from normix._bregman import solve_bregman
from normix._em.reduced_solve import solve_fixed_coordinates
from normix._kernels import dispatch
from normix._validation import check_scalar, require
from normix.distributions.gamma import Gamma
from normix.distributions.generalized_inverse_gaussian import GeneralizedInverseGaussian
from normix.distributions.inverse_gamma import InverseGamma
from normix.distributions.scipy_interop import frozen_arguments, gh_to_scipy, scipy_to_gh
from normix.distributions._special_cases import best_special_case
from normix.mixtures._compiled import compiled_kernel
from normix.mixtures.joint import JointNormalMixture, normal_part
from normix.mixtures.marginal import NormalMixture

# Budget and tolerance of the subordinator's moment equations in one M-step.  Newton
# from the previous iterate converges in a handful of steps; 1e-10 (relative in E[1/Y]
# and E[Y], absolute in E[log Y]) is far below the change EM makes per iteration.
_GIG_MAXITER = 100
_GIG_TOL = 1e-10


def _nonnegative_scalar(value, name, limit_ok, limit):
    value = check_scalar(value, name)
    value = require(value, lambda v: v >= 0, name, "be >= 0")
    return require(value, lambda v: (v > 0) | limit_ok, name, f"be > 0 unless {limit}")


class JointGeneralizedHyperbolic(JointNormalMixture):
    """Joint f(x, y): X | Y ~ N(μ + γy, Σy), Y ~ GIG(p, a, b).

    Parameters
    ----------
    mu, gamma : array, shape (d,)
    L_Sigma : array, shape (d, d)
        Lower Cholesky factor of Σ.
    p : scalar
        GIG index, any finite real.
    a, b : scalar
        a > 0 and b > 0; a = 0 is allowed when p < 0 (InverseGamma limit) and b = 0 when
        p > 0 (Gamma limit).
    """

    mu: jax.Array
    gamma: jax.Array
    L_Sigma: jax.Array
    p: jax.Array
    a: jax.Array
    b: jax.Array

    def __init__(self, mu, gamma, L_Sigma, p, a, b):
        self.mu, self.gamma, self.L_Sigma = normal_part(mu, gamma, L_Sigma)
        self.p = check_scalar(p, "p")
        self.a = _nonnegative_scalar(a, "a", self.p < 0, "p < 0 (a = 0 is the InverseGamma limit)")
        self.b = _nonnegative_scalar(b, "b", self.p > 0, "p > 0 (b = 0 is the Gamma limit)")

    @classmethod
    def from_classical(cls, *, mu, gamma, sigma, p, a, b):
        """From μ, γ, the covariance Σ (symmetric positive definite) and the GIG's (p, a, b)."""
        return cls._from_sigma(mu, gamma, sigma, p, a, b)

    def subordinator(self):
        """The law of Y: GIG(p, a, b), or Gamma(p, a/2) when b = 0, InverseGamma(-p, b/2) when a = 0.

        The limits are chosen on concrete values, so this method is not jit-able.
        """
        if float(self.b) == 0.0:
            return Gamma(self.p, 0.5 * self.a)
        if float(self.a) == 0.0:
            return InverseGamma(-self.p, 0.5 * self.b)
        return GeneralizedInverseGaussian(self.p, self.a, self.b)

    def _subordinator_params(self):
        return self.p, self.a, self.b

    @staticmethod
    def _to_gig(p, a, b):
        return p, a, b

    @staticmethod
    def _from_gig(p, a, b):
        return p, a, b

    @staticmethod
    def _default_subordinator():
        """GIG(-1/2, 1, 1) = InverseGaussian(1, 1): E[Y] = 1, Var[Y] = 1."""
        return -0.5, 1.0, 1.0

    @classmethod
    def _subordinator_log_partition(cls, p, a, b):
        """ψ of GIG(p, a, b), of Gamma(p, a/2) when b = 0 and of InverseGamma(-p, b/2) when a = 0.

        Each family's ψ runs on safe stand-in parameters where it is not selected, so no
        NaN reaches the value or its gradient.
        """
        gamma_limit = b == 0
        inverse_gamma_limit = a == 0
        regular = jnp.logical_not(gamma_limit | inverse_gamma_limit)
        gig = GeneralizedInverseGaussian._log_partition_from_theta(
            jnp.stack([p - 1.0, -0.5 * jnp.where(regular, b, 1.0), -0.5 * jnp.where(regular, a, 1.0)]))
        gamma = Gamma._log_partition_from_theta(
            jnp.stack([jnp.where(gamma_limit, p, 1.0) - 1.0, -0.5 * jnp.where(gamma_limit, a, 1.0)]))
        inverse_gamma = InverseGamma._log_partition_from_theta(
            jnp.stack([0.5 * jnp.where(inverse_gamma_limit, b, 1.0), jnp.where(inverse_gamma_limit, p, -1.0) - 1.0]))
        return jnp.where(gamma_limit, gamma, jnp.where(inverse_gamma_limit, inverse_gamma, gig))

    @classmethod
    def _subordinator_m_step(cls, s1, s2, s3, params, backend, method):
        """(p, a, b) with GIG moments (s1, s2, s3), warm-started at ``params`` (NaN if unsolvable)."""
        if method == "newton":
            return _gig_newton(s1, s2, s3, params, backend)
        return _gig_bregman(s1, s2, s3, params, backend, method)

    @classmethod
    def _subordinator_m_step_fixed(cls, s1, s2, s3, params, fixed, backend, method):
        """(p, a, b) maximising (p - 1) s1 - (b s2 + a s3)/2 - ψ(p, a, b) with the ``fixed`` ones held.

        ``fixed`` holds a float (held) or ``None`` (free) per parameter.  In the natural
        parameters θ = (p - 1, -b/2, -a/2) each classical parameter is one coordinate, so
        the problem is the concave η -> θ problem restricted to the free coordinates
        (:func:`normix._em.reduced_solve.solve_fixed_coordinates`).
        """
        return _gig_fixed(s1, s2, s3, params, fixed, backend, method)


def _gig_fixed(s1, s2, s3, params, fixed, backend, method):
    """The GIG M-step with some of (p, a, b) fixed.

    With only p fixed, the problem is solved for Y' = Y/c, c = √(s3/s2) (as in
    :func:`_gig_bregman`: a' = a c, b' = b/c, the better conditioned symmetric problem);
    with a or b fixed it is solved in the original scale, where the fixed value stays a
    constant of the compiled solver.
    """
    xp = dispatch.array_namespace(backend)
    if all(value is not None for value in fixed):
        return tuple(xp.asarray(value, dtype=xp.float64) for value in fixed)
    p_fixed, a_fixed, b_fixed = fixed
    p, a, b = params
    inside = (a > 0) & (b > 0)
    gig = GeneralizedInverseGaussian
    options = dict(backend=backend, method=method, max_steps=_GIG_MAXITER, tol=_GIG_TOL)
    if a_fixed is None and b_fixed is None:
        c = xp.sqrt(s3 / s2)
        root = xp.sqrt(s2 * s3)
        theta0 = (p_fixed - 1.0, xp.where(inside, -0.5 * b / c, -0.5), xp.where(inside, -0.5 * a * c, -0.5))
        theta = solve_fixed_coordinates(gig.log_partition_triad(backend), (s1 - xp.log(c), root, root), theta0,
                                        (p_fixed - 1.0, None, None), gig._theta_bounds(), **options)
        return xp.asarray(p_fixed, dtype=xp.float64), -2.0 * theta[2] / c, -2.0 * theta[1] * c
    theta0 = (p - 1.0, xp.where(inside, -0.5 * b, -0.5), xp.where(inside, -0.5 * a, -0.5))
    held = (None if p_fixed is None else p_fixed - 1.0, None if b_fixed is None else -0.5 * b_fixed,
            None if a_fixed is None else -0.5 * a_fixed)
    theta = solve_fixed_coordinates(gig.log_partition_triad(backend), (s1, s2, s3), theta0, held,
                                    gig._theta_bounds(), **options)
    return theta[0] + 1.0, -2.0 * theta[2], -2.0 * theta[1]


def _gig_newton(s1, s2, s3, params, backend):
    """The ``gig_eta_to_theta`` kernel on one problem."""
    xp = dispatch.array_namespace(backend)
    eta = xp.stack([xp.asarray(s, dtype=xp.float64) for s in (s1, s2, s3)])[None, :]
    theta0 = xp.stack([xp.asarray(v, dtype=xp.float64) for v in params])[None, :]
    solve = compiled_kernel(backend, "gig_eta_to_theta", static_argnums=(2, 3))
    solution, _, _ = solve(eta, theta0, _GIG_MAXITER, _GIG_TOL)
    return solution[0, 0], solution[0, 1], solution[0, 2]


def _gig_bregman(s1, s2, s3, params, backend, method):
    """``solve_bregman`` on the GIG log-partition, for Y' = Y/c with c = √(s3/s2).

    Y' has E[1/Y'] = E[Y'] = √(s2 s3), the symmetric problem (a' = b'), whose Fisher
    matrix is far better conditioned; then a = a'/c, b = b' c.  The warm start is the
    current (p, a, b) rescaled, or (p, 1, 1) when a or b is 0 (a limit).
    """
    xp = dispatch.array_namespace(backend)
    c = xp.sqrt(s3 / s2)
    root = xp.sqrt(s2 * s3)
    eta = xp.stack([xp.asarray(s1 - xp.log(c), dtype=xp.float64), root, root])
    p, a, b = params
    inside = (a > 0) & (b > 0)
    theta0 = xp.stack([xp.asarray(p - 1.0, dtype=xp.float64), xp.where(inside, -0.5 * b / c, -0.5),
                       xp.where(inside, -0.5 * a * c, -0.5)])
    gig = GeneralizedInverseGaussian
    log_partition, grad, hessian = gig.log_partition_triad(backend)
    result = solve_bregman(log_partition, eta, theta0, backend=backend, method=method,
                           bounds=gig._theta_bounds(), max_steps=_GIG_MAXITER, tol=_GIG_TOL,
                           grad_fn=grad, hess_fn=hessian)
    theta = result.theta
    return theta[0] + 1.0, -2.0 * theta[2] / c, -2.0 * theta[1] * c


class GeneralizedHyperbolic(NormalMixture):
    """Marginal Generalized Hyperbolic law f(x) of a :class:`JointGeneralizedHyperbolic`.

    Parameters
    ----------
    joint : JointGeneralizedHyperbolic
    """

    joint: JointGeneralizedHyperbolic
    _joint_class = JointGeneralizedHyperbolic
    fit_defaults = {"regularization": "det_sigma_one", "e_step_backend": "cpu"}
    em_free_subordinator = (0,)

    def __init__(self, joint):
        if not isinstance(joint, JointGeneralizedHyperbolic):
            raise TypeError(f"joint must be a JointGeneralizedHyperbolic, got {type(joint).__name__}")
        self.joint = joint

    @classmethod
    def from_classical(cls, *, mu, gamma, sigma, p, a, b):
        """From μ, γ, Σ and the GIG subordinator's (p, a, b)."""
        return cls(JointGeneralizedHyperbolic.from_classical(mu=mu, gamma=gamma, sigma=sigma, p=p, a=a, b=b))

    @classmethod
    def from_mixture(cls, model):
        """The GH form of any normal variance-mean mixture ``model`` (same law, subordinator in GIG form)."""
        joint = model.joint
        return cls(JointGeneralizedHyperbolic(joint.mu, joint.gamma, joint.L_Sigma, *joint.gig_params()))

    @classmethod
    def default_init(cls, X, *, missing="raise"):
        """The best of short fits of the special cases, in GH form.

        Runs 5 EM iterations (CPU kernels) of NIG, VG and NInvG, each from its own
        ``default_init``, and keeps the one with the highest mean log-likelihood on X (by
        the CPU E-step kernel, which compiles nothing): see
        :func:`normix.fitting.starts.best_special_case`.  A special case whose fit raises
        ``ValueError`` or ends with a non-finite log-likelihood is skipped; if all are, the
        moment-based start of ``NormalMixture.default_init`` (GIG(-1/2, 1, 1)) is returned.
        With ``missing='em'`` (NaN marks a missing entry) it is that moment-based start, from
        the observed entries.
        """
        if missing != "raise":
            return super().default_init(X, missing=missing)
        moment_start = super().default_init(X)
        best = best_special_case(X)
        return moment_start if best is None else cls.from_mixture(best)

    def to_scipy(self):
        """The equal frozen ``scipy.stats.genhyperbolic`` of a univariate GH law (d = 1).

        genhyperbolic(p, a_s, b_s, loc=μ, scale=δ) with a_s = √(b(a + γ²/σ²)), b_s = γ√b/σ,
        δ = σ√b (derivation in :mod:`normix.distributions.scipy_interop`).

        Raises
        ------
        ValueError
            If d != 1, or a = 0 or b = 0 (the InverseGamma and Gamma limits have no scipy form).
        """
        if self.d != 1:
            raise ValueError(f"to_scipy needs a univariate law (d = 1), got d = {self.d}; take model.margin(i) or "
                             "model.project(w) first")
        import scipy.stats

        joint = self.joint
        p, a_s, b_s, loc, scale = gh_to_scipy(joint.mu[0], joint.gamma[0], joint.L_Sigma[0, 0] ** 2, joint.p,
                                              joint.a, joint.b)
        return scipy.stats.genhyperbolic(p, a_s, b_s, loc=loc, scale=scale)

    @classmethod
    def from_scipy(cls, frozen):
        """The univariate GH law equal to a frozen ``scipy.stats.genhyperbolic(p, a, b, loc, scale)``.

        Of GH's equivalent scalings it returns the one with b = 1: σ = scale,
        γ = b_scipy · scale, a = a_scipy² - b_scipy², the same p, μ = loc.

        Raises
        ------
        ValueError
            If ``frozen`` is not a frozen genhyperbolic, or its parameters are outside scipy's domain.
        """
        values = frozen_arguments(frozen, "genhyperbolic")
        mu, gamma, sigma2, p, a, b = scipy_to_gh(values["p"], values["a"], values["b"], values["loc"], values["scale"])
        return cls.from_classical(mu=[mu], gamma=[gamma], sigma=[[sigma2]], p=p, a=a, b=b)
