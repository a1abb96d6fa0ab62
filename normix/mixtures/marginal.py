"""Marginal law f(x) = ∫ f(x, y) dy of a normal variance-mean mixture, and its EM.

The marginal is not an exponential family; it owns its joint law (which is one) and
uses the joint's complete-data statistics for EM.  With Q(x) = (x - μ)ᵀΣ⁻¹(x - μ) and
A = γᵀΣ⁻¹γ, the posterior of the subordinator is Y | X = x ~ GIG(p - d/2, a + A, b + Q(x))
and the marginal density has the closed form evaluated by the ``mixture_log_density``
kernel.

EM (the protocol of :mod:`normix._em.protocol`) works on a state of plain arrays:

* E-step: the fused ``estep_statistics`` kernel gives the row averages
  s1 = mean E[log Y|x], s2 = mean E[1/Y|x], s3 = mean E[Y|x], s4 = mean x,
  s5 = mean x E[1/Y|x], S6 = mean x xᵀ E[1/Y|x] and the mean log-likelihood;
* M-step: ``normal_m_step`` gives (μ, γ, L_Σ) in closed form, and the family's
  subordinator update solves its moment equations in (s1, s2, s3);
* ``det_sigma_one`` regularisation: with s = ``|Σ|^(1/d)``, (μ, γ/s, Σ/s, sY) has the same
  marginal law, and ``|Σ/s| = 1`` (the GH family is not identified in scale otherwise).

The same code serves both backends: kernels come from ``dispatch.kernels(backend)`` and
arrays from ``dispatch.array_namespace(backend)``, so the CPU path is numpy and numba
only and the JAX path traces inside ``lax.while_loop``.
"""
import inspect
import math
import types
from collections.abc import Mapping
from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from normix._em.batch import BatchEMFitter
from normix._em.loop import M_STEP_METHODS
from normix._em.missing import pairwise_moments, validate_missing, validate_missing_data
from normix._em.protocol import MixtureState, MixtureStatistics
from normix._kernels import dispatch
from normix._validation import as_real_array, check_vector, is_traced
from normix.distributions._base import check_rows
from normix.mixtures._compiled import compiled, compiled_kernel
from normix.mixtures.joint import JointNormalMixture
from normix.mixtures.operations import AbstractMixtureOperations

# Ridge added to a singular empirical covariance in ``default_init``, relative to the
# mean variance of the columns: small enough not to change a well-conditioned start,
# large enough to make a rank-deficient one positive definite.
_COVARIANCE_RIDGE = 1e-6

_M_STEP_OPTIONS = ("backend", "method")


def _check_not_constant(X):
    """``X`` after checking no column is constant (a constant column makes every fitted Σ singular)."""
    constant = np.flatnonzero(X.max(axis=0) == X.min(axis=0))
    if constant.size:
        shown = ", ".join(str(j) for j in constant[:5]) + (", ..." if constant.size > 5 else "")
        raise ValueError(
            f"X must not have a constant column: column(s) {shown} take a single value, so the sample "
            "covariance is singular and the likelihood grows without bound as Sigma degenerates; drop those "
            "columns (they carry no information about the other coordinates)"
        )
    return X


def _state_params(state):
    """(mu, gamma, L_Sigma, *subordinator) of a state, in the joint constructor's order."""
    return (state.mu, state.gamma, state.L_Sigma, *state.subordinator)


class NormalMixture(AbstractMixtureOperations):
    """Abstract marginal f(x) = ∫₀^∞ f(x, y) dy of a normal variance-mean mixture.

    Owns a :class:`~normix.mixtures.joint.JointNormalMixture` (``joint``).  Concrete
    families (final classes) set the class variable ``_joint_class`` and construct from
    classical parameters.  Every density method takes a single observation (batch with
    :meth:`log_prob_rows` or ``jax.vmap``) and is jit-able and differentiable.  Affine
    images, margins and moments come from
    :class:`~normix.mixtures.operations.AbstractMixtureOperations`.

    ``fit_defaults`` is the class's table of the defaults of :meth:`fit` that differ
    between families; a family sets the entries it changes, and its ``fit`` (the same
    function, with those defaults) shows them in its signature and docstring.

    ``em_free_subordinator`` holds the indices of the subordinator's classical parameters
    that range over all reals (GH's p); the others are >= 0 (accelerated EM extrapolates
    those on the log scale).
    """

    joint: eqx.AbstractVar[JointNormalMixture]
    _joint_class: eqx.AbstractClassVar[type]
    fit_defaults: ClassVar[Mapping] = types.MappingProxyType({"regularization": "none", "e_step_backend": "jax"})
    em_free_subordinator: ClassVar[tuple] = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        changed = cls.__dict__.get("fit_defaults")
        if changed is not None:
            cls.fit_defaults = types.MappingProxyType({**NormalMixture.fit_defaults, **changed})
            cls.fit = _fit_with_defaults(cls)

    @property
    def d(self):
        """Dimension of X (``ValueError`` on a batched model: see :mod:`normix.mixtures.operations`)."""
        self._require_unbatched("d (and every method that reads it: log_prob, pdf, rvs, fit, ...)")
        return self.joint.d

    # -------------------------------------------------------------- densities
    def _kernel_params(self):
        p, a, b = self.joint.gig_params()
        return self.joint.mu, self.joint.gamma, self.joint.L_Sigma, p, a, b

    def log_prob(self, x):
        """Marginal log f(x) of one observation x (shape (d,)), by the ``mixture_log_density`` kernel:

        log f(x) = -(d/2) log(2π) - ½ log|Σ| - ψ_Y(p, a, b) + log 2 + (x - μ)ᵀΛγ
                   + ((p - d/2)/2) log((b + Q)/(a + A)) + log K_{p-d/2}(√((a + A)(b + Q))),

        with the Gamma (b = 0) and InverseGamma (a = 0) limits in closed form.
        ``ValueError`` (an equinox runtime error under jit) if x is not a finite (d,) vector.
        """
        x = check_vector(x, "x", size=self.d)
        return compiled_kernel("jax", "mixture_log_density")(x[None, :], *self._kernel_params())[0]

    def pdf(self, x):
        """Marginal f(x) of one observation x (shape (d,))."""
        return jnp.exp(self.log_prob(x))

    def _subordinator_moments(self):
        """(E[Y], Var[Y]) by the GIG kernels (inf where the moment does not exist)."""
        p, a, b = self.joint.gig_params()
        mean_y = compiled_kernel("jax", "gig_moments")(p, a, b)[2]
        var_y = compiled_kernel("jax", "gig_fisher")(p, a, b)[..., 2, 2]
        return mean_y, var_y

    def mean(self):
        """E[X] = μ + γ E[Y] (inf where E[Y] does not exist and γ ≠ 0)."""
        self._require_unbatched("mean")
        mean_y, _ = self._subordinator_moments()
        return self.joint.mu + self.joint.gamma * mean_y

    def cov(self):
        """Cov[X] = E[Y] Σ + Var[Y] γγᵀ (the second term is 0 when γ = 0, even if Var[Y] is infinite)."""
        self._require_unbatched("cov")
        mean_y, var_y = self._subordinator_moments()
        outer = jnp.outer(self.joint.gamma, self.joint.gamma)
        return mean_y * self.joint.sigma() + jnp.where(outer == 0.0, 0.0, var_y * outer)

    def rvs(self, n, seed=42):
        """``n`` draws of X as a numpy array of shape (n, d) (see ``JointNormalMixture.rvs``)."""
        return self.joint.rvs(n, seed)[0]

    def _log_prob_rows(self, X, backend):
        params = dispatch.to_backend(self._kernel_params(), backend)
        return compiled_kernel(backend, "mixture_log_density")(X, *params)

    def marginal_log_likelihood(self, X):
        """Mean of log f(xᵢ) over the rows of X (shape (n, d)): ``mean(log_prob_rows(X, backend='jax'))``."""
        return jnp.mean(self.log_prob_rows(X, backend="jax"))

    # ------------------------------------------------------------------ EM steps
    def e_step(self, X, backend="jax"):
        """Posterior moments of Y for every row of X (shape (n, d)).

        Parameters
        ----------
        X : array, shape (n, d)
        backend : {'jax', 'cpu'}
            ``'jax'``: the JAX ``posterior_moments`` kernel (jit-able, differentiable);
            ``'cpu'``: its numba twin (numpy arrays in and out).

        Returns
        -------
        dict
            ``'E_log_Y'``, ``'E_inv_Y'``, ``'E_Y'``: arrays of shape (n,) of the posterior
            GIG(p - d/2, a + γᵀΛγ, b + Q(xᵢ)).
        """
        X = dispatch.to_backend(check_rows(X, self.d, 1, ""), backend)
        params = dispatch.to_backend(self._kernel_params(), backend)
        e_log_y, e_inv_y, e_y = compiled_kernel(backend, "posterior_moments")(X, *params)
        return {"E_log_Y": e_log_y, "E_inv_Y": e_inv_y, "E_Y": e_y}

    def m_step(self, X, expectations, **kwargs):
        """The EM update of this model from rows X and their posterior moments (a new model).

        Averages the complete-data statistics s1..S6 over the rows (``expectations`` as
        returned by :meth:`e_step`) and applies the closed-form normal update and the
        family's subordinator update, warm-started at ``self``.

        Parameters
        ----------
        X : array, shape (n, d)
        expectations : dict
            ``'E_log_Y'``, ``'E_inv_Y'``, ``'E_Y'``, each of shape (n,).
        **kwargs
            ``backend`` ({'cpu', 'jax'}, default 'cpu'): kernels of the update;
            ``method`` ({'newton', 'lbfgs', 'bfgs'}, default 'newton'): solver of a GIG
            subordinator's moment equations.

        Raises
        ------
        ValueError
            If the update is not a valid model (Σ not positive definite, or moment
            equations without a solution).
        """
        unknown = sorted(set(kwargs) - set(_M_STEP_OPTIONS))
        if unknown:
            raise TypeError(f"m_step got unexpected keyword arguments {unknown}; accepted: {_M_STEP_OPTIONS}")
        backend = dispatch.validate_backend(kwargs.get("backend", "cpu"))
        method = kwargs.get("method", "newton")
        if method not in M_STEP_METHODS:
            raise ValueError(f"method must be one of {M_STEP_METHODS!r}, got {method!r}")
        cls = type(self)
        X = check_rows(X, self.d, 1, "")
        xp = dispatch.array_namespace(backend)
        X = xp.asarray(X)
        n = X.shape[0]
        columns = []
        for key in ("E_log_Y", "E_inv_Y", "E_Y"):
            if key not in expectations:
                raise ValueError(f"expectations must have the keys 'E_log_Y', 'E_inv_Y', 'E_Y' (as returned by "
                                 f"e_step), missing {key!r}")
            column = xp.asarray(_check_expectation(expectations[key], key), dtype=xp.float64)
            if column.shape != (n,):
                raise ValueError(f"expectations[{key!r}] must have shape ({n},), got {column.shape}")
            columns.append(column)
        e_log_y, w, e_y = columns
        weighted = X * w[:, None]
        stats = MixtureStatistics(xp.mean(e_log_y), xp.mean(w), xp.mean(e_y), xp.mean(X, axis=0),
                                  xp.mean(weighted, axis=0), weighted.T @ X / n)
        update = compiled(backend, cls.em_m_step, static_argnums=(2, 3))
        new = update(stats, cls.em_state(self, backend), backend, method)
        if not all(np.all(np.isfinite(np.asarray(leaf))) for leaf in jax.tree_util.tree_leaves(new)):
            raise ValueError("the M-step has no valid solution for these expectations (Sigma not positive "
                             "definite or the subordinator's moment equations unsolvable)")
        return cls.em_model(new)

    def regularize_det_sigma_one(self):
        """The same law with ``|Σ| = 1``: Σ → Σ/s, γ → γ/s, Y → sY, where s = ``|Σ|^(1/d)``."""
        cls = type(self)
        return cls.em_model(cls.em_regularize(cls.em_state(self, "jax"), "det_sigma_one", "jax"))

    # ------------------------------------------------------------------- fitting
    def fit(self, X, *, verbose=0, max_iter=200, tol=1e-3, regularization="none", e_step_backend="jax",
            m_step_backend="cpu", m_step_method="newton", accelerate=None, weights=None, missing="raise",
            fixed=None, symmetric=False, sigma="full", n_factors=None):
        """Batch EM from this model on the rows of X; returns an ``EMResult``.

        The defaults of ``regularization`` and ``e_step_backend`` are the family's
        (``fit_defaults``): this signature shows them.

        Parameters
        ----------
        X : array, shape (n, d)
            Data; at least d + 2 finite rows and no constant column (``ValueError`` otherwise:
            with a constant column the likelihood is unbounded as Σ becomes singular).
        verbose : int
            0 silent, 1 summary, 2 per-iteration table.
        max_iter, tol
            Iteration budget and tolerance on the relative change of (μ, γ, L_Σ).
        regularization : {'none', 'det_sigma_one'}
        e_step_backend, m_step_backend : {'jax', 'cpu'}
        m_step_method : {'newton', 'lbfgs', 'bfgs'}
            Solver of a GIG subordinator's moment equations.
        accelerate : {None, 'squarem'}
            ``None`` plain EM; ``'squarem'`` SQUAREM-accelerated EM (monotone; ``max_iter`` and
            ``n_iter`` count E-steps).  See :class:`~normix.BatchEMFitter`.
        fixed : mapping, optional
            Parameters held at given values: ``'mu'``, ``'gamma'`` (shape (d,) or a scalar)
            and the subordinator's parameters under the names of ``from_classical``; the
            constrained M-steps are those of :mod:`normix._em.fixed`.
        symmetric : bool
            ``True`` fits γ = 0 (the start too); the same as ``fixed={'gamma': 0}``.
        sigma : {'full', 'factor'}
            ``'factor'``: Σ = B Bᵀ + diag(D) with ``n_factors`` columns in B, fitted by ECM in
            O(n d k) per iteration (see ``normix._em.factor``); the result then also carries
            ``loadings`` (B) and ``specific_variances`` (D), and its model is the ordinary
            mixture with that Σ.  A factor fit starts from the principal factors of this
            model's Σ (``normix._em.factor.principal_factors``), so resuming a factor fit from
            its saved model restarts from the principal-factor start of that model's Σ, not
            from the saved B and D (the model keeps Σ only).
        n_factors : int, optional
            Number of factors k, 1 <= k < d; required with ``sigma='factor'``, refused otherwise.
        missing : {'raise', 'em'}
            ``'raise'``: NaN in X is refused (``ValueError`` naming its rows and columns).
            ``'em'``: NaN marks a missing entry; EM maximises the observed-data likelihood
            Σᵢ log f(x_{o,i}) of each row's observed coordinates, with the exact E-step of
            :mod:`normix._em.missing` (the posterior GIG(p - d_o/2, a + γ_oᵀΣ_oo⁻¹γ_o,
            b + Q_o) and the conditional normal moments of the missing coordinates).  Rows
            with every entry missing and ±inf are refused.  Start from
            ``default_init(X, missing='em')``.
        weights : array, shape (n,), optional
            Observation weights w_i >= 0, finite, not all zero: the fit maximises
            Σ_i w_i log f(x_i) (see ``BatchEMFitter.fit``; ``normix.fitting.ewma_weights``
            gives exponentially decaying ones).  Weights are not saved with the fitted
            model: ``save`` and ``load`` keep its parameters only.
        """
        fitter = BatchEMFitter(max_iter=max_iter, tol=tol, verbose=verbose, regularization=regularization,
                               e_step_backend=e_step_backend, m_step_backend=m_step_backend,
                               m_step_method=m_step_method, accelerate=accelerate)
        return fitter.fit(self, X, weights=weights, missing=missing, fixed=fixed, symmetric=symmetric,
                          sigma=sigma, n_factors=n_factors)

    @classmethod
    def default_init(cls, X, *, missing="raise"):
        """Moment-based starting model: μ = sample mean, γ = 0, Σ = sample covariance, family default Y.

        The subordinator defaults have E[Y] = 1 (so that Cov[X] = Σ at γ = 0); see each
        family's ``_default_subordinator``.  A singular sample covariance (collinear
        columns) gets a ridge of 1e-6 times its mean diagonal added to make it positive
        definite.  Needs at least d + 2 finite rows and no constant column (``ValueError``).

        With ``missing='em'`` NaN marks a missing entry (as in :meth:`fit`): μ is the mean
        of each column's observed entries and Σ the pairwise-complete covariance (each
        entry over the rows where both columns are observed), its eigenvalues raised to
        1e-6 times their mean where the result is not positive definite.
        """
        X = as_real_array(X, "X")
        if X.ndim != 2:
            raise ValueError(f"X must have shape (n, d), got shape {X.shape}")
        if validate_missing(missing) == "em":
            X = validate_missing_data(X, X.shape[1])
            mu, sigma = pairwise_moments(X)
            joint = cls._joint_class(mu, np.zeros(X.shape[1]), _positive_definite_factor(sigma),
                                     *cls._joint_class._default_subordinator())
            return cls(joint)
        X = _check_not_constant(check_rows(X, X.shape[1], X.shape[1] + 2, " to fit a model of this dimension"))
        sigma = np.atleast_2d(np.cov(X, rowvar=False))
        L_Sigma = _positive_definite_factor(sigma)
        d = X.shape[1]
        joint = cls._joint_class(X.mean(axis=0), np.zeros(d), L_Sigma, *cls._joint_class._default_subordinator())
        return cls(joint)

    # ---------------------------------------------------------- EM protocol
    @classmethod
    def em_validate_data(cls, X, model):
        """X as a float64 (n, d) numpy array with n >= d + 2 finite rows and no constant column, or ``ValueError``."""
        return _check_not_constant(check_rows(X, model.d, model.d + 2, " to fit a model of this dimension"))

    @classmethod
    def em_state(cls, model, backend):
        """The model's (μ, γ, L_Σ, subordinator parameters) as arrays of ``backend``."""
        joint = model.joint
        state = MixtureState(joint.mu, joint.gamma, joint.L_Sigma, tuple(joint._subordinator_params()))
        return dispatch.to_backend(state, backend)

    @classmethod
    def em_model(cls, state):
        """The model of a state (validated)."""
        return cls(cls._joint_class(*_state_params(state)))

    @classmethod
    def em_gig(cls, subordinator):
        """GIG parameters (p, a, b) of the subordinator's classical parameters (a state's ``subordinator``)."""
        return cls._joint_class._to_gig(*subordinator)

    @classmethod
    def em_e_step(cls, X, state, backend):
        """(MixtureStatistics, mean log-likelihood of ``state``) by the fused ``estep_statistics`` kernel."""
        p, a, b = cls._joint_class._to_gig(*state.subordinator)
        estep = compiled_kernel(backend, "estep_statistics")
        *stats, mean_ll = estep(X, state.mu, state.gamma, state.L_Sigma, p, a, b)
        return MixtureStatistics(*stats), mean_ll

    @classmethod
    def em_e_step_many(cls, X, index, states, backend):
        """E-steps of K problems in one ``estep_statistics_many`` call (states with a leading axis of K).

        Problem k is the state ``states[k]`` on the data set ``X[index[k]]`` (X of shape
        (B, n, d)); returns ``(MixtureStatistics, mean log-likelihoods)`` with a leading axis
        of K, each problem's numbers those of :meth:`em_e_step`.
        """
        p, a, b = cls._joint_class._to_gig(*states.subordinator)
        estep = compiled_kernel(backend, "estep_statistics_many")
        *stats, mean_ll = estep(X, index, states.mu, states.gamma, states.L_Sigma, p, a, b)
        return MixtureStatistics(*stats), mean_ll

    @classmethod
    def em_weighted_e_step(cls, X, w, state, backend):
        """:meth:`em_e_step` with row weights ``w`` (n,): weighted means by ``weighted_estep_statistics``."""
        p, a, b = cls._joint_class._to_gig(*state.subordinator)
        estep = compiled_kernel(backend, "weighted_estep_statistics")
        *stats, mean_ll = estep(X, w, state.mu, state.gamma, state.L_Sigma, p, a, b)
        return MixtureStatistics(*stats), mean_ll

    @classmethod
    def em_weighted_e_step_many(cls, X, W, index, states, backend):
        """:meth:`em_e_step_many` with row weights ``W`` (B, n) of the data sets (``weighted_estep_statistics_many``)."""
        p, a, b = cls._joint_class._to_gig(*states.subordinator)
        estep = compiled_kernel(backend, "weighted_estep_statistics_many")
        *stats, mean_ll = estep(X, W, index, states.mu, states.gamma, states.L_Sigma, p, a, b)
        return MixtureStatistics(*stats), mean_ll

    @classmethod
    def em_m_step(cls, stats, state, backend, method):
        """Closed-form (μ, γ, L_Σ) by ``normal_m_step`` and the family's subordinator update."""
        mu, gamma, L_Sigma = compiled_kernel(backend, "normal_m_step")(stats.s2, stats.s3, stats.s4, stats.s5,
                                                                       stats.S6)
        subordinator = cls._joint_class._subordinator_m_step(stats.s1, stats.s2, stats.s3, state.subordinator,
                                                             backend, method)
        return MixtureState(mu, gamma, L_Sigma, tuple(subordinator))

    @classmethod
    def em_subordinator_names(cls):
        """Names of the subordinator's parameters, in the state's order: those of ``from_classical`` after sigma."""
        names = tuple(inspect.signature(cls.from_classical).parameters)
        return names[names.index("sigma") + 1:]

    @classmethod
    def em_subordinator_m_step(cls, s1, s2, s3, params, backend, method, fixed=None):
        """The subordinator's update from (s1, s2, s3), warm-started at ``params``, with ``fixed`` held.

        ``fixed`` is ``None`` or a tuple with, per parameter, a float (held) or ``None``
        (free).  Maximises the subordinator's part of the expected complete-data
        log-likelihood over the free parameters (each family's
        ``_subordinator_m_step_fixed`` states its equations); with nothing held it is the
        family's usual update.
        """
        joint = cls._joint_class
        if fixed is None or all(value is None for value in fixed):
            return tuple(joint._subordinator_m_step(s1, s2, s3, params, backend, method))
        return tuple(joint._subordinator_m_step_fixed(s1, s2, s3, params, fixed, backend, method))

    @classmethod
    def em_unbounded_at_mu(cls, state, d):
        """Why the density at x = μ is infinite for ``state`` in dimension ``d``, or ``None`` when it is finite.

        With b = 0 (a Gamma subordinator: VG, or GH at that limit) the marginal density at
        x = μ is f(μ) ∝ ∫ y^(p - d/2 - 1) e^(-a y/2) dy, infinite for p ≤ d/2.  A fit that
        ends there with μ on a data row (see ``normix._em.loop.degeneracy``) has an
        unbounded likelihood and no maximum.
        """
        p, a, b = (float(v) for v in cls._joint_class._to_gig(*(np.asarray(t) for t in state.subordinator)))
        if b != 0.0 or p > d / 2:
            return None
        return (f"the subordinator's shape p = {p:.4g} <= d/2 = {d / 2:g}, where the density at mu is "
                f"infinite")

    @classmethod
    def em_nearest_row(cls, X, state):
        """(index, Q) of the row of the in-memory ``X`` nearest to μ in Q(x) = (x - μ)ᵀΣ⁻¹(x - μ)."""
        mu, L = np.asarray(state.mu), np.asarray(state.L_Sigma)
        z = np.linalg.solve(L, (X - mu).T)
        q = np.sum(z * z, axis=0)
        row = int(np.argmin(q))
        return row, float(q[row])

    @classmethod
    def em_regularize(cls, state, regularization, backend):
        """``'none'``: the state; ``'det_sigma_one'``: the same law rescaled to ``|Σ| = 1``."""
        if regularization == "none":
            return state
        if regularization != "det_sigma_one":
            raise ValueError(f"regularization must be 'none' or 'det_sigma_one', got {regularization!r}")
        xp = dispatch.array_namespace(backend)
        d = state.mu.shape[-1]
        log_s = 2.0 * xp.sum(xp.log(xp.diagonal(state.L_Sigma))) / d
        s = xp.exp(log_s)
        subordinator = cls.em_scale_subordinator(state.subordinator, s)
        return MixtureState(state.mu, state.gamma / s, state.L_Sigma * xp.exp(-0.5 * log_s), subordinator)

    @classmethod
    def em_scale_subordinator(cls, subordinator, s):
        """The subordinator parameters of sY from those of Y: GIG(p, a, b) -> GIG(p, a/s, b s) (arithmetic only)."""
        joint = cls._joint_class
        p, a, b = joint._to_gig(*subordinator)
        return tuple(joint._from_gig(p, a / s, b * s))



def _fit_with_defaults(cls):
    """``NormalMixture.fit`` as the function of ``cls``, with the keyword defaults of ``cls.fit_defaults``."""
    base = NormalMixture.__dict__["fit"]
    fit = types.FunctionType(base.__code__, base.__globals__, base.__name__, base.__defaults__, base.__closure__)
    fit.__kwdefaults__ = {**base.__kwdefaults__, **cls.fit_defaults}
    fit.__qualname__ = f"{cls.__qualname__}.fit"
    fit.__module__ = cls.__module__
    changed = ", ".join(f"{name}={value!r}" for name, value in cls.fit_defaults.items())
    fit.__doc__ = base.__doc__.replace("(``fit_defaults``)", f"(``fit_defaults``: {changed})", 1)
    return fit


def _check_expectation(values, key):
    """Posterior moments of one key: finite, and > 0 for E[1/Y] and E[Y] (concrete values only)."""
    if is_traced(values):
        return values
    name = f"expectations[{key!r}]"
    values = as_real_array(values, name)
    positive = key != "E_log_Y"
    ok = np.isfinite(values) & (values > 0 if positive else True)
    if not ok.all():
        raise ValueError(f"{name} must be {'> 0 and ' if positive else ''}finite, got {values[~ok][:3]!r}")
    return values


def _positive_definite_factor(sigma):
    """Lower Cholesky factor of a sample covariance, with a ridge when it is singular."""
    try:
        return np.linalg.cholesky(sigma)
    except np.linalg.LinAlgError:
        scale = float(np.mean(np.diagonal(sigma)))
        if not (math.isfinite(scale) and scale > 0):
            raise ValueError("X must have a finite, non-zero sample covariance (entries beyond about 1e154 overflow "
                             "when squared)") from None
        return np.linalg.cholesky(sigma + _COVARIANCE_RIDGE * scale * np.eye(sigma.shape[0]))
