"""``solve_bregman`` and ``solve_bregman_multistart``: minimise f(θ) − θ·η.

The implementation is chosen from a table keyed by ``(backend, method)``:

==========  ==========  ==================================================
backend     method      implementation
==========  ==========  ==================================================
``'jax'``   ``newton``  damped Newton in ``lax.while_loop``, feasible line
                        search in θ, implicit derivatives (custom_root)
``'jax'``   ``lbfgs``   ``jaxopt.LBFGSB`` (bounds) or ``jaxopt.LBFGS``
``'jax'``   ``bfgs``    ``jaxopt.BFGS`` in reparameterised coordinates
``'cpu'``   ``lbfgs``   ``scipy.optimize`` L-BFGS-B
``'cpu'``   ``bfgs``    ``scipy.optimize`` BFGS, reparameterised
``'cpu'``   ``newton``  the damped Newton of the JAX entry, on numpy
                        arrays (scipy's trust-region Newton methods stop
                        at the rounding level of f, near ‖g‖ ~ 1e-9)
==========  ==========  ==================================================

Convergence is judged the same way for every entry, at the returned point:
‖∇f(θ) − η‖∞ <= tol · max(1, ‖η‖∞) (relative to η so that the criterion stays
attainable in floating point when η is large).  The scipy quasi-Newton methods
stop when f no longer decreases measurably, typically at ‖∇f(θ) − η‖∞ of
1e-10 to 1e-8; they then report ``converged=False`` for the default tol=1e-10.
``tol = 0`` never stops early on the tolerance.  Every entry builds its result with
:meth:`BregmanResult.from_final_point`, which sets ``converged`` and ``status``
together from the final point.
"""
import dataclasses
import functools
import time
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

from normix._kernels.dispatch import validate_backend
from normix._validation import check_vector, is_traced, require

from .bounds import box, strictly_inside
from .newton import newton_root
from .numpy_newton import newton_solve as numpy_newton_solve
from .quasi_newton import bfgs_solve as jax_bfgs_solve
from .quasi_newton import lbfgs_solve as jax_lbfgs_solve
from .result import BregmanResult
from .scipy_solvers import bfgs_solve as scipy_bfgs_solve
from .scipy_solvers import lbfgs_solve as scipy_lbfgs_solve

METHODS = ("lbfgs", "bfgs", "newton")


@dataclasses.dataclass(frozen=True)
class _Problem:
    f: Callable
    eta: Any
    theta0: Any
    lo: np.ndarray
    hi: np.ndarray
    max_steps: int
    tol: float
    grad_fn: Callable | None
    hess_fn: Callable | None

    @property
    def target(self):
        """Gradient tolerance tol · max(1, ‖η‖∞) (not differentiated)."""
        return self.tol * jax.lax.stop_gradient(gradient_scale(self.eta))


def gradient_scale(eta):
    """max(1, ‖η‖∞): the scale of the convergence criterion."""
    return jnp.maximum(1.0, jnp.max(jnp.abs(eta)))


def _jax_newton(p):
    eta = jnp.asarray(p.eta)

    def objective(theta):
        return p.f(theta) - jnp.dot(theta, eta)

    gradient = jax.grad(objective) if p.grad_fn is None else (lambda theta: p.grad_fn(theta) - eta)
    hessian = jax.hessian(objective) if p.hess_fn is None else p.hess_fn
    theta, fval, gnorm, steps = newton_root(
        objective, gradient, hessian, jnp.asarray(p.theta0), p.lo, p.hi, p.max_steps, p.target
    )
    return BregmanResult.from_final_point(theta, fval, gnorm, steps, p.target, p.max_steps, jnp)


def _jax_quasi_newton(run):
    def solve(p):
        def objective(theta, eta):
            return p.f(theta) - jnp.dot(theta, eta)

        if p.grad_fn is None:
            gradient = jax.grad(objective)
        else:
            def gradient(theta, eta):
                return p.grad_fn(theta) - eta

        eta = jnp.asarray(p.eta)
        theta, steps = run(objective, gradient, eta, jnp.asarray(p.theta0), p.lo, p.hi, p.max_steps, p.tol)
        gnorm = jnp.max(jnp.abs(gradient(theta, eta)))
        return BregmanResult.from_final_point(theta, objective(theta, eta), gnorm, steps, p.target, p.max_steps, jnp)

    return solve


@functools.lru_cache(maxsize=64)
def _compiled_value_and_grad(f):
    return jax.jit(jax.value_and_grad(f))


@functools.lru_cache(maxsize=64)
def _compiled_hessian(f):
    return jax.jit(jax.hessian(f))


def _cpu_value_and_grad(f, grad_fn, eta):
    if grad_fn is None:
        compiled = _compiled_value_and_grad(f)

        def psi_and_grad(theta):
            value, grad = compiled(theta)
            return float(value), np.asarray(grad, dtype=np.float64)
    else:
        def psi_and_grad(theta):
            return float(f(theta)), np.asarray(grad_fn(theta), dtype=np.float64)

    def value_and_grad(theta):
        value, grad = psi_and_grad(theta)
        value = value - float(theta @ eta)
        return (value if np.isfinite(value) else np.inf), grad - eta

    return value_and_grad


def _cpu(run):
    def solve(p):
        eta = np.asarray(p.eta, dtype=np.float64)
        value_and_grad = _cpu_value_and_grad(p.f, p.grad_fn, eta)
        hess = _compiled_hessian(p.f) if p.hess_fn is None else p.hess_fn

        def hessian(theta):
            return np.asarray(hess(theta), dtype=np.float64)

        theta0 = np.asarray(p.theta0, dtype=np.float64)
        target = float(p.target)
        theta, steps = run(value_and_grad, hessian, theta0, p.lo, p.hi, p.max_steps, target)
        fval, grad = value_and_grad(theta)
        gnorm = float(np.max(np.abs(grad)))
        return BregmanResult.from_final_point(theta, fval, gnorm, steps, target, p.max_steps, np)

    return solve


def _print_summary(text, result):
    print(text.format(result.num_steps, result.grad_norm, result.converged))


def _debug_print_summary(text, result):
    jax.debug.print(text.replace("{:.3e}", "{}"), result.num_steps, result.grad_norm, result.converged)


@dataclasses.dataclass(frozen=True)
class _Implementation:
    """One table entry: the solver, the array module of its results, how it runs many starts, how it reports."""

    solve: Callable
    xp: Any
    vectorised: bool
    report: Callable
    compiled: bool


_SOLVERS = {
    ("jax", "newton"): _Implementation(_jax_newton, jnp, True, _debug_print_summary, True),
    ("jax", "lbfgs"): _Implementation(_jax_quasi_newton(jax_lbfgs_solve), jnp, False,
                                      _debug_print_summary, True),
    ("jax", "bfgs"): _Implementation(_jax_quasi_newton(jax_bfgs_solve), jnp, False,
                                     _debug_print_summary, True),
    ("cpu", "lbfgs"): _Implementation(_cpu(scipy_lbfgs_solve), np, False, _print_summary, False),
    ("cpu", "bfgs"): _Implementation(_cpu(scipy_bfgs_solve), np, False, _print_summary, False),
    ("cpu", "newton"): _Implementation(_cpu(numpy_newton_solve), np, False, _print_summary, False),
}


def _select(backend, method):
    """The table entry of (backend, method), after checking both names."""
    validate_backend(backend)
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS!r}, got {method!r}")
    return _SOLVERS[backend, method]


def check_tolerance(tol, name="tol"):
    """``float(tol)`` for a real number ``tol >= 0`` (finite); otherwise ``ValueError`` naming ``name``.

    ``tol = 0`` is allowed: no early stop on the tolerance, the solver runs until its
    budget is used up or it can make no further progress, and reports convergence
    only for an exactly zero criterion.
    """
    number = isinstance(tol, (int, float, np.integer, np.floating)) and not isinstance(tol, (bool, np.bool_))
    if not (number and np.isfinite(tol) and tol >= 0):
        raise ValueError(f"{name} must be a finite number >= 0, got {tol!r}")
    return float(tol)


def _problem(f, eta, theta0, bounds, max_steps, tol, grad_fn, hess_fn):
    if isinstance(max_steps, bool) or not isinstance(max_steps, (int, np.integer)) or max_steps < 1:
        raise ValueError(f"max_steps must be a positive integer, got {max_steps!r}")
    tol = check_tolerance(tol)
    eta = check_vector(eta, "eta")
    theta0 = check_vector(theta0, "theta0", size=eta.shape[0])
    lo, hi = box(bounds, eta.shape[0])
    theta0 = require(theta0, lambda a: strictly_inside(a, lo, hi), "theta0", "lie strictly inside bounds")
    return _Problem(f, eta, theta0, lo, hi, int(max_steps), tol, grad_fn, hess_fn)


def _report(implementation, result, backend, method, verbose):
    if verbose >= 1:
        text = f"solve_bregman[{backend}/{method}]: {{}} steps, |grad - eta|_inf = {{:.3e}}, converged = {{}}"
        implementation.report(text, result)


@functools.partial(jax.jit, static_argnames=("solve", "f", "grad_fn", "hess_fn", "lo", "hi", "max_steps", "tol"))
def _compiled_solve(solve, f, grad_fn, hess_fn, lo, hi, max_steps, tol, eta, theta0):
    return solve(_Problem(f, eta, theta0, np.array(lo), np.array(hi), max_steps, tol, grad_fn, hess_fn))


def _run(implementation, p):
    """Run one solve; JAX solvers go through one jit cached on (solver, f, grad_fn, hess_fn, box, budget).

    The cache needs ``f``, ``grad_fn`` and ``hess_fn`` to be the same objects from call
    to call (module functions, classmethods); fresh closures compile each time.
    """
    if not implementation.compiled:
        return implementation.solve(p)
    return _compiled_solve(implementation.solve, p.f, p.grad_fn, p.hess_fn, tuple(p.lo), tuple(p.hi), p.max_steps,
                           p.tol, p.eta, p.theta0)


def _timed(implementation, problem):
    traced = is_traced(problem.eta, problem.theta0)
    start = time.perf_counter()
    result = _run(implementation, problem)
    if traced:
        return result
    jax.block_until_ready(result.theta)
    return dataclasses.replace(result.with_concrete_status(), elapsed_time=time.perf_counter() - start)


def solve_bregman(f, eta, theta0, *, backend="jax", method="lbfgs", bounds=None, max_steps=500, tol=1e-10,
                  grad_fn=None, hess_fn=None, verbose=0):
    """Minimise f(θ) − θ·η over θ, i.e. solve ∇f(θ) = η for a convex f.

    Parameters
    ----------
    f : callable
        Convex function θ → scalar (e.g. a log-partition ψ).  JAX-traceable for
        ``backend='jax'``; for ``backend='cpu'`` it is called on numpy arrays.
    eta : array, shape (k,)
        Target gradient (e.g. expectation parameters η).
    theta0 : array, shape (k,)
        Starting point, strictly inside ``bounds``.
    backend : {'jax', 'cpu'}
        ``'jax'``: jit-able and vmappable.  ``'cpu'``: scipy on numpy arrays (not jit-able).
    method : {'lbfgs', 'bfgs', 'newton'}
        See the module table.
    bounds : sequence of (lo, hi), optional
        Open box lo < θ < hi per coordinate (``None`` on a side: unbounded).
    max_steps : int
        Iteration budget.
    tol : float
        Convergence when ‖∇f(θ) − η‖∞ <= tol · max(1, ‖η‖∞); finite and >= 0
        (``tol = 0``: no early stop on the tolerance, see :func:`check_tolerance`).
    grad_fn : callable, optional
        θ → ∇f(θ) in θ-space (numpy in and out for ``'cpu'``, JAX-traceable for
        ``'jax'``).  Default: ``jax.grad(f)`` (compiled once per ``f`` on ``'cpu'``).
    hess_fn : callable, optional
        θ → ∇²f(θ), used by ``method='newton'``.  Default: ``jax.hessian`` of f.
    verbose : int
        ``>= 1`` prints one summary line.

    Returns
    -------
    BregmanResult
        With an honest ``converged`` flag: the criterion is re-evaluated at the
        returned θ, and ``status`` (a :class:`~normix._bregman.result.BregmanStatus`)
        says how the solve ended.  ``theta`` is numpy for ``'cpu'``, a JAX array for
        ``'jax'``.

    Notes
    -----
    Reparameterisations are handled inside: ``grad_fn`` and ``hess_fn`` always
    work in θ.  Derivatives of the returned θ with respect to η are implicit
    (``jax.grad`` works through the ``'jax'`` methods).
    """
    implementation = _select(backend, method)
    problem = _problem(f, eta, theta0, bounds, max_steps, tol, grad_fn, hess_fn)
    result = _timed(implementation, problem)
    _report(implementation, result, backend, method, verbose)
    return result


def _best_index(fun, converged, xp):
    """Index of the lowest objective among converged starts (among finite ones if none converged)."""
    finite = xp.where(xp.isfinite(fun), fun, xp.inf)
    among_converged = xp.where(converged, finite, xp.inf)
    return xp.where(xp.any(converged), xp.argmin(among_converged), xp.argmin(finite))


def solve_bregman_multistart(f, eta, theta0_batch, *, backend="jax", method="lbfgs", bounds=None, max_steps=500,
                             tol=1e-10, grad_fn=None, hess_fn=None, verbose=0):
    """Run :func:`solve_bregman` from every row of ``theta0_batch`` and return the best result.

    The best is the converged start with the lowest objective (the lowest finite
    objective when none converged; its ``converged`` is then False).  Starts run
    under ``jax.vmap`` for ``('jax', 'newton')`` and one after another otherwise.
    ``num_steps`` and ``elapsed_time`` of the result are totals over all starts;
    ``converged`` and ``status`` are those of the chosen start.
    The other parameters are those of :func:`solve_bregman`.

    Parameters
    ----------
    theta0_batch : array, shape (m, k)
        Starting points, one per row.
    """
    implementation = _select(backend, method)
    batch_shape = tuple(np.shape(theta0_batch))
    if len(batch_shape) != 2 or batch_shape[0] < 1:
        raise ValueError(f"theta0_batch must have shape (m, k) with m >= 1, got shape {batch_shape}")
    problems = [_problem(f, eta, start, bounds, max_steps, tol, grad_fn, hess_fn) for start in theta0_batch]
    xp = implementation.xp
    start = time.perf_counter()
    if implementation.vectorised:
        starts = jnp.stack([p.theta0 for p in problems])
        results = jax.vmap(lambda s: _run(implementation, dataclasses.replace(problems[0], theta0=s)))(starts)
    else:
        results = [_run(implementation, p) for p in problems]
        results = jax.tree_util.tree_map(lambda *leaves: xp.stack([xp.asarray(v) for v in leaves]), *results)
    best = _best_index(results.fun, results.converged, xp)
    chosen = jax.tree_util.tree_map(lambda leaf: leaf[best], results)
    result = dataclasses.replace(chosen, num_steps=results.num_steps.sum())
    if not is_traced(problems[0].eta, problems[0].theta0):
        result = dataclasses.replace(result.with_concrete_status(), elapsed_time=time.perf_counter() - start)
    _report(implementation, result, backend, method, verbose)
    return result
