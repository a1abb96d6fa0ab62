"""Quasi-Newton Bregman solvers in JAX, through jaxopt (imported on first use).

* ``lbfgs``: ``jaxopt.LBFGSB`` on the closed box just inside ``bounds`` (see
  :func:`normix._bregman.bounds.closed_box`), or ``jaxopt.LBFGS`` without bounds.
* ``bfgs``:  ``jaxopt.BFGS`` in the unconstrained coordinates u, θ = T(u)
  (:mod:`normix._bregman.bounds`).

η is passed to jaxopt as an argument of the objective, so jaxopt's implicit
differentiation gives derivatives of the solution with respect to η.  jaxopt's
own tolerance is on the Euclidean gradient norm; the caller re-evaluates the
convergence criterion at the returned point.

The line search is jaxopt's zoom search (strong Wolfe conditions): the curvature
condition keeps the quasi-Newton updates positive definite down to the rounding
level of f, where the backtracking (Armijo) search compiles faster but lets BFGS
break down into NaN.  Should jaxopt still return a non-finite point, the start is
returned instead (and the caller reports ``converged=False`` there).
"""
import warnings

import jax
import jax.numpy as jnp

from .bounds import closed_box, from_unconstrained, is_unbounded, to_unconstrained

LINESEARCH = "zoom"


def _jaxopt():
    """The jaxopt module, imported on first use without its deprecation notice (the solvers used are stable)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning, module="jaxopt")
        import jaxopt
    return jaxopt


def _finite_or_start(theta, theta0):
    return jnp.where(jnp.all(jnp.isfinite(theta)), theta, theta0)


def _scale(eta):
    return jax.lax.stop_gradient(jnp.maximum(1.0, jnp.max(jnp.abs(eta))))


def _value_and_grad(objective, gradient):
    """Objective and gradient divided by max(1, ‖η‖∞), so that jaxopt's absolute ``tol`` is relative to η."""

    def fun(theta, eta):
        scale = _scale(eta)
        return objective(theta, eta) / scale, gradient(theta, eta) / scale

    return fun


def lbfgs_solve(objective, gradient, eta, theta0, lo, hi, max_steps, tol):
    """L-BFGS(-B) from ``theta0``; returns (θ, steps)."""
    jaxopt = _jaxopt()

    fun = _value_and_grad(objective, gradient)
    options = dict(fun=fun, value_and_grad=True, maxiter=max_steps, tol=tol, linesearch=LINESEARCH)
    if is_unbounded(lo, hi):
        result = jaxopt.LBFGS(**options).run(theta0, eta)
    else:
        lower, upper = closed_box(lo, hi)
        result = jaxopt.LBFGSB(**options).run(theta0, (jnp.asarray(lower), jnp.asarray(upper)), eta)
    return _finite_or_start(result.params, theta0), result.state.iter_num


def bfgs_solve(objective, gradient, eta, theta0, lo, hi, max_steps, tol):
    """BFGS in the unconstrained coordinates u; returns (θ, steps)."""
    jaxopt = _jaxopt()

    scaled = _value_and_grad(objective, gradient)

    def fun(u, eta):
        theta, d1 = from_unconstrained(u, lo, hi, jnp)
        value, grad = scaled(theta, eta)
        return value, grad * d1

    solver = jaxopt.BFGS(fun=fun, value_and_grad=True, maxiter=max_steps, tol=tol, linesearch=LINESEARCH)
    result = solver.run(to_unconstrained(theta0, lo, hi, jnp), eta)
    theta, _ = from_unconstrained(result.params, lo, hi, jnp)
    return _finite_or_start(theta, theta0), result.state.iter_num
