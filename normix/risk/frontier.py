"""The mean-risk efficient frontier: least-risk portfolios over a range of return targets.

The frontier runs from the least-risk portfolio (its expected return r₀) to the largest
expected return the constraints allow, r₁ = max wᵀE[X] subject to Σw = budget and the
bounds (a linear programme, scipy's HiGHS).  At n targets spread evenly over [r₀, r₁]
each point is :func:`normix.risk.optimize.optimize_portfolio` with ``target_return`` =
the target, warm-started from the previous point.  With ES or the variance (convex) the
frontier's risk increases with the target; between r₀ and r₁ the return constraint
binds, so each point's expected return equals its target.
"""
import operator
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from normix.risk.optimize import PortfolioObjective, check_problem, solve, start


@dataclass(frozen=True)
class EfficientFrontier:
    """Points of the frontier, in order of increasing target.

    Attributes
    ----------
    targets, returns, risks : ndarray
        Return targets, the expected returns and the risks of the optimal portfolios, shape (n,).
    weights : ndarray
        Their weights, shape (n, d).
    success : ndarray
        Whether each optimisation converged to a feasible point, shape (n,)
        (:class:`~normix.risk.optimize.PortfolioResult`).
    messages : tuple of str
    measure : str
    level : float
    """

    targets: np.ndarray
    returns: np.ndarray
    risks: np.ndarray
    weights: np.ndarray
    success: np.ndarray
    messages: tuple
    measure: str
    level: float


def largest_return(mean, lower, upper, budget):
    """max wᵀmean subject to Σw = budget and lower <= w <= upper (linprog, HiGHS); ValueError if unbounded."""
    result = optimize.linprog(-mean, A_eq=np.ones((1, mean.size)), b_eq=[budget],
                              bounds=list(zip(np.where(np.isfinite(lower), lower, None),
                                              np.where(np.isfinite(upper), upper, None))), method="highs")
    if result.status == 3:
        raise ValueError("the expected return is unbounded under these constraints: the frontier needs "
                         "long_only=True or finite bounds")
    if not result.success:
        raise ValueError(f"the largest expected return could not be found: {result.message}")
    return float(-result.fun), result.x


def efficient_frontier(model, n_points=20, measure="es", level=0.99, long_only=True, bounds=None, budget=1.0,
                       tol=1e-12, max_iter=500):
    """The least-risk portfolios for ``n_points`` return targets from the least-risk portfolio's return to the largest.

    Parameters
    ----------
    model, measure, level, long_only, bounds, budget, tol, max_iter
        As in :func:`normix.risk.optimize.optimize_portfolio`.
    n_points : int
        Number of targets, >= 2.

    Returns
    -------
    EfficientFrontier

    Raises
    ------
    ValueError
        As :func:`~normix.risk.optimize.optimize_portfolio`; if ``n_points`` is not an
        integer >= 2; if the expected return is unbounded (no bounds and
        ``long_only=False``) or E[X] infinite; if the least-risk portfolio itself is not found.
    """
    try:
        n_points = operator.index(n_points)
    except TypeError:
        raise ValueError(f"n_points must be an integer >= 2, got {n_points!r}") from None
    if n_points < 2:
        raise ValueError(f"n_points must be an integer >= 2, got {n_points}")
    model, level, _, lower, upper, budget = check_problem(model, measure, level, None, long_only, bounds, budget)
    objective = PortfolioObjective(model, measure, level)
    if not np.isfinite(objective.mean).all():
        raise ValueError("model has an infinite mean E[X] (E[Y] = inf: an InverseGamma subordinator with p >= -1), "
                         "so the frontier's returns are not defined")
    first = solve(objective, lower, upper, budget, None, start(lower, upper, budget), tol, max_iter)
    if not first.success:
        raise ValueError(f"the least-risk portfolio was not found: {first.message}")
    top, _ = largest_return(objective.mean, lower, upper, budget)
    targets = np.linspace(first.expected_return, max(top, first.expected_return), n_points)
    points = [first]
    for target in targets[1:]:
        points.append(solve(objective, lower, upper, budget, float(target), points[-1].weights, tol, max_iter))
    return EfficientFrontier(targets=targets, returns=np.array([p.expected_return for p in points]),
                             risks=np.array([p.risk for p in points]), weights=np.stack([p.weights for p in points]),
                             success=np.array([p.success for p in points]), messages=tuple(p.message for p in points),
                             measure=measure, level=level)
