"""Damped Newton for the Bregman problem on numpy arrays (``backend='cpu'``).

The same iteration as the JAX solver (:mod:`normix._bregman.newton`), as a plain
Python loop so that the gradient and Hessian may be numpy or compiled-kernel
functions: H d = −g (steepest descent when that is not a finite descent
direction), a step of min(1, BREGMAN_BOUNDARY_FRACTION · t_max) inside the open
box, halved until the Armijo condition holds up to a roundoff allowance.

scipy's trust-region Newton methods decide on steps from changes of f alone and
stop once those drop below the rounding of f, which for these problems leaves
‖∇f − η‖ near 1e-9; with the roundoff allowance the iteration here runs on until
the gradient criterion itself is met.
"""
import numpy as np

from normix._kernels._constants import (
    BREGMAN_ARMIJO,
    BREGMAN_BOUNDARY_FRACTION,
    BREGMAN_MAX_HALVINGS,
    BREGMAN_ROUNDOFF,
)

from .bounds import strictly_inside


def _max_feasible_step(theta, d, lo, hi):
    with np.errstate(divide="ignore", invalid="ignore"):
        t_lo = np.where((d < 0) & np.isfinite(lo), (lo - theta) / d, np.inf)
        t_hi = np.where((d > 0) & np.isfinite(hi), (hi - theta) / d, np.inf)
    return min(np.min(t_lo), np.min(t_hi))


def newton_solve(value_and_grad, hessian, theta0, lo, hi, max_steps, target):
    """Damped Newton from ``theta0``; returns (θ, steps)."""
    theta = np.array(theta0, dtype=np.float64)
    fval, g = value_and_grad(theta)
    steps = 0
    while steps < max_steps and np.max(np.abs(g)) > target:
        try:
            d = np.linalg.solve(hessian(theta), -g)
        except np.linalg.LinAlgError:
            d = -g
        if not (np.all(np.isfinite(d)) and g @ d < 0):
            d = -g
        slope = g @ d
        t = min(1.0, BREGMAN_BOUNDARY_FRACTION * _max_feasible_step(theta, d, lo, hi))
        allowance = BREGMAN_ROUNDOFF * (1.0 + abs(fval))
        for _ in range(BREGMAN_MAX_HALVINGS + 1):
            trial = theta + t * d
            if np.all(strictly_inside(trial, lo, hi)):
                value, grad = value_and_grad(trial)
                if value <= fval + BREGMAN_ARMIJO * t * slope + allowance:
                    break
            t *= 0.5
        else:
            return theta, steps + 1
        theta, fval, g = trial, value, grad
        steps += 1
    return theta, steps
