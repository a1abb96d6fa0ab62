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
import time

import numpy as np

from normix._em.loop import finish, run_compiled_loop, run_python_loop, start_state, validate_em_options
from normix._em.many import fit_many
from normix._em.placement import place
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

    Notes
    -----
    With both backends ``'jax'``, ``verbose <= 1`` and no callback the whole fit runs as one
    compiled ``lax.while_loop``; otherwise a Python loop calls the kernels once per
    iteration.
    """

    def __init__(self, *, max_iter=200, tol=1e-3, verbose=0, regularization="none",
                 e_step_backend="jax", m_step_backend="cpu", m_step_method="newton"):
        validate_em_options(max_iter, tol, verbose, regularization, m_step_method)
        self.max_iter = int(max_iter)
        self.tol = float(tol)
        self.verbose = verbose
        self.regularization = regularization
        self.e_step_backend = dispatch.validate_backend(e_step_backend)
        self.m_step_backend = dispatch.validate_backend(m_step_backend)
        self.m_step_method = m_step_method

    def fit(self, model, X, *, weights=None, callback=None):
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
        (see :mod:`normix._em.placement`).
        """
        placement = place(model, X, self.e_step_backend, weights=weights)
        if callback is not None and not callable(callback):
            raise TypeError(f"callback must be callable or None, got {type(callback).__name__}")
        start = time.perf_counter()
        family = placement.family
        state = start_state(family, model, self.regularization)
        options = dict(max_iter=self.max_iter, tol=self.tol, regularization=self.regularization,
                       method=self.m_step_method)
        if placement.traceable and dispatch.traceable(self.m_step_backend) and self.verbose <= 1 \
                and callback is None:
            outcome = run_compiled_loop(family, state, placement.X, **options)
        else:
            outcome = run_python_loop(family, state, placement.X, verbose=self.verbose,
                                      e_backend=self.e_step_backend, m_backend=self.m_step_backend,
                                      callback=callback, **options)
        return finish(family, placement.X, outcome, start=start, verbose=self.verbose)

    def fit_many(self, models, X, *, select="all", weights=None):
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
        return fit_many(self, models, X, select=select, weights=weights)
