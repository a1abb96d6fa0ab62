"""The EM loop: option checks, one iteration, the Python and compiled loops, and the result.

Every fitter (batch, many, online, mini-batch; in memory, on dask chunks or on
row-sharded devices) is built from these pieces, so that each situation ends with
the same status and the same words on every path:

* :func:`validate_em_options`: the shared options, each refused with a ``ValueError``
  naming it;
* :func:`m_update`: M-step, regularisation and change of one iteration of the Python
  loop; :func:`em_while`: the same iteration as one ``lax.while_loop``;
* :func:`run_python_loop` and :func:`run_compiled_loop` return a :class:`LoopOutcome`;
* :func:`finish` turns an outcome into the :class:`~normix._em.result.EMResult`: it is
  the one place where the degeneracy check runs and the status is decided.

The family is any object with the protocol of :mod:`normix._em.protocol`: a mixture
class, or an adapter from :mod:`normix._em.delegate` whose E-step runs where the rows
live.
"""
import math
import time
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from normix._em.convergence import param_change_jax, param_change_numpy, state_is_finite_jax
from normix._em.progress import Progress
from normix._em.result import EMResult, EMStatus
from normix._em.weights import on_device
from normix._kernels import dispatch
from normix._kernels._constants import ESTEP_VG_B_FLOOR

REGULARIZATIONS = ("none", "det_sigma_one")
M_STEP_METHODS = ("newton", "lbfgs", "bfgs")


def validate_tolerance(tol, name="tol"):
    """``tol`` as a float if it is a real number >= 0 (0: never stop early), else ``ValueError`` naming ``name``."""
    if isinstance(tol, (bool, np.bool_)) or not isinstance(tol, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a real number >= 0, got {tol!r}")
    if not (math.isfinite(tol) and tol >= 0):
        raise ValueError(f"{name} must be >= 0 and finite, got {tol!r}")
    return float(tol)


def validate_em_options(max_iter, tol, verbose, regularization, m_step_method, *, budget="max_iter"):
    """Raise ``ValueError`` naming the first invalid EM option; ``budget`` names the iteration budget."""
    if isinstance(max_iter, (bool, np.bool_)) or not (isinstance(max_iter, (int, np.integer)) and max_iter >= 1):
        raise ValueError(f"{budget} must be an integer >= 1, got {max_iter!r}")
    validate_tolerance(tol)
    if verbose not in (0, 1, 2) or isinstance(verbose, bool):
        raise ValueError(f"verbose must be 0, 1 or 2, got {verbose!r}")
    if regularization not in REGULARIZATIONS:
        raise ValueError(f"regularization must be one of {REGULARIZATIONS!r}, got {regularization!r}")
    if m_step_method not in M_STEP_METHODS:
        raise ValueError(f"m_step_method must be one of {M_STEP_METHODS!r}, got {m_step_method!r}")


def on_backend(tree, source, target):
    """``tree`` (arrays of backend ``source``) as arrays of ``target``; unchanged when the two are the same."""
    return tree if source == target else dispatch.to_backend(tree, target)


def start_state(family, model, regularization):
    """The (numpy) state of ``model``, regularised as the fit will regularise every iterate."""
    return family.em_regularize(family.em_state(model, "cpu"), regularization, "cpu")


class LoopOutcome(NamedTuple):
    """What a loop hands to :func:`finish`: the final state (numpy), the histories and how it stopped."""

    state: Any
    log_likelihoods: Any
    param_changes: Any
    status: EMStatus
    message: str


def max_iter_message(max_iter, tol):
    return f"stopped after max_iter={max_iter} iterations without meeting tol={tol:g}"


def converged_message(iteration, change, tol):
    return f"converged in {iteration} iterations (change {change:.2e} <= tol={tol:g})"


def non_finite_message(iteration):
    return f"iteration {iteration} produced a non-finite iterate; returning the last finite model"


def m_update(family, state, stats, ll, *, regularization, e_backend, m_backend, method):
    """``(next state, change)`` from E-step statistics of ``state``; ``(None, nan)`` if it or ``ll`` is not finite.

    The next state is numpy; ``change`` is :func:`param_change_numpy` from ``state``
    (finite exactly when the normal parameters of the next state are).
    """
    new = family.em_m_step(on_backend(stats, e_backend, m_backend), on_backend(state, "cpu", m_backend),
                           m_backend, method)
    new = on_backend(family.em_regularize(new, regularization, m_backend), m_backend, "cpu")
    change = param_change_numpy(state, new)
    if math.isfinite(ll) and math.isfinite(change) and all(math.isfinite(float(v)) for v in new.subordinator):
        return new, change
    return None, math.nan


def run_python_loop(family, state, X, *, max_iter, tol, verbose, regularization, e_backend, m_backend, method,
                    callback=None):
    """EM as a Python loop over kernel calls; returns a :class:`LoopOutcome`.

    ``state`` is kept as numpy arrays between iterations and converted only where a
    step runs on another backend (the data once, before the loop), so that the all-CPU
    loop converts nothing.  ``callback(iteration, model, log_likelihood)`` (see
    ``BatchEMFitter.fit``) is called after every iteration; a true return value ends
    the loop.
    """
    lls, changes = [], []
    status, message = EMStatus.MAX_ITER, max_iter_message(max_iter, tol)
    progress = Progress(family.__name__, max_iter, enabled=verbose >= 1)
    if verbose >= 2:
        print(f"{'iter':>5} {'mean log-lik':>16} {'change':>10} {'time (s)':>9}")
    start = time.perf_counter()
    X = on_backend(X, "cpu", e_backend)
    for iteration in range(1, max_iter + 1):
        stats, ll = family.em_e_step(X, on_backend(state, "cpu", e_backend), e_backend)
        ll = float(ll)
        new, change = m_update(family, state, stats, ll, regularization=regularization, e_backend=e_backend,
                               m_backend=m_backend, method=method)
        if new is None:
            status, message = EMStatus.NON_FINITE, non_finite_message(iteration)
            if math.isfinite(ll):
                lls.append(ll)
            break
        lls.append(ll)
        changes.append(change)
        state = new
        progress.update(iteration, ll, change)
        if verbose >= 2:
            print(f"{iteration:>5} {ll:>16.8f} {change:>10.3e} {time.perf_counter() - start:>9.3f}")
        if change <= tol:
            status, message = EMStatus.CONVERGED, converged_message(iteration, change, tol)
        if callback is not None and callback(iteration, family.em_model(state), ll) and status is not \
                EMStatus.CONVERGED:
            status = EMStatus.INTERRUPTED
            message = f"stopped by the callback after iteration {iteration} (change {change:.2e}, tol={tol:g})"
            break
        if status is EMStatus.CONVERGED:
            break
    progress.close()
    return LoopOutcome(state, np.asarray(lls), np.asarray(changes), status, message)


def em_while(family, max_iter, regularization, method, state, X, tol):
    """Batch EM as one traceable ``lax.while_loop`` (JAX state and data).

    Returns ``(lls, changes, n_iter, converged, failed, state)`` with fixed-length
    histories (NaN past ``n_iter``); ``failed`` says that iteration ``n_iter + 1``
    produced a non-finite iterate and ``state`` is the last finite one.
    """
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
        done = jnp.logical_not(finite) | (change <= tol)
        return state, i + jnp.where(finite, 1, 0), lls, changes, done, jnp.logical_not(finite)

    init = (state, jnp.asarray(0), lls, changes, jnp.asarray(False), jnp.asarray(False))
    state, n_iter, lls, changes, done, failed = jax.lax.while_loop(cond, body, init)
    converged = done & jnp.logical_not(failed)
    return lls, changes, n_iter, converged, failed, state


_compiled_em = jax.jit(em_while, static_argnums=(0, 1, 2, 3))


def run_compiled_loop(family, state, X, *, max_iter, tol, regularization, method):
    """EM as one compiled ``lax.while_loop`` program; returns a :class:`LoopOutcome`."""
    X = on_device(X)
    lls, changes, n_iter, converged, failed, state = _compiled_em(
        family, max_iter, regularization, method, dispatch.to_backend(state, "jax"), X,
        jnp.asarray(tol, dtype=jnp.float64))
    return summarize_compiled(dispatch.to_backend(state, "cpu"), lls, changes, n_iter, converged, failed,
                              max_iter=max_iter, tol=tol)


def summarize_compiled(state, lls, changes, n_iter, converged, failed, *, max_iter, tol):
    """The :class:`LoopOutcome` of a compiled loop: histories trimmed to the iterations done."""
    lls, changes = np.asarray(lls), np.asarray(changes)
    n_iter, converged, failed = int(n_iter), bool(converged), bool(failed)
    if converged:
        status, message = EMStatus.CONVERGED, converged_message(n_iter, changes[n_iter - 1], tol)
    elif failed:
        status, message = EMStatus.NON_FINITE, non_finite_message(n_iter + 1)
    else:
        status, message = EMStatus.MAX_ITER, max_iter_message(max_iter, tol)
    kept = n_iter + (1 if failed and np.isfinite(lls[n_iter]) else 0)
    return LoopOutcome(state, lls[:kept], changes[:n_iter], status, message)


def degeneracy(family, X, state):
    """Why the likelihood has no maximum at ``state`` on the rows of ``X``, or ``None``.

    It has none when the density at x = μ is infinite (``family.em_unbounded_at_mu``)
    and μ sits on a data row: the row's Mahalanobis distance squared Q is below the
    E-step's floor ``ESTEP_VG_B_FLOOR``, where the posterior moments are no longer
    exact and the likelihood grows without bound along the path EM took.
    """
    d = X.shape[1]
    reason = family.em_unbounded_at_mu(state, d)
    if reason is None:
        return None
    row, q = family.em_nearest_row(X, state)
    if not q < ESTEP_VG_B_FLOOR:
        return None
    return (f"degenerate fit: mu sits on data row {row} (Mahalanobis distance squared {q:.1e}) with {reason}: "
            f"the likelihood is unbounded and has no maximum")


def finish(family, X, outcome, *, start, verbose, n_iter=None, label="EM"):
    """The :class:`EMResult` of a loop's ``outcome`` on the rows of ``X``; the one place a status is decided.

    A fit that did not fail (not ``NON_FINITE``) and ends degenerate (:func:`degeneracy`)
    gets the status ``DEGENERATE``, whatever its loop reported, and the reason before
    the loop's message.  ``n_iter`` defaults to the number of parameter changes;
    ``label`` names the loop in the summary line printed when ``verbose >= 1``.
    """
    state, lls, changes, status, message = outcome
    if status is not EMStatus.NON_FINITE:
        reason = degeneracy(family, X, state)
        if reason is not None:
            status, message = EMStatus.DEGENERATE, f"{reason}; {message}"
    result = EMResult(model=family.em_model(state), log_likelihoods=lls, param_changes=changes,
                      n_iter=len(changes) if n_iter is None else int(n_iter),
                      converged=status is EMStatus.CONVERGED, elapsed_time=time.perf_counter() - start,
                      message=message, status=status)
    if verbose >= 1:
        last = f", mean log-lik {lls[-1]:.6f}" if lls is not None and len(lls) else ""
        print(f"{family.__name__} {label}: {message}{last}, {result.elapsed_time:.3f} s")
    return result
