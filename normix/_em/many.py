"""Many EM fits in one call: several starting models, or several datasets of equal shape.

Typical uses are multi-start (keep the best of several initial models), bootstrap
resamples and rolling windows.  On the JAX backends the compiled batch-EM loop is
``jax.vmap``-ed over the problems, so all fits run as one program (on a GPU, in
parallel); each problem keeps its own iteration count and convergence flag.  On the
CPU backends the fits run one after another, each on the parallel numba kernels.
"""
import time
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from normix._em.batch import _em_while, run_python_loop, summarize_compiled
from normix._em.result import EMResult
from normix._kernels import dispatch


def _stack_states(family, models, regularization):
    states = [family.em_regularize(family.em_state(m, "cpu"), regularization, "cpu") for m in models]
    return jax.tree_util.tree_map(lambda *leaves: np.stack([np.asarray(x) for x in leaves]), *states)


@partial(jax.jit, static_argnums=(0, 1, 2, 3, 4))
def _compiled_many(family, max_iter, regularization, method, shared_data, states, X, tol):
    run = lambda state, data: _em_while(family, max_iter, regularization, method, state, data, tol)  # noqa: E731
    return jax.vmap(run, in_axes=(0, None if shared_data else 0))(states, X)


def fit_many(fitter, models, X):
    """Run batch EM for every (model, dataset) pair; returns a list of :class:`EMResult`.

    Parameters
    ----------
    fitter : BatchEMFitter
        Supplies max_iter, tol, regularization, backends and method.
    models : sequence of NormalMixture
        Starting models, all of one family.  A single model is used for every dataset.
    X : array, shape (n, d) or (B, n, d)
        One dataset shared by all starting models, or one dataset per problem.
    """
    models = list(models) if isinstance(models, (list, tuple)) else [models]
    family = type(models[0])
    if any(type(m) is not family for m in models):
        raise ValueError("models must all be of one family, got "
                         f"{sorted({type(m).__name__ for m in models})}")
    X = np.asarray(X, dtype=np.float64)
    shared_data = X.ndim == 2
    datasets = [X] if shared_data else list(X)
    if not shared_data and X.ndim != 3:
        raise ValueError(f"X must have shape (n, d) or (B, n, d), got {X.shape}")
    if len(models) == 1 and len(datasets) > 1:
        models = models * len(datasets)
    if not shared_data and len(models) != len(datasets):
        raise ValueError(f"got {len(models)} models for {len(datasets)} datasets; give one model or one per dataset")
    datasets = [family.em_validate_data(data, models[0]) for data in datasets]
    compiled = (dispatch.traceable(fitter.e_step_backend) and dispatch.traceable(fitter.m_step_backend)
                and fitter.verbose <= 1)
    start = time.perf_counter()
    if compiled:
        return _fit_many_compiled(fitter, family, models, datasets[0] if shared_data else np.stack(datasets),
                                  shared_data, start)
    results = []
    for model, data in zip(models, datasets * len(models) if shared_data else datasets):
        single = time.perf_counter()
        state = family.em_regularize(family.em_state(model, "cpu"), fitter.regularization, "cpu")
        state, lls, changes, converged, message = run_python_loop(
            family, state, data, max_iter=fitter.max_iter, tol=fitter.tol, verbose=fitter.verbose,
            regularization=fitter.regularization, e_backend=fitter.e_step_backend,
            m_backend=fitter.m_step_backend, method=fitter.m_step_method)
        results.append(EMResult(family.em_model(state), lls, changes, len(changes), converged,
                                time.perf_counter() - single, message))
    return results


def _fit_many_compiled(fitter, family, models, X, shared_data, start):
    states = dispatch.to_backend(_stack_states(family, models, fitter.regularization), "jax")
    lls, changes, n_iter, converged, failed, states = _compiled_many(
        family, fitter.max_iter, fitter.regularization, fitter.m_step_method, shared_data,
        states, jnp.asarray(X), jnp.asarray(fitter.tol))
    elapsed = time.perf_counter() - start
    states = dispatch.to_backend(states, "cpu")
    results = []
    for k in range(len(models)):
        state = jax.tree_util.tree_map(lambda leaf: leaf[k], states)
        kept_lls, kept_changes, ok, message = summarize_compiled(
            lls[k], changes[k], n_iter[k], converged[k], failed[k], max_iter=fitter.max_iter, tol=fitter.tol)
        results.append(EMResult(family.em_model(state), kept_lls, kept_changes, len(kept_changes), ok,
                                elapsed, message))
    return results


def best_result(results, X):
    """The fit with the highest mean log-likelihood on ``X``, preferring converged fits.

    Raises ``ValueError`` if no fitted model has a finite log-likelihood.
    """
    scored = [(float(r.model.marginal_log_likelihood(X)), r) for r in results]
    finite = [(ll, r) for ll, r in scored if np.isfinite(ll)]
    if not finite:
        raise ValueError("no fit produced a model with a finite log-likelihood")
    converged = [(ll, r) for ll, r in finite if r.converged]
    return max(converged or finite, key=lambda pair: pair[0])[1]
