"""Bregman solvers on the CPU through ``scipy.optimize`` (imported on first use).

* ``lbfgs``:  L-BFGS-B with the closed box just inside ``bounds``.
* ``bfgs``:   BFGS in the unconstrained coordinates u, θ = T(u).
* ``newton``: trust-exact in u with the exact Hessian, by the chain rule
  ∇²_u = diag(T') H diag(T') + diag((∇f − η) ⊙ T'').

All work on float64 numpy arrays.  The caller supplies the objective value and
gradient in θ (numpy in, numpy out) and, for Newton, the Hessian.
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
        theta, d1, _ = from_unconstrained(u, lo, hi, np)
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
    theta, _, _ = from_unconstrained(result.x, lo, hi, np)
    return theta, int(result.nit)


def newton_solve(value_and_grad, hessian, theta0, lo, hi, max_steps, target):
    """trust-exact in u from ``theta0`` with the chain-rule Hessian; returns (θ, steps)."""
    from scipy import optimize

    def hess_u(u):
        theta, d1, d2 = from_unconstrained(u, lo, hi, np)
        _, grad = value_and_grad(theta)
        return d1[:, None] * hessian(theta) * d1[None, :] + np.diag(grad * d2)

    result = optimize.minimize(
        _in_u(value_and_grad, lo, hi),
        to_unconstrained(theta0, lo, hi, np),
        jac=True,
        hess=hess_u,
        method="trust-exact",
        options=dict(maxiter=max_steps, gtol=target),
    )
    theta, _, _ = from_unconstrained(result.x, lo, hi, np)
    return theta, int(result.nit)
