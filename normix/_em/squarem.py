"""SQUAREM: the EM map accelerated by squared extrapolation, with EM's monotonicity kept.

Varadhan and Roland (2008), *Simple and globally convergent methods for accelerating
the convergence of any EM algorithm*, Scand. J. Statist. 35, 335-353, scheme S3.  With
F the EM map (E-step, M-step, regularisation) and θ a parametrisation of the state,
one cycle from θ0 is

    θ1 = F(θ0),  θ2 = F(θ1),  r = θ1 - θ0,  v = θ2 - 2 θ1 + θ0,
    α = -|r| / |v|  clipped to [-α_max, -1],
    θ' = θ0 - 2 α r + α² v,  then the stabilising EM step θ0_next = F(θ').

α = -1 gives θ' = θ2 (two plain EM steps).  α_max starts at 1; it grows by the factor
:data:`ALPHA_MAX_FACTOR` = 4 (the default of Varadhan and Roland's SQUAREM software; it
took 10-50 % fewer E-steps than doubling on the benchmark data) after an accepted
extrapolation that used α = -α_max and shrinks by it (not below 1) after a rejected one.

Safeguard.  The E-step at θ' gives, for free, the mean log-likelihood ℓ(θ') and the
statistics of F(θ').  The extrapolation is accepted when ℓ(θ') >= ℓ(θ1) and θ', F(θ')
are finite; otherwise the cycle falls back to the plain EM iterate θ2 (the E-step at θ'
is then spent for nothing).  Since EM never decreases ℓ, the accepted iterates
θ0, θ1, θ', F(θ'), ... (or θ0, θ1, θ2, ...) have non-decreasing log-likelihoods.

Parametrisation.  Extrapolation runs in unconstrained coordinates, so that θ' is always
a valid state: μ/s, γ/s, the strictly lower part of L_Σ over s and the log of its
diagonal (s = |L_Σ|_F / sqrt(d) of θ0, which makes |r| and |v| scale-free), and each
subordinator parameter on the log scale when it is positive at θ0, θ1 and θ2 (every
parameter of NIG, VG and NInvG; a, b of GH), linearly when the family declares it
real-valued (``em_free_subordinator``: GH's p) or when it sits at 0 (a limit of GH).  θ' is regularised like every EM iterate.

Bookkeeping, shared with plain EM (:mod:`normix._em.loop`):

* ``n_iter`` counts E-steps (about 3 per cycle), the costly part of an iteration;
* ``log_likelihoods[i]`` is ℓ of the i-th accepted iterate and ``param_changes[i]`` the
  relative change (:mod:`normix._em.convergence`) from it to the next accepted iterate,
  the last one being the returned state (so an accelerated history has as many entries
  as accepted iterates, at most ``n_iter``);
* convergence is declared when an EM step between two accepted iterates (θ0 -> θ1,
  θ1 -> θ2, θ' -> F(θ')) changes (μ, γ, L_Σ) by at most ``tol``: ``tol`` means what it
  means for plain EM, and the fit returns the iterate after that step.  Extrapolation
  jumps are recorded in ``param_changes`` but never count as convergence.

The Python loop (:func:`run_squarem_python`, numba or JAX E-steps) and the compiled loop
(:func:`squarem_while`, one ``lax.while_loop`` whose body makes one E-step and moves a
three-phase machine) take the same decisions and reach the same iterates.
"""
import math
import time
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from normix._em.convergence import param_change_jax, param_change_numpy, state_is_finite_jax
from normix._em.loop import (
    LoopOutcome,
    converged_message,
    m_update,
    max_iter_message,
    non_finite_message,
    on_backend,
)
from normix._em.progress import Progress
from normix._em.protocol import MixtureState
from normix._em.result import EMStatus
from normix._kernels import dispatch

ACCELERATIONS = (None, "squarem")
ALPHA_MAX_START = 1.0
ALPHA_MAX_FACTOR = 4.0


def validate_accelerate(accelerate):
    """``accelerate`` if it is one of :data:`ACCELERATIONS`, else ``ValueError`` naming it."""
    if not (accelerate is None or (isinstance(accelerate, str) and accelerate in ACCELERATIONS)):
        raise ValueError(f"accelerate must be None (plain EM) or 'squarem', got {accelerate!r}")
    return accelerate


def refuse_accelerate(accelerate, fitter):
    """``ValueError`` naming ``accelerate`` unless it is ``None``: ``fitter`` (a stochastic fitter) has no acceleration."""
    if accelerate is not None:
        raise ValueError(f"accelerate must be None for {fitter}: SQUAREM extrapolates the deterministic EM map, "
                         f"not noisy stochastic updates; use BatchEMFitter(accelerate={accelerate!r})")


# ------------------------------------------------------------------ coordinates
def _positive_mask(states, free, xp):
    """Per subordinator parameter: whether it is on the log scale (not in ``free``, and > 0 in every state)."""
    return tuple(xp.all(xp.stack([xp.asarray(s.subordinator[j]) > 0 for s in states])) & (j not in free)
                 for j in range(len(states[0].subordinator)))


def to_free(state, scale, positive, xp):
    """Unconstrained coordinates of ``state`` (see the module docstring), as a :class:`MixtureState`."""
    L = state.L_Sigma
    free_L = xp.tril(L, -1) / scale + xp.diag(xp.log(xp.diagonal(L)))
    sub = tuple(xp.where(pos, xp.log(xp.where(pos, v, 1.0)), v) for v, pos in zip(state.subordinator, positive))
    return MixtureState(state.mu / scale, state.gamma / scale, free_L, sub)


def from_free(free, scale, positive, xp):
    """The state of unconstrained coordinates ``free`` (inverse of :func:`to_free`)."""
    U = free.L_Sigma
    L = xp.tril(U, -1) * scale + xp.diag(xp.exp(xp.diagonal(U)))
    sub = tuple(xp.where(pos, xp.exp(v), v) for v, pos in zip(free.subordinator, positive))
    return MixtureState(free.mu * scale, free.gamma * scale, L, sub)


def _sq_norm(tree, xp):
    return sum(xp.sum(xp.asarray(leaf) ** 2) for leaf in jax.tree_util.tree_leaves(tree))


def extrapolate(x0, x1, x2, alpha_max, free, xp):
    """``(θ', α, at_max)`` of one S3 cycle from the states x0, x1 = F(x0), x2 = F(x1).

    ``free`` holds the indices of the real-valued subordinator parameters (the family's
    ``em_free_subordinator``), extrapolated linearly.
    ``at_max`` says that α was clipped at -``alpha_max``.  The returned state is not
    regularised; its leaves may be non-finite when |v| is 0 or the coordinates overflow.
    """
    d = x0.mu.shape[-1]
    scale = xp.sqrt(xp.sum(x0.L_Sigma ** 2)) / math.sqrt(d)
    positive = _positive_mask((x0, x1, x2), free, xp)
    t0, t1, t2 = (to_free(x, scale, positive, xp) for x in (x0, x1, x2))
    r = jax.tree_util.tree_map(lambda a, b: b - a, t0, t1)
    v = jax.tree_util.tree_map(lambda a, b, c: c - 2.0 * b + a, t0, t1, t2)
    raw = -xp.sqrt(_sq_norm(r, xp) / _sq_norm(v, xp))
    alpha = xp.clip(xp.where(xp.isfinite(raw), raw, -1.0), -alpha_max, -1.0)
    new = jax.tree_util.tree_map(lambda a, dr, dv: a - 2.0 * alpha * dr + alpha ** 2 * dv, t0, r, v)
    return from_free(new, scale, positive, xp), alpha, alpha <= -alpha_max


def next_alpha_max(alpha_max, at_max, accepted, xp):
    """α_max after a cycle: grown after an accepted step at the bound, shrunk (>= 1) after a rejected one."""
    grown = xp.where(accepted, alpha_max * ALPHA_MAX_FACTOR, xp.maximum(ALPHA_MAX_START, alpha_max / ALPHA_MAX_FACTOR))
    return xp.where(at_max, grown, alpha_max)


def numpy_state(state):
    """A state with numpy arrays and float subordinator parameters."""
    return MixtureState(np.asarray(state.mu), np.asarray(state.gamma), np.asarray(state.L_Sigma),
                        tuple(float(v) for v in state.subordinator))


def _finite_numpy(state):
    return all(np.all(np.isfinite(np.asarray(leaf))) for leaf in jax.tree_util.tree_leaves(state))


# ------------------------------------------------------------------ Python loop
def run_squarem_python(family, state, X, *, max_iter, tol, verbose, regularization, e_backend, m_backend, method,
                       callback=None):
    """SQUAREM as a Python loop over kernel calls; returns ``(LoopOutcome, number of E-steps)``.

    ``callback(e_steps, model, log_likelihood)`` runs after every E-step with the latest
    accepted model and the last recorded log-likelihood; a true return value ends the loop.
    """
    X = on_backend(X, "cpu", e_backend)
    lls, changes = [], []
    n_e = 0
    status, message = EMStatus.MAX_ITER, max_iter_message(max_iter, tol)
    progress = Progress(f"{family.__name__} SQUAREM", max_iter, enabled=verbose >= 1)
    if verbose >= 2:
        print(f"{'E-step':>6} {'mean log-lik':>16} {'change':>10} {'step':>12} {'time (s)':>9}")
    start = time.perf_counter()

    def em_step(x):
        nonlocal n_e
        stats, ll = family.em_e_step(X, on_backend(x, "cpu", e_backend), e_backend)
        n_e += 1
        ll = float(ll)
        new, change = m_update(family, x, stats, ll, regularization=regularization, e_backend=e_backend,
                               m_backend=m_backend, method=method)
        return ll, new, change

    def report(kind, ll, change, current):
        progress.update(n_e, ll, change)
        if verbose >= 2:
            print(f"{n_e:>6} {ll:>16.8f} {change:>10.3e} {kind:>12} {time.perf_counter() - start:>9.3f}")
        return callback is not None and bool(callback(n_e, family.em_model(current), ll))

    x0, current, alpha_max, stopped = state, state, ALPHA_MAX_START, False

    def em_accepted(x):
        """One plain EM step from the accepted iterate ``x``, recorded: ``(next, ll, whether the loop ends)``."""
        nonlocal status, message, current, stopped
        ll, new, change = em_step(x)
        if new is None:
            status, message = EMStatus.NON_FINITE, non_finite_message(n_e)
            if math.isfinite(ll):
                lls.append(ll)
            return None, ll, True
        lls.append(ll)
        changes.append(change)
        current = new
        if change <= tol:
            status, message = EMStatus.CONVERGED, converged_message(n_e, change, tol)
        stopped = report("EM", ll, change, current)
        return new, ll, status is EMStatus.CONVERGED or stopped or n_e >= max_iter

    while n_e < max_iter:
        x1, _, end = em_accepted(x0)
        if end:
            break
        x2, ll1, end = em_accepted(x1)
        if end:
            break
        proposal, _, at_max = extrapolate(x0, x1, x2, alpha_max, family.em_free_subordinator, np)
        accepted = False
        if _finite_numpy(proposal):
            proposal = numpy_state(family.em_regularize(numpy_state(proposal), regularization, "cpu"))
        if _finite_numpy(proposal):
            llp, xf, cpf = em_step(proposal)
            accepted = xf is not None and llp >= ll1
            if accepted:
                changes[-1] = param_change_numpy(x1, proposal)
                lls.append(llp)
                changes.append(cpf)
                current = xf
                if cpf <= tol:
                    status, message = EMStatus.CONVERGED, converged_message(n_e, cpf, tol)
            stopped = report("extrapolated" if accepted else "rejected", lls[-1], changes[-1], current)
        alpha_max = float(next_alpha_max(alpha_max, bool(at_max), accepted, np))
        x0 = current
        if status is EMStatus.CONVERGED or stopped:
            break
    if stopped and status is not EMStatus.CONVERGED:
        status = EMStatus.INTERRUPTED
        message = f"stopped by the callback after E-step {n_e} (change {changes[-1]:.2e}, tol={tol:g})"
    progress.close()
    return LoopOutcome(current, np.asarray(lls), np.asarray(changes), status, message), n_e


# ------------------------------------------------------------------ compiled loop
def squarem_while(family, max_iter, regularization, method, state, X, tol):
    """SQUAREM as one traceable ``lax.while_loop``: one E-step per pass, three phases per cycle.

    Phase 0 evaluates θ0, phase 1 θ1 (and extrapolates), phase 2 θ' (accept or fall
    back).  Returns ``(lls, changes, n_acc, n_e, converged, failed, state)``: histories of
    length ``max_iter`` (NaN past ``n_acc`` entries), the number of accepted entries and of
    E-steps, and the returned state (the last accepted iterate).
    """
    nan = jnp.full(max_iter, jnp.nan)

    def cond(carry):
        return (carry["n_e"] < max_iter) & jnp.logical_not(carry["done"])

    def choose(flag, a, b):
        return jax.tree_util.tree_map(lambda u, w: jnp.where(flag, u, w), a, b)

    def body(c):
        phase, i = c["phase"], c["i"]
        stats, ll = family.em_e_step(X, c["z"], "jax")
        new = family.em_regularize(family.em_m_step(stats, c["z"], "jax", method), regularization, "jax")
        finite = state_is_finite_jax(new, ll)
        change = param_change_jax(c["z"], new)
        p0, p1, p2 = phase == 0, phase == 1, phase == 2
        accept = p2 & finite & (ll >= c["ll1"])
        ok = finite & (p0 | p1)
        # histories: phase 0/1 append (ll, change); an accepted phase 2 rewrites the pending
        # change of x1 -> x2 as x1 -> θ' and appends (ℓ(θ'), change θ' -> F(θ'))
        jump = param_change_jax(c["x1"], c["z"])
        lls = jnp.where(ok | accept, c["lls"].at[i].set(ll), c["lls"])
        changes = jnp.where(accept, c["changes"].at[i - 1].set(jump), c["changes"])
        changes = jnp.where(ok | accept, changes.at[i].set(change), changes)
        i_next = jnp.where(ok | accept, i + 1, i)
        current = choose(ok | accept, new, c["current"])
        converged = (ok | accept) & (change <= tol)
        failed = (p0 | p1) & jnp.logical_not(finite)
        lls = jnp.where(failed & jnp.isfinite(ll), lls.at[i].set(ll), lls)
        # phase 1 done: extrapolate from (x0, x1, x2 = new)
        proposal, _, at_max = extrapolate(c["x0"], c["z"], new, c["alpha_max"], family.em_free_subordinator, jnp)
        proposal = family.em_regularize(proposal, regularization, "jax")
        usable = state_is_finite_jax(proposal, jnp.asarray(0.0))
        x1 = choose(p0, new, c["x1"])
        ll1 = jnp.where(p1, ll, c["ll1"])
        to_phase2 = p1 & usable
        alpha_max = jnp.where(p2, next_alpha_max(c["alpha_max"], c["at_max"], accept, jnp), c["alpha_max"])
        alpha_max = jnp.where(p1 & jnp.logical_not(usable),
                              next_alpha_max(c["alpha_max"], at_max, False, jnp), alpha_max)
        # the next point: phase 0 -> x1; phase 1 -> θ' (or x2 when θ' is not finite); phase 2 -> F(θ') or x2
        z = choose(p0, new, choose(to_phase2, proposal, current))
        x0 = choose(p0, c["x0"], current)
        x2 = choose(p1, new, c["x2"])
        z = choose(p2 & jnp.logical_not(accept), x2, z)
        x0 = choose(p2 & jnp.logical_not(accept), x2, x0)
        current = choose(p2 & jnp.logical_not(accept), x2, current)
        next_phase = jnp.where(p0, 1, jnp.where(to_phase2, 2, 0))
        return dict(z=z, x0=x0, x1=x1, x2=x2, current=current, ll1=ll1, phase=next_phase, i=i_next,
                    n_e=c["n_e"] + 1, lls=lls, changes=changes, alpha_max=alpha_max,
                    at_max=jnp.where(p1, at_max, c["at_max"]), done=converged | failed,
                    converged=converged, failed=failed)

    init = dict(z=state, x0=state, x1=state, x2=state, current=state, ll1=jnp.asarray(-jnp.inf),
                phase=jnp.asarray(0), i=jnp.asarray(0), n_e=jnp.asarray(0), lls=nan, changes=nan,
                alpha_max=jnp.asarray(ALPHA_MAX_START), at_max=jnp.asarray(False), done=jnp.asarray(False),
                converged=jnp.asarray(False), failed=jnp.asarray(False))
    c = jax.lax.while_loop(cond, body, init)
    return c["lls"], c["changes"], c["i"], c["n_e"], c["converged"], c["failed"], c["current"]


_compiled_squarem = jax.jit(squarem_while, static_argnums=(0, 1, 2, 3))


def summarize_squarem(state, lls, changes, n_acc, n_e, converged, failed, *, max_iter, tol):
    """``(LoopOutcome, E-steps)`` of a compiled SQUAREM run: histories trimmed to the accepted iterates."""
    lls, changes = np.asarray(lls), np.asarray(changes)
    n_acc, n_e, converged, failed = int(n_acc), int(n_e), bool(converged), bool(failed)
    if converged:
        status, message = EMStatus.CONVERGED, converged_message(n_e, changes[n_acc - 1], tol)
    elif failed:
        status, message = EMStatus.NON_FINITE, non_finite_message(n_e)
    else:
        status, message = EMStatus.MAX_ITER, max_iter_message(max_iter, tol)
    kept = n_acc + (1 if failed and np.isfinite(lls[n_acc]) else 0)
    return LoopOutcome(state, lls[:kept], changes[:n_acc], status, message), n_e


def run_squarem_compiled(family, state, X, *, max_iter, tol, regularization, method):
    """SQUAREM as one compiled ``lax.while_loop`` program; returns ``(LoopOutcome, E-steps)``."""
    if not hasattr(X, "sharding"):
        X = jnp.asarray(X)
    lls, changes, n_acc, n_e, converged, failed, final = _compiled_squarem(
        family, max_iter, regularization, method, dispatch.to_backend(state, "jax"), X,
        jnp.asarray(tol, dtype=jnp.float64))
    return summarize_squarem(numpy_state(dispatch.to_backend(final, "cpu")), lls, changes, n_acc, n_e, converged,
                             failed, max_iter=max_iter, tol=tol)


@partial(jax.jit, static_argnums=(0, 1, 2, 3, 4))
def compiled_squarem_many(family, max_iter, regularization, method, shared_data, states, X, tol):
    """:func:`squarem_while` vmapped over K problems (states with a leading axis; X shared or one per problem)."""
    run = lambda state, data: squarem_while(family, max_iter, regularization, method, state, data, tol)  # noqa: E731
    return jax.vmap(run, in_axes=(0, None if shared_data else 0))(states, X)
