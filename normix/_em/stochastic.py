"""Stochastic EM: online (one row at a time) and mini-batch, with Robbins-Monro averaging.

Both keep a running average of the sufficient statistics,

    s_t = (1 - rho_t) s_{t-1} + rho_t * s_hat_t,      rho_t = (tau0 + t)^(-kappa),

where ``s_hat_t`` is the E-step average over the t-th row or batch under the current
parameters, and set the parameters to the M-step of ``s_t`` after every update
(Cappé & Moulines 2009, "On-line expectation-maximization algorithm for latent data
models", JRSS-B 71(3)).  ``kappa = 1`` (``step_exponent``) is the classical step
1/(tau0 + t).  With it s_t is close to a plain mean of all past s_hat, so the
statistics of the early, poor iterates fade only like 1/t; when EM itself converges
slowly (a large fraction of missing information) the error then decays like
t^-(1 - lambda), lambda the rate of EM.  A step exponent in [1/2, 1) with Polyak-Ruppert
averaging (``averaging=True``: the returned model is the M-step of the mean of s_t over
the second half of the update budget) forgets the start fast and averages the noise
out (same reference, Sect. 2.3).

Measured (``benchmarks/em.py --only stochastic``, NIG, d = 2, n = 1e5 drawn from the
model, gap = batch-EM optimum minus the mean log-likelihood reached): with the
classical step the mini-batch fitter's defaults (200 batches of 256) stopped 1.2e-2
below the optimum and online EM (5 epochs) 7e-4; the defaults here are stated in each
class's docstring with their measured gaps.

The loops are compiled (``lax.scan`` inside ``lax.while_loop``) on the JAX backends; the
row order is drawn from the JAX PRNG ``key``, so a fit is reproducible.  The loops stop
early when the parameters at the ends of two consecutive epochs differ by less than
``tol`` (relative change of (mu, gamma, L_Sigma), as in batch EM).

Convergence.  After the loop one E-step over all rows gives the mean log-likelihood of
the returned model, and one M-step from those statistics gives the next batch-EM
iterate.  ``converged`` is True only if that iterate differs from the returned model by
less than ``tol``: the model is then a fixed point of batch EM to the same tolerance as a
converged :class:`~normix._em.batch.BatchEMFitter` fit.  The returned model is not that
iterate (no full-data polish: the full-data pass only measures).
"""
import time

import jax
import jax.numpy as jnp
import numpy as np

from normix._em.convergence import param_change_jax, state_is_finite_jax
from normix._em.loop import LoopOutcome, finish, start_state, validate_em_options
from normix._em.placement import place
from normix._em.protocol import MixtureStatistics
from normix._em.result import EMStatus
from normix._em.squarem import refuse_accelerate
from normix._em.weighted import weigh
from normix._em.weights import on_device, row_order, rows_at
from normix._kernels import dispatch


def _blend(running, fresh, rho):
    return MixtureStatistics(*[(1.0 - rho) * r + rho * f for r, f in zip(running, fresh)])


def _select(keep, new, old):
    return jax.tree_util.tree_map(lambda a, b: jnp.where(keep, a, b), new, old)


def _m_step(family, regularization, method, stats, state):
    return family.em_regularize(family.em_m_step(stats, state, "jax", method), regularization, "jax")


def _update(family, regularization, method, X_rows, stats, state, t, tau0, kappa):
    fresh, ll = family.em_e_step(X_rows, state, "jax")
    stats = _blend(stats, fresh, (tau0 + t) ** (-kappa))
    new = _m_step(family, regularization, method, stats, state)
    finite = state_is_finite_jax(new, ll)
    return stats, _select(finite, new, state), finite


def _average(avg, count, stats, use):
    """Running mean of the statistics over the updates where ``use`` holds."""
    count = count + jnp.where(use, 1.0, 0.0)
    weight = jnp.where(use, 1.0 / jnp.maximum(count, 1.0), 0.0)
    return MixtureStatistics(*[a + weight * (s - a) for a, s in zip(avg, stats)]), count


def _certify(family, regularization, method, X, state, avg, count, ok, tol):
    """(returned state, its full-data mean log-likelihood, the batch-EM certificate, converged, ok)."""
    averaged = _m_step(family, regularization, method, avg, state)
    use_avg = (count > 0) & state_is_finite_jax(averaged, 0.0)
    state = _select(use_avg, averaged, state)
    stats, ll = family.em_e_step(X, state, "jax")
    following = _m_step(family, regularization, method, stats, state)
    certificate = param_change_jax(state, following)
    ok = ok & jnp.isfinite(ll)
    return state, ll, certificate, ok & (certificate <= tol), ok


def _online_epochs(family, regularization, method, max_epochs, averaging, X, state, key, tau0, kappa, tol):
    n = X.shape[0]
    stats0, _ = family.em_e_step(X, state, "jax")
    changes = jnp.full(max_epochs, jnp.nan)
    average_from = 0.5 * max_epochs * n if averaging else jnp.inf

    def epoch(carry):
        state, stats, t, e, changes, _, ok, key, avg, count = carry
        key, sub = jax.random.split(key)
        order = row_order(sub, X)

        def step(inner, i):
            stats, state, t, ok, avg, count = inner
            stats_new, state_new, finite = _update(family, regularization, method, rows_at(X, i[None]), stats,
                                                   state, t + 1.0, tau0, kappa)
            keep = ok & finite
            stats = _select(keep, stats_new, stats)
            state = _select(keep, state_new, state)
            avg, count = _average(avg, count, stats, keep & (t + 1.0 > average_from))
            return (stats, state, t + 1.0, keep, avg, count), None

        (stats, new_state, t, ok, avg, count), _ = jax.lax.scan(step, (stats, state, t, ok, avg, count), order)
        change = param_change_jax(state, new_state)
        changes = changes.at[e].set(change)
        return new_state, stats, t, e + 1, changes, change <= tol, ok, key, avg, count

    def cond(carry):
        _, _, _, e, _, done, ok, _, _, _ = carry
        return (e < max_epochs) & jnp.logical_not(done) & ok

    init = (state, stats0, jnp.asarray(0.0), jnp.asarray(0), changes, jnp.asarray(False), jnp.asarray(True), key,
            stats0, jnp.asarray(0.0))
    state, _, _, epochs, changes, _, ok, _, avg, count = jax.lax.while_loop(cond, epoch, init)
    state, ll, certificate, converged, ok = _certify(family, regularization, method, X, state, avg, count, ok, tol)
    return state, ll, changes, epochs, converged, ok, certificate


_online = jax.jit(_online_epochs, static_argnums=(0, 1, 2, 3, 4))


def _minibatch_run(family, regularization, method, max_iter, batch_size, averaging, X, state, key, tau0, kappa,
                   tol):
    n = X.shape[0]
    batches_per_epoch = max(n // batch_size, 1)
    stats0, _ = family.em_e_step(rows_at(X, slice(0, batch_size)), state, "jax")
    changes = jnp.full(max_iter, jnp.nan)
    average_from = max_iter // 2 if averaging else max_iter
    key, sub = jax.random.split(key)

    def body(carry):
        state, stats, it, changes, _, ok, key, order, epoch_state, avg, count = carry
        slot = it % batches_per_epoch
        key, sub = jax.random.split(key)
        order = jax.lax.cond(slot == 0, lambda: row_order(sub, X), lambda: order)
        epoch_state = _select(slot == 0, state, epoch_state)
        rows = jax.lax.dynamic_slice_in_dim(order, slot * batch_size, batch_size)
        stats_new, new_state, finite = _update(family, regularization, method, rows_at(X, rows), stats, state,
                                               it + 1.0, tau0, kappa)
        changes = changes.at[it].set(param_change_jax(state, new_state))
        stats = _select(finite, stats_new, stats)
        avg, count = _average(avg, count, stats, finite & (it >= average_from))
        epoch_end = (slot == batches_per_epoch - 1) & (it >= batches_per_epoch)
        done = finite & epoch_end & (param_change_jax(epoch_state, new_state) <= tol)
        return new_state, stats, it + 1, changes, done, ok & finite, key, order, epoch_state, avg, count

    def cond(carry):
        _, _, it, _, done, ok, *_ = carry
        return (it < max_iter) & jnp.logical_not(done) & ok

    init = (state, stats0, jnp.asarray(0), changes, jnp.asarray(False), jnp.asarray(True), key,
            row_order(sub, X), state, stats0, jnp.asarray(0.0))
    state, _, iters, changes, _, ok, _, _, _, avg, count = jax.lax.while_loop(cond, body, init)
    state, ll, certificate, converged, ok = _certify(family, regularization, method, X, state, avg, count, ok, tol)
    return state, ll, changes, iters, converged, ok, certificate


_minibatch_full = jax.jit(_minibatch_run, static_argnums=(0, 1, 2, 3, 4, 5))

# Default step exponents of the two fitters (see their docstrings).
MINIBATCH_STEP_EXPONENT = 0.5
ONLINE_STEP_EXPONENT = 1.0


def _plural(unit, count):
    return unit if count == 1 else {"epoch": "epochs", "mini-batch": "mini-batches"}.get(unit, unit + "s")


def _result(family, X, state, ll, changes, n_done, budget, converged, ok, start, tol, unit, verbose, certificate):
    """The EMResult of a stochastic fit (its status and message, then :func:`normix._em.loop.finish`)."""
    n_done, converged, ok = int(n_done), bool(converged), bool(ok)
    after = f"after {n_done} {_plural(unit, n_done)}"
    by = f" by {float(certificate):.2e}"
    if converged:
        status = EMStatus.CONVERGED
        message = f"converged {after}: one batch EM step from the returned model changes it{by} <= tol={tol:g}"
    elif not ok:
        status = EMStatus.NON_FINITE
        message = f"a non-finite iterate appeared {after}; returning the last finite model"
    else:
        status = EMStatus.MAX_ITER if n_done >= budget else EMStatus.NOT_CERTIFIED
        message = (f"stopped {after} without meeting tol={tol:g}: one batch EM step from the returned model "
                   f"changes it{by}")
    outcome = LoopOutcome(dispatch.to_backend(state, "cpu"), np.asarray([float(ll)]),
                          np.asarray(changes[:n_done]), status, message)
    return finish(family, X, outcome, start=start, verbose=verbose, label=f"{unit} EM")


def _check_tau0(tau0):
    if not (np.isfinite(tau0) and tau0 > 0):
        raise ValueError(f"tau0 must be > 0 and finite, got {tau0!r}")
    return float(tau0)


def _check_step_exponent(kappa):
    if not (isinstance(kappa, (int, float, np.floating)) and 0.5 <= kappa <= 1.0):
        raise ValueError(f"step_exponent must be a number in [0.5, 1], got {kappa!r}")
    return float(kappa)


def _check_averaging(averaging):
    if not isinstance(averaging, (bool, np.bool_)):
        raise TypeError(f"averaging must be True or False, got {averaging!r}")
    return bool(averaging)


def _start_state(family, model, regularization):
    return dispatch.to_backend(start_state(family, model, regularization), "jax")


class OnlineEMFitter:
    """Online EM (Robbins-Monro stochastic approximation), one row at a time.

    Parameters
    ----------
    tau0 : float
        Offset of the step size ``rho_t = (tau0 + t)^(-step_exponent)``; larger values
        forget the starting model more slowly.
    max_epochs : int
        Number of passes through the data, each in a fresh random order.
    verbose : int
        0 silent, 1 a summary line.
    regularization : {'none', 'det_sigma_one'}
        As in :class:`BatchEMFitter`.
    tol : float
        Tolerance (>= 0) on the relative change of (mu, gamma, L_Sigma): between the ends of
        two epochs (an early stop), and of one batch EM step from the returned model (the
        ``converged`` flag, module docstring).
    m_step_method : {'newton', 'lbfgs', 'bfgs'}
        Solver of the subordinator's eta -> theta problem.
    step_exponent : float in [0.5, 1]
        kappa of the step ``(tau0 + t)^(-kappa)``; 1 is the classical 1/(tau0 + t).
    averaging : bool
        Return the M-step of the mean of the statistics over the second half of the
        budget (max_epochs n updates) instead of the last iterate.
    accelerate : None
        Only ``None``: extrapolating noisy stochastic iterates is not supported (``ValueError``).

    Notes
    -----
    One row per update makes each step noisy, so the classical step (``kappa = 1``, which
    averages everything it has seen) suits this fitter: measured with the defaults on
    NIG, d = 2, n = 1e5 from the model (``benchmarks/em.py --only stochastic``), 7e-4
    below the batch-EM optimum's mean log-likelihood.
    """

    def __init__(self, *, tau0=10.0, max_epochs=5, verbose=0, regularization="none", tol=1e-3,
                 m_step_method="newton", step_exponent=ONLINE_STEP_EXPONENT, averaging=False, accelerate=None):
        validate_em_options(max_epochs, tol, verbose, regularization, m_step_method, budget="max_epochs")
        refuse_accelerate(accelerate, "OnlineEMFitter")
        self.tau0 = _check_tau0(tau0)
        self.max_epochs = int(max_epochs)
        self.verbose = verbose
        self.regularization = regularization
        self.tol = float(tol)
        self.m_step_method = m_step_method
        self.step_exponent = _check_step_exponent(step_exponent)
        self.averaging = _check_averaging(averaging)

    def fit(self, model, X, *, key, weights=None):
        """Online EM from ``model`` on the rows of ``X``; ``key`` is a JAX PRNG key. Returns an EMResult.

        ``log_likelihoods`` holds one value, the mean log-likelihood of the returned model
        on all rows; ``param_changes`` the change between the ends of consecutive epochs.
        ``weights`` (shape (n,)) as in ``BatchEMFitter.fit``: each epoch then visits n
        rows drawn with probability w_i / Σ w (with replacement) instead of a permutation,
        and the log-likelihood and the convergence certificate are weighted.
        """
        family = type(model)
        family, X = weigh(family, model, family.em_validate_data(X, model), weights)
        start = time.perf_counter()
        state, ll, changes, epochs, converged, ok, certificate = _online(
            family, self.regularization, self.m_step_method, self.max_epochs, self.averaging, on_device(X),
            _start_state(family, model, self.regularization), key, jnp.asarray(self.tau0),
            jnp.asarray(self.step_exponent), jnp.asarray(self.tol))
        return _result(family, X, state, ll, changes, epochs, self.max_epochs, converged, ok, start, self.tol,
                       "epoch", self.verbose, certificate)


class MiniBatchEMFitter:
    """Mini-batch EM with Robbins-Monro averaging of the sufficient statistics.

    Parameters
    ----------
    batch_size : int
        Rows per mini-batch; batches run through the data in a fresh random order each epoch.
    max_iter : int
        Maximum number of mini-batch updates.
    tol : float
        Tolerance (>= 0) on the relative change of (mu, gamma, L_Sigma): between the ends of
        two epochs (an early stop), and of one batch EM step from the returned model (the
        ``converged`` flag, module docstring).
    tau0 : float
        Offset of the step size ``rho_t = (tau0 + t)^(-step_exponent)``.
    verbose : int
        0 silent, 1 a summary line.
    regularization : {'none', 'det_sigma_one'}
        As in :class:`BatchEMFitter`.
    m_step_method : {'newton', 'lbfgs', 'bfgs'}
        Solver of the subordinator's eta -> theta problem.
    step_exponent : float in [0.5, 1]
        kappa of the step ``(tau0 + t)^(-kappa)``; 1 is the classical 1/(tau0 + t).
    accelerate : None
        Only ``None``: extrapolating noisy stochastic iterates is not supported (``ValueError``).
    averaging : bool
        Return the M-step of the mean of the statistics over the second half of the
        ``max_iter`` updates (Polyak-Ruppert averaging) instead of the last iterate.

    Notes
    -----
    The defaults (``step_exponent=0.5``, ``averaging=True``) were chosen by measurement
    (``benchmarks/em.py --only stochastic``; NIG, d = 2, n = 1e5 drawn from the model):
    200 batches of 256 rows end within 1e-3 of the batch-EM optimum's mean log-likelihood,
    where the classical step 1/(tau0 + t) without averaging stopped 1.2e-2 below it.
    """

    def __init__(self, *, batch_size=256, max_iter=200, tol=1e-3, tau0=10.0, verbose=0, regularization="none",
                 m_step_method="newton", step_exponent=MINIBATCH_STEP_EXPONENT, averaging=True, accelerate=None):
        validate_em_options(max_iter, tol, verbose, regularization, m_step_method)
        refuse_accelerate(accelerate, "MiniBatchEMFitter")
        if not (isinstance(batch_size, (int, np.integer)) and batch_size >= 1):
            raise ValueError(f"batch_size must be an integer >= 1, got {batch_size!r}")
        self.batch_size = int(batch_size)
        self.max_iter = int(max_iter)
        self.tol = float(tol)
        self.tau0 = _check_tau0(tau0)
        self.verbose = verbose
        self.regularization = regularization
        self.m_step_method = m_step_method
        self.step_exponent = _check_step_exponent(step_exponent)
        self.averaging = _check_averaging(averaging)

    def fit(self, model, X, *, key, weights=None):
        """Mini-batch EM from ``model`` on the rows of ``X``; ``key`` is a JAX PRNG key. Returns an EMResult.

        ``log_likelihoods`` holds one value, the mean log-likelihood of the returned model
        on all rows; ``param_changes`` the change made by each update.  ``X`` may also be
        a JAX array sharded by rows over several devices (see :mod:`normix._em.placement`).
        ``weights`` (shape (n,)) as in ``BatchEMFitter.fit``: the batches are then drawn
        with probability w_i / Σ w per row (with replacement; the first batch, which only
        seeds the running statistics, is the first rows), and the log-likelihood and the
        convergence certificate are weighted.
        """
        placement = place(model, X, "jax", dask_ok=False, weights=weights)
        family, X = placement.family, placement.X
        batch_size = min(self.batch_size, X.shape[0])
        if batch_size % placement.batch_multiple:
            raise ValueError(f"batch_size must be a multiple of the number of devices ({placement.batch_multiple}) "
                             f"holding X, got {batch_size}")
        start = time.perf_counter()
        state, ll, changes, iters, converged, ok, certificate = _minibatch_full(
            family, self.regularization, self.m_step_method, self.max_iter, batch_size, self.averaging,
            on_device(X), _start_state(family, model, self.regularization), key,
            jnp.asarray(self.tau0), jnp.asarray(self.step_exponent), jnp.asarray(self.tol))
        return _result(family, X, state, ll, changes, iters, self.max_iter, converged, ok, start, self.tol,
                       "mini-batch", self.verbose, certificate)
