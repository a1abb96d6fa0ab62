"""Batch EM: every iteration uses all rows.

Two loops of :mod:`normix._em.loop` share one definition of an iteration (E-step,
M-step, regularisation, convergence test):

* a compiled ``lax.while_loop`` when both backends are traceable (``'jax'``), ``verbose
  <= 1`` and there is no callback: one program for the whole fit, no per-iteration
  retrace or host round trip;
* a Python loop otherwise (numba kernels, a per-iteration table, or a callback), whose
  per-iteration work is two kernel calls on plain arrays.

The rows may live in memory, on several devices or in dask chunks
(:func:`normix._em.placement.place` picks the E-step); the result is built by
:func:`normix._em.loop.finish` on every path.
"""
import dataclasses
import time

import numpy as np

from normix._em.factor import factor_family, factor_result
from normix._em.fixed import FixedParameters, validate_constraints
from normix._em.loop import finish, run_compiled_loop, run_python_loop, start_state, validate_em_options
from normix._em.many import fit_many
from normix._em.placement import place
from normix._em.squarem import run_squarem_compiled, run_squarem_python, validate_accelerate
from normix._kernels import dispatch


class BatchEMFitter:
    """Batch EM: E-step over all rows, M-step, optional regularisation, until convergence.

    Convergence is the relative change of the normal parameters (mu, gamma, L_Sigma)
    falling below ``tol`` (see :mod:`normix._em.convergence`); the subordinator's
    parameters are not part of the measure.

    Parameters
    ----------
    max_iter : int
        Maximum number of EM iterations.
    tol : float
        Tolerance (>= 0) on the relative parameter change; 0 never stops early (a fit then
        runs ``max_iter`` iterations unless an iteration changes nothing at all).
    verbose : int
        0 silent; 1 a summary line (and a progress line for fits longer than a couple of
        seconds); 2 a per-iteration table (iteration, mean log-likelihood, change, time).
    regularization : {'none', 'det_sigma_one'}
        ``'det_sigma_one'`` rescales every iterate to ``|Sigma| = 1`` (the GH family is not
        identified in scale otherwise); the marginal law is unchanged.
    e_step_backend, m_step_backend : {'jax', 'cpu'}
        Backends of the E-step and the M-step's eta -> theta solve.
    m_step_method : {'newton', 'lbfgs', 'bfgs'}
        Solver of the subordinator's eta -> theta problem.
    accelerate : {None, 'squarem'}
        ``None``: plain EM.  ``'squarem'``: SQUAREM extrapolation of the EM map with a
        monotone safeguard (:mod:`normix._em.squarem`); ``max_iter`` and ``n_iter`` then
        count E-steps, and ``tol`` means the same as for plain EM.

    Notes
    -----
    With both backends ``'jax'``, ``verbose <= 1`` and no callback the whole fit runs as one
    compiled ``lax.while_loop``; otherwise a Python loop calls the kernels once per
    iteration.
    """

    def __init__(self, *, max_iter=200, tol=1e-3, verbose=0, regularization="none",
                 e_step_backend="jax", m_step_backend="cpu", m_step_method="newton", accelerate=None):
        validate_em_options(max_iter, tol, verbose, regularization, m_step_method)
        self.accelerate = validate_accelerate(accelerate)
        self.max_iter = int(max_iter)
        self.tol = float(tol)
        self.verbose = verbose
        self.regularization = regularization
        self.e_step_backend = dispatch.validate_backend(e_step_backend)
        self.m_step_backend = dispatch.validate_backend(m_step_backend)
        self.m_step_method = m_step_method

    def fit(self, model, X, *, weights=None, missing="raise", fixed=None, symmetric=False, sigma="full",
            n_factors=None, callback=None):
        """Run batch EM from ``model`` on the rows of ``X``; returns an :class:`EMResult`.

        Parameters
        ----------
        model : NormalMixture
            Starting model; its family is the family fitted.
        X : array, shape (n, d)
            Data, at least d + 2 finite rows.
        weights : array, shape (n,), optional
            Observation weights w_i: finite, >= 0, not all zero, positive on at least
            d + 2 rows (``ValueError`` naming ``weights`` otherwise).  The fit maximises
            the weighted log-likelihood Σ_i w_i log f(x_i): every E-step average is
            Σ_i w_i t(x_i) / Σ_i w_i, so integer weights fit as repeated rows, rows of
            weight 0 do not count (in the row-count and constant-column checks and in the
            degeneracy test either), and ``log_likelihoods`` are weighted means.  Uniform
            weights give the unweighted fit exactly.  A dask ``X`` takes a dask or numpy
            array of weights (chunked like its rows or not), a row-sharded ``X`` a numpy
            or JAX array (placed like its rows).  See :mod:`normix._em.weighted`.
        missing : {'raise', 'em'}
            ``'raise'``: NaN is refused (``ValueError`` naming its rows and columns);
            ``'em'``: NaN marks a missing entry and EM maximises the observed-data
            likelihood (:mod:`normix._em.missing`; in-memory rows only, a dask or
            row-sharded ``X`` raises ``NotImplementedError``).
        fixed : mapping, optional
            Parameters held at given values (``'mu'``, ``'gamma'`` and the subordinator's
            ``from_classical`` names), in the start and in every M-step: see
            :mod:`normix._em.fixed` for the constrained M-steps and the checks.
        symmetric : bool
            ``True`` holds γ = 0 (the same as ``fixed={'gamma': 0}``).
        sigma : {'full', 'factor'}
            ``'factor'``: Σ = B Bᵀ + diag(D) with ``n_factors`` factors, by ECM in O(n d k) per
            iteration, in memory only (:mod:`normix._em.factor`); returns a ``FactorEMResult``
            (an :class:`EMResult` with ``loadings`` and ``specific_variances``).
        n_factors : int, optional
            1 <= k < d, required with ``sigma='factor'`` and refused with ``'full'``.
        callback : callable, optional
            ``callback(iteration, model, log_likelihood)`` after every iteration, with the
            model after ``iteration`` updates and the mean log-likelihood of the model that
            entered the iteration (the value recorded in ``EMResult.log_likelihoods``; the
            fused E-step gives it for free).  A true return value stops the fit (the result
            then has ``converged=False`` unless that iteration met ``tol``, and says who
            stopped it).  A callback runs the Python loop on every backend.

        Notes
        -----
        Checkpoint and resume.  EM's next iterate depends only on the current model, so
        a long fit can be saved as it goes and continued later: save the model in the
        callback every few iterations (e.g. ``model.save(path)``) and, after an
        interruption, call ``fit`` again with the saved model as the start.  The resumed
        fit follows the same iterates as one uninterrupted fit; only the iteration
        count and the histories restart at the resumption point.

        ``X`` may also be a dask array or a JAX array sharded by rows over several devices
        (see :mod:`normix._em.placement`).  A constrained fit records what it held in
        ``EMResult.constraints`` (read by :mod:`normix.selection`).
        """
        constraints = validate_constraints(model, fixed, symmetric, self.regularization)
        placement = place(model, X, self.e_step_backend, missing=missing, weights=weights)
        if callback is not None and not callable(callback):
            raise TypeError(f"callback must be callable or None, got {type(callback).__name__}")
        start = time.perf_counter()
        family = factor_family(placement.family, sigma, n_factors, model.d)
        if family is not placement.family and (constraints is not None or self.accelerate is not None
                                               or missing != "raise" or weights is not None):
            raise ValueError("sigma='factor' is fitted by plain EM on complete, unweighted rows with every parameter "
                             "free: it cannot be combined with weights, missing='em', fixed, symmetric or accelerate")
        family = FixedParameters.wrap(family, type(model), constraints)
        state = start_state(family, model, self.regularization)
        options = dict(max_iter=self.max_iter, tol=self.tol, regularization=self.regularization,
                       method=self.m_step_method)
        compiled = placement.traceable and dispatch.traceable(self.m_step_backend) and self.verbose <= 1 \
            and callback is None
        python_options = dict(verbose=self.verbose, e_backend=self.e_step_backend, m_backend=self.m_step_backend,
                              callback=callback, **options)
        n_iter = None
        if self.accelerate == "squarem" and compiled:
            outcome, n_iter = run_squarem_compiled(family, state, placement.X, **options)
        elif self.accelerate == "squarem":
            outcome, n_iter = run_squarem_python(family, state, placement.X, **python_options)
        elif compiled:
            outcome = run_compiled_loop(family, state, placement.X, **options)
        else:
            outcome = run_python_loop(family, state, placement.X, **python_options)
        result = finish(family, placement.X, outcome, start=start, verbose=self.verbose, n_iter=n_iter)
        if sigma != "full":
            result = factor_result(result, outcome.state)
        return result if constraints is None else dataclasses.replace(result, constraints=constraints)

    def fit_many(self, models, X, *, select="all", weights=None, fixed=None, symmetric=False):
        """Run EM from several starting models and/or on several datasets of equal shape, in one call.

        Parameters
        ----------
        models : NormalMixture or sequence of NormalMixture
            Starting models of one family; a single model is used for every dataset.
        X : array, shape (n, d) or (B, n, d)
            One dataset shared by all starting models (multi-start), or one per problem
            (bootstrap resamples, rolling windows): B datasets with one model each, or one
            model for all of them.
        select : {'all', 'best'}
            ``'all'`` returns one :class:`EMResult` per problem, each with its own iteration
            count, histories and convergence flag; ``'best'`` (shared data only) returns the
            fit whose model has the highest mean log-likelihood on ``X``, preferring
            converged fits.
        weights : array, shape (n,) or (B, n), optional
            Observation weights as in :meth:`fit`: shared by every data set, or one row of
            weights per data set of a (B, n, d) ``X``.  ``'best'`` compares weighted mean
            log-likelihoods.
        fixed, symmetric
            Parameters held in every fit, as in :meth:`fit`.

        Returns
        -------
        list of EMResult or EMResult
            Every fit equals what :meth:`fit` gives for its (model, dataset) pair;
            ``elapsed_time`` is the wall time of the whole call.

        Notes
        -----
        With both backends ``'jax'`` (and ``verbose <= 1``) the compiled loop is vmapped
        over the problems: one program runs every fit.  Otherwise one Python loop makes,
        per iteration, a single E-step call for all the problems still running (on the CPU
        one numba kernel, parallel across problems and rows) and one M-step per problem.
        Examples: ``fitter.fit_many([m1, m2, m3], X, select='best')`` (multi-start);
        ``fitter.fit_many(model, X[rng.integers(0, n, (B, n))])`` (B bootstrap resamples);
        ``fitter.fit_many(model, np.stack([X[t:t + w] for t in starts]))`` (rolling windows).
        """
        if select not in ("all", "best"):
            raise ValueError(f"select must be 'all' or 'best', got {select!r}")
        if select == "best" and np.ndim(X) != 2:
            raise ValueError("select='best' compares fits on one dataset: X must have shape (n, d)")
        return fit_many(self, models, X, select=select, weights=weights, fixed=fixed, symmetric=symmetric)
