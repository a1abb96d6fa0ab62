"""Abstract base class of the exponential families of normix.

A density p(x | θ) = h(x) exp(θ·t(x) − ψ(θ)) is described by its sufficient
statistics t, its log base measure log h and its log-partition ψ.  From these the
base class derives log-densities, the expectation parameters η = ∇ψ(θ), the
Fisher information ∇²ψ(θ), the inverse map η → θ (by minimising the Bregman
objective ψ(θ) − θ·η, whose minimum satisfies ∇ψ(θ) = η) and maximum-likelihood
fits (η̂ = mean of t(xᵢ), then η̂ → θ).

Subclasses are final equinox Modules holding classical parameters.  They must
implement :meth:`natural_params`, :meth:`from_natural`,
:meth:`sufficient_statistics`, :meth:`log_base_measure` and
:meth:`_log_partition_from_theta`.  Hooks with defaults, to override when a
subclass has better formulas or compiled kernels:

The log-partition triad, each a function of ``theta`` alone, in two versions:
    ``_log_partition_from_theta``, ``_grad_log_partition``, ``_hessian_log_partition``
    (JAX-traceable: ψ, ∇ψ, ∇²ψ; defaults ``jax.grad`` / ``jax.hessian`` of ψ, compiled
    once per class) and ``_log_partition_cpu``, ``_grad_log_partition_cpu``,
    ``_hessian_log_partition_cpu`` (numpy float64 in and out; defaults call the compiled
    JAX programs, subclasses override them with closed forms or numba kernels).
    :meth:`log_partition_triad` picks the version of a backend; it serves
    :meth:`expectation_params`, :meth:`fisher_information` and the Bregman solver of
    :meth:`from_expectation`, and its members can be passed to ``solve_bregman`` as
    ``f``, ``grad_fn`` and ``hess_fn``.
``_theta_bounds()``
    The open box of valid θ for the solver (default: unbounded).
``_initial_theta(eta)``
    Starting point of the solver when ``theta0`` is not given (default: none, and
    ``theta0`` is then required).
``_support(x)``
    Whether an observation lies in the support, and a safe stand-in for those that
    do not (default: everywhere).
``_check_data(X)``
    Validation of a data array before a fit (default: shape ``(n, ...)``, finite).

Helpers for subclasses: :func:`as_backend_array` (a result as the array type of a
backend) and :func:`closed_form_options` (the ``**kwargs`` of a closed-form
``from_expectation`` that keeps the generic solver reachable).

Reference: L. D. Brown (1986), Fundamentals of Statistical Exponential Families,
IMS Lecture Notes 9, ch. 2 (∇ψ = E t(X), ∇²ψ = Cov t(X)) and ch. 6 (the dual map η → θ).
"""
import abc
import functools

import jax
import jax.numpy as jnp
import numpy as np

from normix._bregman import bregman_objective, check_tolerance, solve_bregman
from normix._kernels.dispatch import traceable, validate_backend
from normix._validation import check_data, check_positive_data, check_vector, is_traced, real_input
from normix.distributions._base import AbstractDistribution


def _to_numpy(value):
    if is_traced(value):
        raise TypeError("backend='cpu' needs concrete arrays but got a traced JAX value; use backend='jax' there")
    return np.asarray(value, dtype=np.float64)


def as_backend_array(value, backend):
    """``value`` as a numpy array for ``backend='cpu'``, a JAX array for ``'jax'``."""
    return jnp.asarray(value) if traceable(backend) else _to_numpy(value)


def closed_form_options(kwargs, tol):
    """``(backend, method, verbose)`` from the ``**kwargs`` of a closed-form ``from_expectation``.

    Subclasses whose η → θ map has a closed form keep the generic solver reachable:
    ``method=None`` (default) selects the closed form, a method name the Bregman
    solver.  Unknown keywords raise ``TypeError``; ``tol`` is checked (finite, >= 0)
    whichever path runs, so that a bad tolerance is refused by the closed form too.
    """
    check_tolerance(tol)
    backend = validate_backend(kwargs.pop("backend", "jax"))
    method = kwargs.pop("method", None)
    verbose = kwargs.pop("verbose", 0)
    if kwargs:
        raise TypeError(f"from_expectation got unexpected keyword arguments {sorted(kwargs)}")
    return backend, method, verbose


@functools.cache
def _compiled_log_partition(cls):
    return jax.jit(cls._log_partition_from_theta)


@functools.cache
def _autodiff_grad(cls):
    return jax.jit(jax.grad(cls._log_partition_from_theta))


@functools.cache
def _autodiff_hessian(cls):
    return jax.jit(jax.hessian(cls._log_partition_from_theta))


class ExponentialFamily(AbstractDistribution):
    """Abstract exponential family p(x | θ) = h(x) exp(θ·t(x) − ψ(θ)).

    See the module docstring for what subclasses implement and which hooks they may
    override.  Every method that takes a ``backend`` accepts ``'jax'`` (jit-able,
    differentiable, JAX arrays out) or ``'cpu'`` (numpy arrays out, not jit-able).
    """

    # ------------------------------------------------------------------ abstract
    @abc.abstractmethod
    def natural_params(self):
        """θ from the stored classical parameters (a JAX array)."""

    @classmethod
    @abc.abstractmethod
    def from_natural(cls, theta):
        """Construct from natural parameters θ (validated)."""

    @staticmethod
    @abc.abstractmethod
    def sufficient_statistics(x):
        """t(x) for a single unbatched observation."""

    @staticmethod
    @abc.abstractmethod
    def log_base_measure(x):
        """log h(x) for a single unbatched observation."""

    @classmethod
    @abc.abstractmethod
    def _log_partition_from_theta(cls, theta):
        """ψ(θ), JAX-traceable and differentiable."""

    # --------------------------------------------------------------------- hooks
    @classmethod
    def _grad_log_partition(cls, theta):
        """∇ψ(θ) = E[t(X)], JAX-traceable (default: compiled ``jax.grad`` of ψ)."""
        return _autodiff_grad(cls)(jnp.asarray(theta, dtype=jnp.float64))

    @classmethod
    def _hessian_log_partition(cls, theta):
        """∇²ψ(θ) = Cov[t(X)], JAX-traceable (default: compiled ``jax.hessian`` of ψ)."""
        return _autodiff_hessian(cls)(jnp.asarray(theta, dtype=jnp.float64))

    @classmethod
    def _log_partition_cpu(cls, theta):
        """ψ(θ) as a numpy float64 from a concrete θ (default: the compiled JAX ψ)."""
        return _to_numpy(_compiled_log_partition(cls)(_to_numpy(theta)))

    @classmethod
    def _grad_log_partition_cpu(cls, theta):
        """∇ψ(θ) as a numpy float64 array from a concrete θ (default: the compiled ``jax.grad`` of ψ)."""
        return _to_numpy(_autodiff_grad(cls)(_to_numpy(theta)))

    @classmethod
    def _hessian_log_partition_cpu(cls, theta):
        """∇²ψ(θ) as a numpy float64 array from a concrete θ (default: the compiled ``jax.hessian`` of ψ)."""
        return _to_numpy(_autodiff_hessian(cls)(_to_numpy(theta)))

    @classmethod
    def log_partition_triad(cls, backend):
        """``(ψ, ∇ψ, ∇²ψ)`` of ``backend``, each a function of θ alone.

        ``'jax'``: ``(_log_partition_from_theta, _grad_log_partition,
        _hessian_log_partition)``, traceable; ``'cpu'``: ``(_log_partition_cpu,
        _grad_log_partition_cpu, _hessian_log_partition_cpu)``, numpy in and out.  The
        three are the ``f``, ``grad_fn`` and ``hess_fn`` of ``solve_bregman`` for that
        backend.
        """
        if traceable(backend):
            return cls._log_partition_from_theta, cls._grad_log_partition, cls._hessian_log_partition
        return cls._log_partition_cpu, cls._grad_log_partition_cpu, cls._hessian_log_partition_cpu

    @classmethod
    def _theta_bounds(cls):
        """Open box of valid θ, as ``[(lo, hi), ...]`` (``None``: unbounded side), or ``None``."""
        return None

    @classmethod
    def _initial_theta(cls, eta):
        """Starting θ of the η → θ solver when no ``theta0`` is given."""
        raise ValueError(f"theta0 is required: {cls.__name__} has no default starting point for from_expectation")

    @staticmethod
    def _support(x):
        """``(inside, x_safe)``: whether ``x`` is in the support, and ``x`` with a point of the support where not."""
        return jnp.array(True), x

    @classmethod
    def _check_data(cls, X):
        """Validated data array ``X`` of shape ``(n, ...)`` (finite, at least one row)."""
        return check_data(X, "X", event_ndim=max(np.ndim(X) - 1, 0))

    # ----------------------------------------------------------- exponential family
    def log_partition(self):
        """ψ(θ) at the current parameters (one compiled program per class; inlined under ``jax.jit``)."""
        return _compiled_log_partition(type(self))(self.natural_params())

    def expectation_params(self, backend="jax"):
        """η = ∇ψ(θ) = E[t(X)].

        Parameters
        ----------
        backend : {'jax', 'cpu'}
            ``'jax'``: a JAX array (jit-able, differentiable); ``'cpu'``: a numpy array.
        """
        return self.log_partition_triad(backend)[1](self.natural_params())

    def fisher_information(self, backend="jax"):
        """I(θ) = ∇²ψ(θ) = Cov[t(X)].

        Parameters
        ----------
        backend : {'jax', 'cpu'}
            ``'jax'``: a JAX array (jit-able, differentiable); ``'cpu'``: a numpy array.
        """
        return self.log_partition_triad(backend)[2](self.natural_params())

    @classmethod
    def bregman_divergence(cls, theta, eta):
        """ψ(θ) − θ·η, the convex objective minimised at ∇ψ(θ*) = η (conjugate duality)."""
        return bregman_objective(jnp.asarray(theta), jnp.asarray(eta), cls._log_partition_from_theta)

    # ------------------------------------------------------------------ densities
    def log_prob(self, x):
        """log p(x | θ) = log h(x) + θ·t(x) − ψ(θ) for a single observation.

        −inf outside the support and at ±inf (every density of the library tends to 0
        there); NaN when ``x`` contains NaN; ``ValueError`` when ``x`` is not real
        (strings, booleans, complex numbers).  Batch with ``jax.vmap``.
        """
        x = real_input(x, "x")
        inside, x_safe = self._support(jnp.where(jnp.isinf(x), 1.0, x))
        inside = inside & jnp.logical_not(_per_observation(jnp.isinf(x), inside))
        theta = self.natural_params()
        value = self.log_base_measure(x_safe) + jnp.dot(theta, self.sufficient_statistics(x_safe))
        value = jnp.where(inside, value - _compiled_log_partition(type(self))(theta), -jnp.inf)
        return jnp.where(_per_observation(jnp.isnan(x), inside), jnp.nan, value)

    def pdf(self, x):
        """p(x | θ) for a single observation.  Batch with ``jax.vmap``."""
        return jnp.exp(self.log_prob(x))

    def mean(self):
        """E[X] (subclasses provide the closed form)."""
        raise NotImplementedError(f"{type(self).__name__} does not define mean()")

    def var(self):
        """Var[X] (subclasses provide the closed form)."""
        raise NotImplementedError(f"{type(self).__name__} does not define var()")

    def std(self):
        """√Var[X]."""
        return jnp.sqrt(self.var())

    def cdf(self, x):
        """F(x) = P(X <= x) (subclasses provide the closed form)."""
        raise NotImplementedError(f"{type(self).__name__} does not define cdf()")

    def rvs(self, n, seed=42):
        """``n`` independent draws as a numpy array, from ``numpy.random.default_rng(seed)``."""
        raise NotImplementedError(f"{type(self).__name__} does not define rvs()")

    # -------------------------------------------------------------------- fitting
    @classmethod
    def from_expectation(cls, eta, *, theta0=None, maxiter=500, tol=1e-10, backend="jax", method="lbfgs",
                         verbose=0):
        """Construct from expectation parameters η by solving ∇ψ(θ) = η.

        Minimises ψ(θ) − θ·η with :func:`normix.fitting.solvers.solve_bregman` inside
        :meth:`_theta_bounds`, with the :meth:`log_partition_triad` of ``backend`` as
        ``f``, ``grad_fn`` and ``hess_fn``.  Subclasses with closed-form inverses override it.

        Parameters
        ----------
        eta : array
            Expectation parameters.
        theta0 : array, optional
            Starting point (default: :meth:`_initial_theta`).
        maxiter, tol : int, float
            Solver budget and tolerance on ‖∇ψ(θ) − η‖∞ (relative to max(1, ‖η‖∞));
            ``tol >= 0``, and ``tol = 0`` runs the solver until its budget or its progress ends.
        backend : {'jax', 'cpu'}
            ``'jax'``: jit-able and vmappable; ``'cpu'``: scipy.
        method : {'lbfgs', 'bfgs', 'newton'}
        verbose : int
            ``>= 1`` prints the solver summary.

        Returns
        -------
        ExponentialFamily
            ``cls.from_natural`` of the solver's final θ (which validates it).  Solver
            convergence is not checked here; call :func:`solve_bregman` directly to
            inspect it.
        """
        log_partition, grad, hessian = cls.log_partition_triad(backend)
        eta = check_vector(eta, "eta")
        theta0 = cls._initial_theta(eta) if theta0 is None else theta0
        result = solve_bregman(
            log_partition,
            eta,
            theta0,
            backend=backend,
            method=method,
            bounds=cls._theta_bounds(),
            max_steps=maxiter,
            tol=tol,
            grad_fn=grad,
            hess_fn=hessian,
            verbose=verbose,
        )
        return cls.from_natural(jnp.asarray(result.theta))

    @classmethod
    def _mean_sufficient_statistics(cls, X):
        """η̂ = (1/n) Σᵢ t(xᵢ) of validated data ``X`` (shape ``(n, ...)``)."""
        X = cls._check_data(X)
        return jnp.mean(jax.vmap(cls.sufficient_statistics)(X), axis=0)

    @classmethod
    def fit_mle(cls, X, *, theta0=None, maxiter=500, tol=1e-10, verbose=0):
        """Maximum-likelihood fit: η̂ = mean of t(xᵢ), then :meth:`from_expectation` (η̂).

        Parameters
        ----------
        X : array, shape (n, ...)
            Observations.
        theta0 : array, optional
            Starting θ for the η → θ solver.
        maxiter, tol, verbose
            Passed to :meth:`from_expectation`.
        """
        eta = cls._mean_sufficient_statistics(X)
        return cls.from_expectation(eta, theta0=theta0, maxiter=maxiter, tol=tol, verbose=verbose)

    def fit(self, X, *, maxiter=500, tol=1e-10, verbose=0, **kwargs):
        """Maximum-likelihood fit warm-started at ``self``: θ₀ = ``self.natural_params()``.

        Extra keyword arguments (``backend``, ``method``) go to :meth:`from_expectation`.
        """
        eta = self._mean_sufficient_statistics(X)
        return type(self).from_expectation(
            eta, theta0=self.natural_params(), maxiter=maxiter, tol=tol, verbose=verbose, **kwargs
        )

    @classmethod
    def default_init(cls, X):
        """Moment-based start: :meth:`from_expectation` of η̂ = mean of t(xᵢ) (the MLE for closed-form inverses)."""
        return cls.from_expectation(cls._mean_sufficient_statistics(X))


class PositiveSupportFamily(ExponentialFamily):
    """An exponential family on x > 0 (the subordinators: Gamma, InverseGamma, InverseGaussian, GIG).

    log p(x) is −inf for x <= 0, and fitting data must be positive.
    """

    @staticmethod
    def _support(x):
        inside = x > 0
        return inside, jnp.where(inside, x, 1.0)

    @classmethod
    def _check_data(cls, X):
        return check_positive_data(X, "X")


def _per_observation(flags, inside):
    """Elementwise ``flags`` when they match the shape of ``inside`` (scalar events), else any over the event."""
    return flags if jnp.shape(flags) == jnp.shape(inside) else jnp.any(flags)

