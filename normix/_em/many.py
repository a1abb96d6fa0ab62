"""Many EM fits in one call: several starting models, or several datasets of equal shape.

Typical uses are multi-start (keep the best of several initial models), bootstrap
resamples and rolling windows.  A *problem* is a (starting model, data set) pair; each
keeps its own iteration count, histories and convergence flag, exactly as if it had been
fitted alone (the iterates are the same numbers, and a fit that ends degenerate, see
``normix._em.loop.degeneracy``, is reported as in ``BatchEMFitter.fit``).

* Both backends ``'jax'`` (and ``verbose <= 1``): the compiled batch-EM loop is
  ``jax.vmap``-ed over the problems, so all fits run as one program (on a GPU, side
  by side); a problem that has converged keeps its state while the others go on.
* Otherwise one Python loop drives all problems: each iteration makes one
  ``em_e_step_many`` call (on the CPU, one numba kernel whose ``prange`` runs over
  problems and row blocks together, so small fits share the cores) and then the
  M-steps problem by problem.  On the CPU a problem that has converged leaves the E-step;
  on a traceable E-step backend the shapes stay fixed (no recompilation) and converged
  problems are carried along unchanged.
"""
import dataclasses
import math
import time
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from normix._em.fixed import FixedParameters, validate_constraints
from normix._em.loop import (
    LoopOutcome,
    converged_message,
    em_while,
    finish,
    m_update,
    max_iter_message,
    non_finite_message,
    on_backend,
    start_state,
    summarize_compiled,
)
from normix._em.progress import Progress
from normix._em.protocol import MixtureStatistics
from normix._em.result import EMStatus
from normix._em.squarem import compiled_squarem_many, numpy_state, run_squarem_python, summarize_squarem
from normix._em.weighted import weigh
from normix._em.weights import check_weights, on_device
from normix._kernels import dispatch


def _stack(states):
    """One state whose leaves carry a leading axis over ``states`` (numpy)."""
    return jax.tree_util.tree_map(lambda *leaves: np.stack([np.asarray(x) for x in leaves]), *states)


def _take(tree, k):
    return jax.tree_util.tree_map(lambda leaf: leaf[k], tree)


@partial(jax.jit, static_argnums=(0, 1, 2, 3, 4))
def _compiled_many(family, max_iter, regularization, method, shared_data, states, X, tol):
    run = lambda state, data: em_while(family, max_iter, regularization, method, state, data, tol)  # noqa: E731
    return jax.vmap(run, in_axes=(0, None if shared_data else 0))(states, X)


def prepare(fitter, models, X, weights=None, fixed=None, symmetric=False):
    """Validated ``(family, starting states, data sets (B, n, d), index (K,), constraints)`` of a ``fit_many`` call.

    One model and B data sets give B problems; K models and one data set (n, d) give K
    problems; K models and K data sets pair them up.  With ``weights`` ((n,), or (B, n)
    for B data sets) the family and data sets are weighted
    (:func:`normix._em.weighted.weigh`).  With held parameters (``fixed``, ``symmetric``)
    the family is then wrapped in the :class:`~normix._em.fixed.FixedParameters` adapter
    (constrained starts and M-steps) and ``constraints`` is what it holds, else ``None``.
    """
    models = list(models) if isinstance(models, (list, tuple)) else [models]
    if not models:
        raise ValueError("models must hold at least one starting model")
    family = type(models[0])
    if any(type(m) is not family for m in models):
        raise ValueError("models must all be of one family, got "
                         f"{sorted({type(m).__name__ for m in models})}")
    constraints = validate_constraints(models[0], fixed, symmetric, fitter.regularization)
    mixture = family
    X = np.asarray(X, dtype=np.float64)
    if X.ndim not in (2, 3):
        raise ValueError(f"X must have shape (n, d) or (B, n, d), got {X.shape}")
    datasets = X[None] if X.ndim == 2 else X
    if X.ndim == 3 and len(models) == 1:
        models = models * len(datasets)
    if X.ndim == 3 and len(models) != len(datasets):
        raise ValueError(f"got {len(models)} models for {len(datasets)} datasets; give one model or one per dataset")
    datasets = np.stack([family.em_validate_data(data, models[0]) for data in datasets])
    if weights is not None and X.ndim == 2:
        weights = check_weights(weights, X.shape[:1])
    family, datasets = weigh(family, models[0], datasets, weights)
    family = FixedParameters.wrap(family, mixture, constraints)
    states = [start_state(family, m, fitter.regularization) for m in models]
    index = np.zeros(len(models), dtype=np.int64) if X.ndim == 2 else np.arange(len(models))
    return family, states, datasets, index, constraints


def fit_many(fitter, models, X, select="all", weights=None, fixed=None, symmetric=False):
    """Run batch EM for every (model, dataset) problem; returns a list of :class:`EMResult` or the best one.

    Parameters
    ----------
    fitter : BatchEMFitter
        Supplies max_iter, tol, regularization, backends and method.
    models : NormalMixture or sequence of NormalMixture
        Starting models, all of one family.  A single model is used for every dataset.
    X : array, shape (n, d) or (B, n, d)
        One dataset shared by all starting models, or one dataset per problem.
    select : {'all', 'best'}
        ``'best'``: only the fit with the highest mean log-likelihood (see :func:`best_result`).
    weights : array, shape (n,) or (B, n), optional
        Observation weights (see :func:`prepare`).
    fixed, symmetric
        Parameters held in every fit (see :mod:`normix._em.fixed`); each result records them.

    Returns
    -------
    list of EMResult, or EMResult
        One per problem, in order; ``elapsed_time`` is the wall time of the whole call.
    """
    family, states, datasets, index, constraints = prepare(fitter, models, X, weights, fixed, symmetric)
    start = time.perf_counter()
    compiled = (dispatch.traceable(fitter.e_step_backend) and dispatch.traceable(fitter.m_step_backend)
                and fitter.verbose <= 1)
    n_iters = [None] * len(states)
    if getattr(fitter, "accelerate", None) is not None:
        outcomes, n_iters = fit_many_squarem(family, states, datasets, index, fitter, compiled, np.ndim(X) == 2)
    elif compiled:
        shared = np.ndim(X) == 2
        lls, changes, n_iter, converged, failed, final = _compiled_many(
            family, fitter.max_iter, fitter.regularization, fitter.m_step_method, shared,
            dispatch.to_backend(_stack(states), "jax"), on_device(_take(datasets, 0) if shared else datasets),
            jnp.asarray(fitter.tol))
        final = dispatch.to_backend(final, "cpu")
        outcomes = [summarize_compiled(_take(final, k), lls[k], changes[k], n_iter[k], converged[k], failed[k],
                                       max_iter=fitter.max_iter, tol=fitter.tol) for k in range(len(states))]
    else:
        outcomes = run_many_loop(family, states, datasets, index, max_iter=fitter.max_iter, tol=fitter.tol,
                                 verbose=fitter.verbose, regularization=fitter.regularization,
                                 e_backend=fitter.e_step_backend, m_backend=fitter.m_step_backend,
                                 method=fitter.m_step_method)
    results = [finish(family, _take(datasets, index[k]), outcome, start=start, verbose=0, n_iter=n_iters[k])
               for k, outcome in enumerate(outcomes)]
    if constraints is not None:
        results = [dataclasses.replace(result, constraints=constraints) for result in results]
    if select == "best":
        return best_result(family, [outcome.state for outcome in outcomes], results, datasets)
    return results


def fit_many_squarem(family, states, datasets, index, fitter, compiled, shared):
    """``(outcomes, E-step counts)`` of SQUAREM fits of every problem (:mod:`normix._em.squarem`).

    Compiled: the SQUAREM ``lax.while_loop`` vmapped over the problems.  Otherwise the
    problems run one after another through the Python SQUAREM loop.
    """
    options = dict(max_iter=fitter.max_iter, tol=fitter.tol, regularization=fitter.regularization,
                   method=fitter.m_step_method)
    if compiled:
        lls, changes, n_acc, n_e, converged, failed, final = compiled_squarem_many(
            family, fitter.max_iter, fitter.regularization, fitter.m_step_method, shared,
            dispatch.to_backend(_stack(states), "jax"),
            on_device(_take(datasets, 0) if shared else _take(datasets, index)), jnp.asarray(fitter.tol))
        final = dispatch.to_backend(final, "cpu")
        pairs = [summarize_squarem(numpy_state(_take(final, k)), lls[k], changes[k], n_acc[k], n_e[k], converged[k],
                                   failed[k], max_iter=fitter.max_iter, tol=fitter.tol) for k in range(len(states))]
    else:
        pairs = [run_squarem_python(family, state, _take(datasets, index[k]), verbose=fitter.verbose,
                                    e_backend=fitter.e_step_backend, m_backend=fitter.m_step_backend, **options)
                 for k, state in enumerate(states)]
    return [pair[0] for pair in pairs], [pair[1] for pair in pairs]


def run_many_loop(family, states, datasets, index, *, max_iter, tol, verbose, regularization, e_backend, m_backend,
                  method):
    """EM for K problems in one Python loop; returns one :class:`~normix._em.loop.LoopOutcome` per problem.

    Each iteration is one ``em_e_step_many`` call for the problems still running and one
    M-step per problem: the same per-problem iterates as :func:`normix._em.batch.run_python_loop`.
    """
    K = len(states)
    states = list(states)
    lls = [[] for _ in range(K)]
    changes = [[] for _ in range(K)]
    statuses = [EMStatus.MAX_ITER] * K
    running = [True] * K
    messages = [max_iter_message(max_iter, tol)] * K
    fixed_shapes = dispatch.traceable(e_backend)
    data = on_backend(datasets, "cpu", e_backend)
    progress = Progress(f"{family.__name__} x{K}", max_iter, enabled=verbose >= 1)
    if verbose >= 2:
        print(f"{'fit':>4} {'iter':>5} {'mean log-lik':>16} {'change':>10}")
    for iteration in range(1, max_iter + 1):
        batch = list(range(K)) if fixed_shapes else [k for k in range(K) if running[k]]
        stats, mean_lls = family.em_e_step_many(data, on_backend(index[batch], "cpu", e_backend),
                                                on_backend(_stack([states[k] for k in batch]), "cpu", e_backend),
                                                e_backend)
        stats, mean_lls = dispatch.to_backend(stats, "cpu"), np.asarray(mean_lls)
        for j, k in enumerate(batch):
            if not running[k]:
                continue
            ll = float(mean_lls[j])
            new, change = m_update(family, states[k], MixtureStatistics(*(leaf[j] for leaf in stats)), ll,
                                   regularization=regularization, e_backend="cpu", m_backend=m_backend,
                                   method=method)
            if new is None:
                statuses[k], messages[k] = EMStatus.NON_FINITE, non_finite_message(iteration)
                if math.isfinite(ll):
                    lls[k].append(ll)
                running[k] = False
                continue
            lls[k].append(ll)
            changes[k].append(change)
            states[k] = new
            if verbose >= 2:
                print(f"{k:>4} {iteration:>5} {ll:>16.8f} {change:>10.3e}")
            if change <= tol:
                running[k] = False
                statuses[k], messages[k] = EMStatus.CONVERGED, converged_message(iteration, change, tol)
        active = [k for k in range(K) if running[k]]
        if not active:
            break
        progress.update(iteration, max(lls[k][-1] for k in active), max(changes[k][-1] for k in active))
    progress.close()
    return [LoopOutcome(states[k], np.asarray(lls[k]), np.asarray(changes[k]), statuses[k], messages[k])
            for k in range(K)]


def best_result(family, states, results, datasets):
    """The fit with the highest mean log-likelihood on the data set, preferring converged fits.

    The log-likelihoods of the fitted states come from one ``em_e_step_many`` call on the
    CPU kernels (the data are on the host; the JAX twin agrees to 1e-12).  Raises
    ``ValueError`` if no fitted model has a finite log-likelihood.
    """
    index = np.zeros(len(states), dtype=np.int64)
    _, scores = family.em_e_step_many(datasets, index, _stack(states), "cpu")
    scored = [(float(ll), r) for ll, r in zip(np.asarray(scores), results)]
    finite = [(ll, r) for ll, r in scored if math.isfinite(ll)]
    if not finite:
        raise ValueError("no fit produced a model with a finite log-likelihood")
    converged = [(ll, r) for ll, r in finite if r.converged]
    return max(converged or finite, key=lambda pair: pair[0])[1]
