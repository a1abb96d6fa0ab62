"""Bregman solvers on the CPU through ``scipy.optimize`` (imported on first use).

* ``lbfgs``:  L-BFGS-B with the closed box just inside ``bounds``.
* ``bfgs``:   BFGS in the unconstrained coordinates u, θ = T(u).

All work on float64 numpy arrays.  The caller supplies the objective value and
gradient in θ (numpy in, numpy out); the Hessian argument is part of the common
signature of the CPU solvers and unused by these quasi-Newton methods.
"""
import numpy as np

from .bounds import closed_box, from_unconstrained, to_unconstrained


def _scipy_bounds(lo, hi):
    lower, upper = closed_box(lo, hi)
    return [(None if np.isinf(a) else a, None if np.isinf(b) else b) for a, b in zip(lower, upper)]


def lbfgs_solve(value_and_grad, hessian, theta0, lo, hi, max_steps, target):
    """L-BFGS-B from ``theta0``; returns (θ, steps)."""
    from scipy import optimize

    result = optimize.minimize(
        value_and_grad,
        theta0,
        jac=True,
        method="L-BFGS-B",
        bounds=_scipy_bounds(lo, hi),
        options=dict(maxiter=max_steps, gtol=target, ftol=0.0, maxls=50),
    )
    return np.asarray(result.x, dtype=np.float64), int(result.nit)


def _in_u(value_and_grad, lo, hi):
    def fun(u):
        theta, d1 = from_unconstrained(u, lo, hi, np)
        value, grad = value_and_grad(theta)
        return value, grad * d1

    return fun


def bfgs_solve(value_and_grad, hessian, theta0, lo, hi, max_steps, target):
    """BFGS in u from ``theta0``; returns (θ, steps)."""
    from scipy import optimize

    result = optimize.minimize(
        _in_u(value_and_grad, lo, hi),
        to_unconstrained(theta0, lo, hi, np),
        jac=True,
        method="BFGS",
        options=dict(maxiter=max_steps, gtol=target),
    )
    theta, _ = from_unconstrained(result.x, lo, hi, np)
    return theta, int(result.nit)
