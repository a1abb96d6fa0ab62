"""Batch EM: every iteration uses all rows.

Two loops share one definition of an iteration (E-step, M-step, regularisation,
convergence test):

* a compiled ``lax.while_loop`` when both backends are traceable (``'jax'``) and
  ``verbose <= 1``: one program for the whole fit, no per-iteration retrace or
  host round trip;
* a Python loop otherwise (numba kernels, a per-iteration table, or a callback), whose
  per-iteration work is two kernel calls on plain arrays.

An iterate that stops being finite ends the fit: the last finite state is kept
and the result says so (``converged=False`` and a message).
"""
import math
import time

import jax
import jax.numpy as jnp
import numpy as np

from normix._em.convergence import (
    param_change_jax,
    param_change_numpy,
    state_is_finite_jax,
)
from normix._em.progress import Progress
from normix._em.result import EMResult
from normix._kernels import dispatch

REGULARIZATIONS = ("none", "det_sigma_one")
M_STEP_METHODS = ("newton", "lbfgs", "bfgs")


def validate_em_options(max_iter, tol, verbose, regularization, m_step_method):
    """Raise ``ValueError`` naming the first invalid EM option."""
    if not (isinstance(max_iter, (int, np.integer)) and max_iter >= 1):
        raise ValueError(f"max_iter must be an integer >= 1, got {max_iter!r}")
    if not (np.isfinite(tol) and tol > 0):
        raise ValueError(f"tol must be > 0 and finite, got {tol!r}")
    if verbose not in (0, 1, 2):
        raise ValueError(f"verbose must be 0, 1 or 2, got {verbose!r}")
    if regularization not in REGULARIZATIONS:
        raise ValueError(f"regularization must be one of {REGULARIZATIONS!r}, got {regularization!r}")
    if m_step_method not in M_STEP_METHODS:
        raise ValueError(f"m_step_method must be one of {M_STEP_METHODS!r}, got {m_step_method!r}")


def _on(tree, source, target):
    """``tree`` (arrays of backend ``source``) as arrays of ``target``; unchanged when the two are the same."""
    return tree if source == target else dispatch.to_backend(tree, target)


def m_update(family, state, stats, ll, *, regularization, e_backend, m_backend, method):
    """``(next state, change)`` from E-step statistics of ``state``; ``(None, nan)`` if it or ``ll`` is not finite.

    The next state is numpy; ``change`` is :func:`param_change_numpy` from ``state``
    (finite exactly when the normal parameters of the next state are).
    """
    new = family.em_m_step(_on(stats, e_backend, m_backend), _on(state, "cpu", m_backend), m_backend, method)
    new = _on(family.em_regularize(new, regularization, m_backend), m_backend, "cpu")
    change = param_change_numpy(state, new)
    if math.isfinite(ll) and math.isfinite(change) and all(math.isfinite(float(v)) for v in new.subordinator):
        return new, change
    return None, math.nan


def run_python_loop(family, state, X, *, max_iter, tol, verbose, regularization, e_backend, m_backend, method,
                    callback=None):
    """EM as a Python loop over kernel calls; returns ``(state, lls, changes, converged, message)``.

    ``state`` is kept as numpy arrays between iterations and converted only where a
    step runs on another backend (the data once, before the loop), so that the all-CPU
    loop converts nothing.  ``callback(iteration, model, log_likelihood)`` (see
    :meth:`BatchEMFitter.fit`) is called after every iteration; a true return value ends
    the loop.
    """
    lls, changes = [], []
    converged, message = False, f"stopped after max_iter={max_iter} iterations without meeting tol={tol:g}"
    progress = Progress(family.__name__, max_iter, enabled=verbose >= 1)
    if verbose >= 2:
        print(f"{'iter':>5} {'mean log-lik':>16} {'change':>10} {'time (s)':>9}")
    start = time.perf_counter()
    X = _on(X, "cpu", e_backend)
    for iteration in range(1, max_iter + 1):
        stats, ll = family.em_e_step(X, _on(state, "cpu", e_backend), e_backend)
        ll = float(ll)
        new, change = m_update(family, state, stats, ll, regularization=regularization, e_backend=e_backend,
                               m_backend=m_backend, method=method)
        if new is None:
            message = f"iteration {iteration} produced a non-finite iterate; returning the last finite model"
            if math.isfinite(ll):
                lls.append(ll)
            break
        lls.append(ll)
        changes.append(change)
        state = new
        progress.update(iteration, ll, change)
        if verbose >= 2:
            print(f"{iteration:>5} {ll:>16.8f} {change:>10.3e} {time.perf_counter() - start:>9.3f}")
        if change < tol:
            converged, message = True, f"converged in {iteration} iterations (change {change:.2e} < tol={tol:g})"
        if callback is not None and callback(iteration, family.em_model(state), ll) and not converged:
            message = f"stopped by the callback after iteration {iteration} (change {change:.2e}, tol={tol:g})"
            break
        if converged:
            break
    progress.close()
    return state, np.asarray(lls), np.asarray(changes), converged, message


def run_compiled_loop(family, state, X, *, max_iter, tol, regularization, method):
    """EM as one ``lax.while_loop`` program; returns ``(state, lls, changes, converged, message)``."""
    X = jnp.asarray(X)
    state = dispatch.to_backend(state, "jax")
    lls, changes, n_iter, converged, failed, state = _compiled_em(
        family, max_iter, regularization, method, state, X, jnp.asarray(tol, dtype=jnp.float64)
    )
    return (dispatch.to_backend(state, "cpu"),
            *summarize_compiled(lls, changes, n_iter, converged, failed, max_iter=max_iter, tol=tol))


def summarize_compiled(lls, changes, n_iter, converged, failed, *, max_iter, tol):
    """Trim the fixed-length histories of a compiled loop; returns ``(lls, changes, converged, message)``."""
    lls, changes = np.asarray(lls), np.asarray(changes)
    n_iter, converged, failed = int(n_iter), bool(converged), bool(failed)
    if converged:
        message = f"converged in {n_iter} iterations (change {changes[n_iter - 1]:.2e} < tol={tol:g})"
    elif failed:
        message = f"iteration {n_iter + 1} produced a non-finite iterate; returning the last finite model"
    else:
        message = f"stopped after max_iter={max_iter} iterations without meeting tol={tol:g}"
    kept = n_iter + (1 if failed and np.isfinite(lls[n_iter]) else 0)
    return lls[:kept], changes[:n_iter], converged, message


def _em_while(family, max_iter, regularization, method, state, X, tol):
    lls = jnp.full(max_iter, jnp.nan)
    changes = jnp.full(max_iter, jnp.nan)

    def cond(carry):
        _, i, _, _, done, _ = carry
        return (i < max_iter) & jnp.logical_not(done)

    def body(carry):
        state, i, lls, changes, _, _ = carry
        stats, ll = family.em_e_step(X, state, "jax")
        new = family.em_regularize(family.em_m_step(stats, state, "jax", method), regularization, "jax")
        finite = state_is_finite_jax(new, ll)
        change = param_change_jax(state, new)
        lls = lls.at[i].set(ll)
        changes = changes.at[i].set(jnp.where(finite, change, jnp.nan))
        state = jax.tree_util.tree_map(lambda a, b: jnp.where(finite, a, b), new, state)
        done = jnp.logical_not(finite) | (change < tol)
        return state, i + jnp.where(finite, 1, 0), lls, changes, done, jnp.logical_not(finite)

    init = (state, jnp.asarray(0), lls, changes, jnp.asarray(False), jnp.asarray(False))
    state, n_iter, lls, changes, done, failed = jax.lax.while_loop(cond, body, init)
    converged = done & jnp.logical_not(failed)
    return lls, changes, n_iter, converged, failed, state


_compiled_em = jax.jit(_em_while, static_argnums=(0, 1, 2, 3))


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
        Tolerance on the relative parameter change.
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

    def fit(self, model, X, *, callback=None):
        """Run batch EM from ``model`` on the rows of ``X``; returns an :class:`EMResult`.

        Parameters
        ----------
        model : NormalMixture
            Starting model; its family is the family fitted.
        X : array, shape (n, d)
            Data, at least d + 2 finite rows.
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
        from normix._em.placement import fit_distributed, is_distributed

        if is_distributed(X):
            return fit_distributed(self, model, X, callback)
        family = type(model)
        X = family.em_validate_data(X, model)
        if callback is not None and not callable(callback):
            raise TypeError(f"callback must be callable or None, got {type(callback).__name__}")
        start = time.perf_counter()
        state = family.em_regularize(family.em_state(model, "cpu"), self.regularization, "cpu")
        compiled = (dispatch.traceable(self.e_step_backend) and dispatch.traceable(self.m_step_backend)
                    and self.verbose <= 1 and callback is None)
        if compiled:
            outcome = run_compiled_loop(family, state, X, max_iter=self.max_iter, tol=self.tol,
                                        regularization=self.regularization, method=self.m_step_method)
        else:
            outcome = run_python_loop(family, state, X, max_iter=self.max_iter, tol=self.tol,
                                      verbose=self.verbose, regularization=self.regularization,
                                      e_backend=self.e_step_backend, m_backend=self.m_step_backend,
                                      method=self.m_step_method, callback=callback)
        state, lls, changes, converged, message = outcome
        degeneracy = family.em_degeneracy(X, state)
        if degeneracy is not None:
            converged, message = False, f"{degeneracy}; {message}"
        result = EMResult(model=family.em_model(state), log_likelihoods=lls, param_changes=changes,
                          n_iter=len(changes), converged=converged,
                          elapsed_time=time.perf_counter() - start, message=message)
        if self.verbose >= 1:
            last = f", mean log-lik {lls[-1]:.6f}" if len(lls) else ""
            print(f"{family.__name__} EM: {message}{last}, {result.elapsed_time:.3f} s")
        return result

    def fit_many(self, models, X, *, select="all"):
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
        from normix._em.many import fit_many

        if select not in ("all", "best"):
            raise ValueError(f"select must be 'all' or 'best', got {select!r}")
        if select == "best" and np.ndim(X) != 2:
            raise ValueError("select='best' compares fits on one dataset: X must have shape (n, d)")
        return fit_many(self, models, X, select=select)
