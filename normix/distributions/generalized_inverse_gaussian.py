"""Generalized Inverse Gaussian (GIG) distribution as an exponential family.

f(x | p, a, b) = (a/b)^(p/2) / (2 K_p(√(ab))) · x^(p−1) · exp(−(a x + b/x)/2), x > 0,
index p real, a > 0, b > 0 (K_p the modified Bessel function of the second kind).

h(x) = 1, t(x) = [log x, 1/x, x], θ = [p − 1, −b/2, −a/2] (θ₂ < 0, θ₃ < 0),
ψ(θ) = log 2 + log K_p(√(ab)) + (p/2) log(b/a), with p = θ₁ + 1, b = −2θ₂, a = −2θ₃,
η = ∇ψ = [E log X, E 1/X, E X].

Special cases: b → 0 with p > 0 is Gamma(p, rate a/2); a → 0 with p < 0 is
InverseGamma(−p, rate b/2); p = −1/2 is InverseGaussian(mean √(b/a), shape b).

η, the Fisher information, the inverse map η → θ and the distribution function come
from the kernels ``gig_moments``, ``gig_fisher``, ``gig_eta_to_theta`` and ``gig_cdf``
of the chosen backend (:mod:`normix._kernels.gig_cpu`, :mod:`normix._kernels.gig_jax`,
:mod:`normix._kernels.gig_cdf_cpu`, :mod:`normix._kernels.gig_cdf_jax`).  The inverse
map rescales η to the problem E Z = E 1/Z (Z = sX, s = √(η₂/η₃)) before solving,
which removes the factor (a/b)^±1 from the conditioning of the Hessian.

Reference: B. Jørgensen (1982), Statistical Properties of the Generalized Inverse
Gaussian Distribution, Lecture Notes in Statistics 9, Springer.
"""
import jax
import jax.numpy as jnp
import numpy as np

from normix._bregman import check_tolerance
from normix._kernels import dispatch
from normix._kernels._constants import LOG_2
from normix._kernels.gig_sampler_cpu import gig_sample
from normix._kernels.log_bessel import log_kv
from normix._validation import check_finite, check_less, check_positive, \
    check_sample_size, check_seed, check_shape, check_vector, is_traced, real_input, require
from normix.exponential_family import PositiveSupportFamily, as_backend_array

METHODS = ("newton", "lbfgs", "bfgs")


def _classical(theta):
    """(p, a, b) from θ = [p − 1, −b/2, −a/2] (no validation)."""
    return theta[0] + 1.0, -2.0 * theta[2], -2.0 * theta[1]


def _log_partition(theta, backend):
    """ψ(θ) = log 2 + log K_p(√(ab)) + (p/2) log(b/a) on ``backend`` (``log_kv`` of that backend)."""
    xp = dispatch.array_namespace(backend)
    p, a, b = _classical(as_backend_array(theta, backend))
    sa, sb = xp.sqrt(a), xp.sqrt(b)
    return LOG_2 + log_kv(p, sa * sb, backend=backend) + p * (xp.log(sb) - xp.log(sa))


def _moments(theta, backend):
    """∇ψ(θ) = (E log X, E 1/X, E X) from the ``gig_moments`` kernel of ``backend``."""
    p, a, b = _classical(as_backend_array(theta, backend))
    return dispatch.array_namespace(backend).stack(dispatch.kernels(backend).gig_moments(p, a, b))


def _fisher(theta, backend):
    """∇²ψ(θ) = Cov t(X) from the ``gig_fisher`` kernel of ``backend``."""
    return dispatch.kernels(backend).gig_fisher(*_classical(as_backend_array(theta, backend)))


def _valid_eta(eta):
    """Finite, E[1/X] E[X] > 1 and −log E[1/X] < E log X < log E[X] (strict Jensen)."""
    xp = jnp if is_traced(eta) else np
    with np.errstate(invalid="ignore", divide="ignore"):
        return (abs(eta) < np.inf).all() & (eta[1] * eta[2] > 1.0) & (eta[0] < xp.log(eta[2])) & (
            eta[0] > -xp.log(eta[1]))


class GeneralizedInverseGaussian(PositiveSupportFamily):
    """GIG(p, a, b): index p (any finite real), a > 0, b > 0 (scalars).

    Parameters
    ----------
    p : scalar
        Index p, finite.
    a : scalar
        Coefficient of x in the exponent, a > 0.
    b : scalar
        Coefficient of 1/x in the exponent, b > 0.
    """

    p: jax.Array
    a: jax.Array
    b: jax.Array

    def __init__(self, p, a, b):
        self.p = check_finite(check_shape(p, (), "p"), "p")
        self.a = check_positive(check_shape(a, (), "a"), "a")
        self.b = check_positive(check_shape(b, (), "b"), "b")

    def natural_params(self):
        """θ = [p − 1, −b/2, −a/2]."""
        return jnp.stack([self.p - 1.0, -0.5 * self.b, -0.5 * self.a])

    @classmethod
    def from_natural(cls, theta):
        """GIG with p = θ₁ + 1, a = −2θ₃, b = −2θ₂ (θ₂ < 0, θ₃ < 0)."""
        theta = check_vector(theta, "theta", size=3)
        check_less(theta[1], 0.0, "theta[1]")
        check_less(theta[2], 0.0, "theta[2]")
        return cls(*_classical(theta))

    @staticmethod
    def sufficient_statistics(x):
        """t(x) = [log x, 1/x, x]."""
        x = jnp.asarray(x, dtype=jnp.float64)
        return jnp.stack([jnp.log(x), 1.0 / x, x])

    @staticmethod
    def log_base_measure(x):
        """log h(x) = 0."""
        return jnp.zeros_like(jnp.asarray(x, dtype=jnp.float64))

    @classmethod
    def _log_partition_from_theta(cls, theta):
        """ψ(θ) = log 2 + log K_p(√(ab)) + (p/2) log(b/a); differentiable (exact Bessel derivatives)."""
        return _log_partition(jnp.asarray(theta, dtype=jnp.float64), "jax")

    @classmethod
    def _grad_log_partition(cls, theta):
        """η = ∇ψ(θ) = (E log X, E 1/X, E X), JAX (``gig_moments`` kernel).

        With w = √(ab), s = √(b/a), R = K_{p+1}(w)/K_p(w): E X = s R,
        E 1/X = R/s − 2p/b, E log X = log s + ∂/∂p log K_p(w) (Jørgensen 1982, ch. 2).
        """
        return _moments(theta, "jax")

    @classmethod
    def _hessian_log_partition(cls, theta):
        """∇²ψ(θ) = Cov t(X), JAX (``gig_fisher`` kernel)."""
        return _fisher(theta, "jax")

    @classmethod
    def _log_partition_cpu(cls, theta):
        """ψ(θ) of :meth:`_log_partition_from_theta` in numpy (numba ``log_kv``)."""
        return _log_partition(theta, "cpu")

    @classmethod
    def _grad_log_partition_cpu(cls, theta):
        """∇ψ(θ) of :meth:`_grad_log_partition` in numpy (numba ``gig_moments``)."""
        return _moments(theta, "cpu")

    @classmethod
    def _hessian_log_partition_cpu(cls, theta):
        """∇²ψ(θ) of :meth:`_hessian_log_partition` in numpy (numba ``gig_fisher``)."""
        return _fisher(theta, "cpu")

    @classmethod
    def _theta_bounds(cls):
        return [(None, None), (None, 0.0), (None, 0.0)]

    @staticmethod
    def expectation_params_batch(p, a, b, backend="jax"):
        """η for arrays of parameters: shape ``broadcast_shape + (3,)``, columns [E log X, E 1/X, E X].

        Parameters
        ----------
        p, a, b : array_like
            Parameters (each of shape (N,), or broadcastable): p finite, a, b > 0 finite.
        backend : {'jax', 'cpu'}
            ``'jax'``: the JAX twin (jit-able, vmappable); ``'cpu'``: the numba twin.
        """
        p = check_finite(p, "p")
        a = check_positive(a, "a")
        b = check_positive(b, "b")
        p, a, b = (as_backend_array(x, backend) for x in (p, a, b))
        return dispatch.array_namespace(backend).stack(dispatch.kernels(backend).gig_moments(p, a, b), axis=-1)

    def mean(self):
        """E[X] = η₃ = √(b/a) K_{p+1}(√(ab))/K_p(√(ab))."""
        return dispatch.kernels("jax").gig_moments(self.p, self.a, self.b)[2]

    def var(self):
        """Var[X] = ∂²ψ/∂θ₃², the [2, 2] entry of the Fisher information."""
        return dispatch.kernels("jax").gig_fisher(self.p, self.a, self.b)[2, 2]

    def cdf(self, x):
        """F(x) = P(X <= x) by Gauss-Legendre quadrature of the density in log x (``gig_cdf`` kernel).

        Accurate to about eps (1 + √(ab) + ``|p log x|``) relative in the lower tail (however
        small F is) and absolutely near 1; 0 for x <= 0, 1 at x = +inf.
        """
        return dispatch.kernels("jax").gig_cdf(self.p, self.a, self.b, real_input(x, "x"))

    def rvs(self, n, seed=42):
        """``n`` exact draws as a numpy array (Hörmann and Leydold 2014; ``gig_sample``).

        The sample depends only on (p, a, b, n, seed), not on the number of threads.
        """
        n = check_sample_size(n)
        seed = check_seed(seed)
        return gig_sample(float(self.p), float(self.a), float(self.b), n, seed)

    @classmethod
    def from_expectation(cls, eta, *, theta0=None, maxiter=500, tol=1e-10, backend="jax", method="newton",
                         verbose=0):
        """GIG from η = [E log X, E 1/X, E X] by η-rescaling and a Newton (or quasi-Newton) solve.

        With s = √(η₂/η₃), Z = sX has η̃ = (η₁ + log s, √(η₂η₃), √(η₂η₃)) and
        Z ~ GIG(p, a/s, b s): the solve runs on η̃ (where the Fisher information no longer
        carries (a/b)^±1, up to 1e30 for extreme a/b) and the result is scaled back.

        Parameters
        ----------
        eta : array, shape (3,)
            Must satisfy E[1/X] E[X] > 1 and −log E[1/X] < E log X < log E[X]; otherwise
            ``ValueError`` (an equinox runtime error under ``jax.jit``).
        theta0 : array, shape (3,), optional
            Warm start in natural parameters.  Default: the best of the InverseGaussian,
            Gamma and InverseGamma laws fitted to η (by the dual objective).
        maxiter : int
            Iteration budget of the solver.
        tol : float
            ``'newton'``: ``|E log X(θ) − η₁|`` and the relative errors of E 1/X and E X
            below ``tol``.  ``'lbfgs'``, ``'bfgs'``: the criterion of
            :func:`normix.fitting.solvers.solve_bregman` on the rescaled problem.
            Finite and >= 0; ``tol = 0`` iterates until ``maxiter`` or until no step
            improves the fit.
        backend : {'jax', 'cpu'}
            ``'jax'``: jit-able and vmappable; ``'cpu'``: numba (``'newton'``) or scipy.
        method : {'newton', 'lbfgs', 'bfgs'}
            ``'newton'``: the ``gig_eta_to_theta`` kernel (damped Newton with the exact
            Fisher information); the others: the generic Bregman solver.
        verbose : int
            ``>= 1`` prints a one-line summary (convergence, steps).

        Returns
        -------
        GeneralizedInverseGaussian
            The final iterate.  Convergence is reported by ``verbose``; the kernel
            ``gig_eta_to_theta`` returns the flag itself.  The parameters are as accurate
            as η determines them: about 1e-15 times the condition number of the map,
            which grows like (ab)^(3/2) for large ab and like 1/(ab) for small ab and
            ``|p| > 1``, steeply in ``|p|`` (see :mod:`normix._kernels.gig_solve_cpu`).
        """
        dispatch.validate_backend(backend)
        tol = check_tolerance(tol)
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS!r}, got {method!r}")
        checked = require(check_shape(eta, (3,), "eta"), _valid_eta, "eta",
                          "be finite with E[1/X] E[X] > 1 and -log E[1/X] < E[log X] < log E[X] "
                          "(eta = [E log X, E 1/X, E X])")
        xp = dispatch.array_namespace(backend)
        eta = as_backend_array(eta if not is_traced(eta) else checked, backend)
        if theta0 is None:
            start = xp.full(3, np.nan)
        else:
            start = xp.stack(_classical(as_backend_array(check_vector(theta0, "theta0", size=3), backend)))
        kernel = dispatch.kernels(backend).gig_eta_to_theta
        if method == "newton":
            params, converged, n_iter = kernel(eta, start, maxiter, tol)
            if verbose >= 1 and not is_traced(params):
                print(f"GIG.from_expectation(method='newton', backend={backend!r}): "
                      f"converged={bool(converged)}, steps={int(n_iter)}")
            return cls(params[0], params[1], params[2])
        first = kernel(eta, start, 0, tol)[0]
        s = xp.sqrt(eta[1] / eta[2])
        m = xp.sqrt(eta[1] * eta[2])
        eta_tilde = xp.stack([eta[0] + xp.log(s), m, m])
        theta_tilde0 = xp.stack([first[0] - 1.0, -0.5 * first[2] * s, -0.5 * first[1] / s])
        scaled = super().from_expectation(eta_tilde, theta0=theta_tilde0, maxiter=maxiter, tol=tol,
                                          backend=backend, method=method, verbose=verbose)
        return cls(scaled.p, scaled.a * s, scaled.b / s)


GIG = GeneralizedInverseGaussian
