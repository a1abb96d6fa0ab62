"""Stochastic EM: online (one row at a time) and mini-batch, with Robbins-Monro averaging.

Both keep a running average of the sufficient statistics,

    s_t = (1 - rho_t) s_{t-1} + rho_t * s_hat_t,      rho_t = 1 / (tau0 + t),

where ``s_hat_t`` is the E-step average over the t-th row or batch under the current
parameters, and set the parameters to the M-step of ``s_t`` after every update
(Cappé & Moulines 2009, "On-line expectation-maximization algorithm for latent data
models", JRSS-B 71(3)).  The loops are compiled (``lax.scan`` inside ``lax.while_loop``)
on the JAX backends; the row order is drawn from the JAX PRNG ``key``, so a fit is
reproducible.  After the loop, one full E-step gives the mean log-likelihood of the
returned model on all rows.

Convergence is measured, as in batch EM, by the relative change of (mu, gamma, L_Sigma),
here between the parameters at the ends of two consecutive epochs (online) or two
consecutive mini-batches (mini-batch); ``converged`` is True only if it fell below ``tol``.
"""
import time

import jax
import jax.numpy as jnp
import numpy as np

from normix._em.batch import validate_em_options
from normix._em.convergence import param_change_jax, state_is_finite_jax
from normix._em.protocol import MixtureStatistics
from normix._em.result import EMResult
from normix._kernels import dispatch


def _blend(running, fresh, rho):
    return MixtureStatistics(*[(1.0 - rho) * r + rho * f for r, f in zip(running, fresh)])


def _update(family, regularization, method, X_rows, stats, state, t, tau0):
    fresh, ll = family.em_e_step(X_rows, state, "jax")
    rho = 1.0 / (tau0 + t)
    stats = _blend(stats, fresh, rho)
    new = family.em_regularize(family.em_m_step(stats, state, "jax", method), regularization, "jax")
    finite = state_is_finite_jax(new, ll)
    state = jax.tree_util.tree_map(lambda a, b: jnp.where(finite, a, b), new, state)
    return stats, state, finite


def _online_epochs(family, regularization, method, max_epochs, X, state, key, tau0, tol):
    n = X.shape[0]
    stats0, _ = family.em_e_step(X, state, "jax")
    changes = jnp.full(max_epochs, jnp.nan)

    def epoch(carry):
        state, stats, t, e, changes, _, ok, key = carry
        key, sub = jax.random.split(key)
        order = jax.random.permutation(sub, n)

        def step(inner, i):
            stats, state, t, ok = inner
            stats_new, state_new, finite = _update(family, regularization, method, X[i][None, :], stats, state,
                                                   t + 1.0, tau0)
            keep = ok & finite
            stats = jax.tree_util.tree_map(lambda a, b: jnp.where(keep, a, b), stats_new, stats)
            state = jax.tree_util.tree_map(lambda a, b: jnp.where(keep, a, b), state_new, state)
            return (stats, state, t + 1.0, keep), None

        (stats, new_state, t, ok), _ = jax.lax.scan(step, (stats, state, t, ok), order)
        change = param_change_jax(state, new_state)
        changes = changes.at[e].set(change)
        return new_state, stats, t, e + 1, changes, change < tol, ok, key

    def cond(carry):
        _, _, _, e, _, done, ok, _ = carry
        return (e < max_epochs) & jnp.logical_not(done) & ok

    init = (state, stats0, jnp.asarray(0.0), jnp.asarray(0), changes, jnp.asarray(False), jnp.asarray(True), key)
    state, _, _, epochs, changes, done, ok, _ = jax.lax.while_loop(cond, epoch, init)
    _, ll = family.em_e_step(X, state, "jax")
    return state, ll, changes, epochs, done & ok, ok


_online = jax.jit(_online_epochs, static_argnums=(0, 1, 2, 3))


def _minibatch_loop(family, regularization, method, max_iter, batch_size, X, state, key, tau0, tol):
    n = X.shape[0]
    batches_per_epoch = max(n // batch_size, 1)
    stats0, _ = family.em_e_step(X[:batch_size], state, "jax")
    changes = jnp.full(max_iter, jnp.nan)
    key, sub = jax.random.split(key)

    def body(carry):
        state, stats, it, changes, _, ok, key, order = carry
        slot = it % batches_per_epoch
        key, sub = jax.random.split(key)
        order = jnp.where(slot == 0, jax.random.permutation(sub, n), order)
        rows = jax.lax.dynamic_slice_in_dim(order, slot * batch_size, batch_size)
        stats_new, new_state, finite = _update(family, regularization, method, X[rows], stats, state,
                                               it + 1.0, tau0)
        change = param_change_jax(state, new_state)
        changes = changes.at[it].set(change)
        stats = jax.tree_util.tree_map(lambda a, b: jnp.where(finite, a, b), stats_new, stats)
        return new_state, stats, it + 1, changes, finite & (change < tol), ok & finite, key, order

    def cond(carry):
        _, _, it, _, done, ok, _, _ = carry
        return (it < max_iter) & jnp.logical_not(done) & ok

    init = (state, stats0, jnp.asarray(0), changes, jnp.asarray(False), jnp.asarray(True), key,
            jax.random.permutation(sub, n))
    state, _, iters, changes, done, ok, _, _ = jax.lax.while_loop(cond, body, init)
    _, ll = family.em_e_step(X, state, "jax")
    return state, ll, changes, iters, done & ok, ok


_minibatch = jax.jit(_minibatch_loop, static_argnums=(0, 1, 2, 3, 4))


def _result(family, state, ll, changes, n_done, converged, ok, start, tol, unit, verbose):
    n_done, converged, ok = int(n_done), bool(converged), bool(ok)
    units = unit + ("es" if unit.endswith("h") else "s")
    if converged:
        message = f"converged after {n_done} {units} (change < tol={tol:g})"
    elif not ok:
        message = f"a non-finite iterate appeared in {unit} {n_done + 1}; returning the last finite model"
    else:
        message = f"stopped after {n_done} {units} without meeting tol={tol:g}"
    result = EMResult(model=family.em_model(dispatch.to_backend(state, "cpu")),
                      log_likelihoods=np.asarray([float(ll)]), param_changes=np.asarray(changes[:n_done]),
                      n_iter=n_done, converged=converged, elapsed_time=time.perf_counter() - start,
                      message=message)
    if verbose >= 1:
        print(f"{family.__name__} {unit} EM: {message}, mean log-lik {float(ll):.6f}, "
              f"{result.elapsed_time:.3f} s")
    return result


def _check_tau0(tau0):
    if not (np.isfinite(tau0) and tau0 > 0):
        raise ValueError(f"tau0 must be > 0 and finite, got {tau0!r}")
    return float(tau0)


class OnlineEMFitter:
    """Online EM (Robbins-Monro stochastic approximation), one row at a time.

    Parameters
    ----------
    tau0 : float
        Offset of the step size ``rho_t = 1 / (tau0 + t)``; larger values forget the
        starting model more slowly.
    max_epochs : int
        Number of passes through the data, each in a fresh random order.
    verbose : int
        0 silent, 1 a summary line.
    regularization : {'none', 'det_sigma_one'}
        As in :class:`BatchEMFitter`.
    tol : float
        Tolerance on the relative change of (mu, gamma, L_Sigma) between two epochs.
    m_step_method : {'newton', 'lbfgs', 'bfgs'}
        Solver of the subordinator's eta -> theta problem.
    """

    def __init__(self, *, tau0=10.0, max_epochs=5, verbose=0, regularization="none", tol=1e-3,
                 m_step_method="newton"):
        validate_em_options(max_epochs, tol, verbose, regularization, m_step_method)
        self.tau0 = _check_tau0(tau0)
        self.max_epochs = int(max_epochs)
        self.verbose = verbose
        self.regularization = regularization
        self.tol = float(tol)
        self.m_step_method = m_step_method

    def fit(self, model, X, *, key):
        """Online EM from ``model`` on the rows of ``X``; ``key`` is a JAX PRNG key. Returns an EMResult."""
        family = type(model)
        X = jnp.asarray(family.em_validate_data(X, model))
        start = time.perf_counter()
        state = dispatch.to_backend(family.em_regularize(family.em_state(model, "cpu"), self.regularization, "cpu"), "jax")
        state, ll, changes, epochs, converged, ok = _online(
            family, self.regularization, self.m_step_method, self.max_epochs, X, state, key,
            jnp.asarray(self.tau0), jnp.asarray(self.tol))
        return _result(family, state, ll, changes, epochs, converged, ok, start, self.tol, "epoch", self.verbose)


class MiniBatchEMFitter:
    """Mini-batch EM with Robbins-Monro averaging of the sufficient statistics.

    Parameters
    ----------
    batch_size : int
        Rows per mini-batch; batches run through the data in a fresh random order each epoch.
    max_iter : int
        Maximum number of mini-batch updates.
    tol : float
        Tolerance on the relative change of (mu, gamma, L_Sigma) made by one update.
    tau0 : float
        Offset of the step size ``rho_t = 1 / (tau0 + t)``.
    verbose : int
        0 silent, 1 a summary line.
    regularization : {'none', 'det_sigma_one'}
        As in :class:`BatchEMFitter`.
    m_step_method : {'newton', 'lbfgs', 'bfgs'}
        Solver of the subordinator's eta -> theta problem.
    """

    def __init__(self, *, batch_size=256, max_iter=200, tol=1e-3, tau0=10.0, verbose=0, regularization="none",
                 m_step_method="newton"):
        validate_em_options(max_iter, tol, verbose, regularization, m_step_method)
        if not (isinstance(batch_size, (int, np.integer)) and batch_size >= 1):
            raise ValueError(f"batch_size must be an integer >= 1, got {batch_size!r}")
        self.batch_size = int(batch_size)
        self.max_iter = int(max_iter)
        self.tol = float(tol)
        self.tau0 = _check_tau0(tau0)
        self.verbose = verbose
        self.regularization = regularization
        self.m_step_method = m_step_method

    def fit(self, model, X, *, key):
        """Mini-batch EM from ``model`` on the rows of ``X``; ``key`` is a JAX PRNG key. Returns an EMResult.

        ``X`` may also be a JAX array sharded by rows over several devices (see
        :mod:`normix._em.placement`).
        """
        from normix._em.placement import fit_distributed_minibatch, is_distributed

        if is_distributed(X):
            return fit_distributed_minibatch(self, model, X, key)
        family = type(model)
        X = jnp.asarray(family.em_validate_data(X, model))
        batch_size = min(self.batch_size, X.shape[0])
        start = time.perf_counter()
        state = dispatch.to_backend(family.em_regularize(family.em_state(model, "cpu"), self.regularization, "cpu"), "jax")
        state, ll, changes, iters, converged, ok = _minibatch(
            family, self.regularization, self.m_step_method, self.max_iter, batch_size, X, state, key,
            jnp.asarray(self.tau0), jnp.asarray(self.tol))
        return _result(family, state, ll, changes, iters, converged, ok, start, self.tol, "mini-batch", self.verbose)
