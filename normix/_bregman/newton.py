"""Damped Newton for the Bregman problem in JAX: min_θ f(θ) − θ·η.

The iteration runs in θ itself inside ``lax.while_loop`` (jit-able, vmappable).
Each step solves H d = −g with H = ∇²f(θ) (positive definite for a log-partition)
and falls back to steepest descent when the Newton direction is not a finite
descent direction.  The step length starts at min(1, BREGMAN_BOUNDARY_FRACTION ·
t_max), t_max the largest step that stays in the open box of ``bounds``, and is
halved until it gives an Armijo decrease (up to a roundoff allowance) with a
finite objective.  Iterates therefore stay strictly feasible without any
reparameterisation, and the Newton step keeps its quadratic convergence.

Derivatives of the solution with respect to η (and to anything ``f`` closes
over) come from the implicit function theorem through ``lax.custom_root``:
dθ* = H(θ*)⁻¹ dη, so ``jax.grad`` through the solve costs one linear solve.
"""
import jax
import jax.numpy as jnp
from jax import lax

from normix._kernels._constants import (
    BREGMAN_ARMIJO,
    BREGMAN_BOUNDARY_FRACTION,
    BREGMAN_MAX_HALVINGS,
    BREGMAN_ROUNDOFF,
)

from .bounds import strictly_inside


def _max_feasible_step(theta, d, lo, hi):
    """Largest t with lo < θ + t d < hi (inf when no bound is approached)."""
    toward_lo = (d < 0) & jnp.isfinite(lo)
    toward_hi = (d > 0) & jnp.isfinite(hi)
    d_safe = jnp.where(toward_lo | toward_hi, d, 1.0)
    t_lo = jnp.where(toward_lo, (jnp.where(toward_lo, lo, 0.0) - theta) / d_safe, jnp.inf)
    t_hi = jnp.where(toward_hi, (jnp.where(toward_hi, hi, 0.0) - theta) / d_safe, jnp.inf)
    return jnp.minimum(jnp.min(t_lo), jnp.min(t_hi))


def newton_solve(objective, gradient, hessian, theta0, lo, hi, max_steps, target):
    """Run the damped Newton iteration from ``theta0``; return (θ, f, ‖g‖∞, steps).

    ``objective``, ``gradient`` and ``hessian`` are the Bregman objective and its
    derivatives (η already subtracted), ``target`` the gradient tolerance.
    """
    lo = jnp.asarray(lo)
    hi = jnp.asarray(hi)

    def feasible_value(theta):
        value = objective(theta)
        ok = jnp.all(strictly_inside(theta, lo, hi)) & jnp.isfinite(value)
        return jnp.where(ok, value, jnp.inf)

    def line_search(theta, fval, g, d):
        slope = jnp.dot(g, d)
        t_max = _max_feasible_step(theta, d, lo, hi)
        t0 = jnp.minimum(1.0, BREGMAN_BOUNDARY_FRACTION * t_max)
        allowance = BREGMAN_ROUNDOFF * (1.0 + jnp.abs(fval))

        def accept(t, value):
            return value <= fval + BREGMAN_ARMIJO * t * slope + allowance

        def cond(state):
            j, t, value = state
            return (j < BREGMAN_MAX_HALVINGS) & ~accept(t, value)

        def body(state):
            j, t, _ = state
            t = 0.5 * t
            return j + 1, t, feasible_value(theta + t * d)

        _, t, value = lax.while_loop(cond, body, (0, t0, feasible_value(theta + t0 * d)))
        return t, value, accept(t, value)

    def cond(state):
        k, _, _, g, stalled = state
        return (k < max_steps) & (jnp.max(jnp.abs(g)) > target) & ~stalled

    def body(state):
        k, theta, fval, g, _ = state
        d = jnp.linalg.solve(hessian(theta), -g)
        descent = jnp.all(jnp.isfinite(d)) & (jnp.dot(g, d) < 0)
        d = jnp.where(descent, d, -g)
        t, value, ok = line_search(theta, fval, g, d)
        new_theta = jnp.where(ok, theta + t * d, theta)
        new_f = jnp.where(ok, value, fval)
        new_g = jnp.where(ok, gradient(new_theta), g)
        return k + 1, new_theta, new_f, new_g, ~ok

    theta0 = jnp.asarray(theta0, dtype=jnp.float64)
    init = (0, theta0, objective(theta0), gradient(theta0), jnp.array(False))
    steps, theta, fval, g, _ = lax.while_loop(cond, body, init)
    return theta, fval, jnp.max(jnp.abs(g)), steps


def newton_root(objective, gradient, hessian, theta0, lo, hi, max_steps, target):
    """:func:`newton_solve` wrapped in ``lax.custom_root`` for implicit differentiation.

    Returns (θ, f, ‖g‖∞, steps) like :func:`newton_solve`; only θ carries derivatives.
    """

    def solve(_, start):
        theta, fval, gnorm, steps = newton_solve(objective, gradient, hessian, start, lo, hi, max_steps, target)
        return theta, (fval, gnorm, steps.astype(jnp.float64))

    def tangent_solve(linearised, rhs):
        return jnp.linalg.solve(jax.jacobian(linearised)(rhs), rhs)

    theta, (fval, gnorm, steps) = lax.custom_root(gradient, theta0, solve, tangent_solve, has_aux=True)
    return theta, lax.stop_gradient(fval), lax.stop_gradient(gnorm), lax.stop_gradient(steps).astype(jnp.int32)
