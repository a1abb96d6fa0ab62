"""Optimal portfolios under a fitted mixture: minimum ES, VaR or variance, with an optional return target.

    minimise ρ(w)   subject to   Σᵢ wᵢ = budget,   wᵀE[X] >= target_return (if given),
                                 lowerᵢ <= wᵢ <= upperᵢ (long_only: lowerᵢ >= 0),

where ρ is the expected shortfall or the value at risk of the loss -wᵀX at ``level``
(:mod:`normix.risk.measures`, with their exact gradients -E[X | L >= VaR] and
-E[X | L = VaR]), or the variance wᵀCov[X]w (Cov[X] = E[Y]Σ + Var[Y]γγᵀ).  E[X] = μ + γE[Y].

ES is convex in w (it is a coherent risk measure: subadditive and positively homogeneous;
Acerbi and Tasche 2002), so with linear constraints every local minimum is global; the
variance is a convex quadratic.  VaR is not convex in general: the solver then returns
a local minimum from the equal-weight start.

Solver: scipy's SLSQP (sequential least squares programming, Kraft 1988) with the exact
gradient, on the objective divided by its value at the start (so that its tolerance is
relative), with BLAS limited to one thread while it runs (threadpoolctl).  SLSQP suits smooth objectives with a few linear constraints and box bounds at
these sizes (d up to a few hundred); it needs no Hessian.  The result's ``success`` is
True only when SLSQP reports convergence and the returned weights satisfy the budget,
the bounds and the return target to 1e-9 (relative) and have a finite risk; otherwise
``message`` says what failed.

References: C. Acerbi, D. Tasche (2002), On the coherence of expected shortfall, J.
Banking & Finance 26; D. Kraft (1988), A software package for sequential quadratic
programming, DFVLR-FB 88-28.
"""
from dataclasses import dataclass

import numpy as np
from scipy import optimize
from threadpoolctl import threadpool_limits

from normix._kernels import dispatch
from normix._validation import as_real_array
from normix.risk.checks import check_flag, check_levels, check_measure, check_model
from normix.risk.measures import program

OPTIMIZE_MEASURES = ("es", "var", "variance")
FEASIBILITY_RTOL = 1e-9
"""Relative slack allowed in the budget, the bounds and the return target before ``success`` is denied."""


@dataclass(frozen=True)
class PortfolioResult:
    """An optimal portfolio and how the solver got there.

    Attributes
    ----------
    weights : ndarray
        The optimal weights, shape (d,).
    risk : float
        ρ(weights): ES or VaR of the loss at ``level``, or the variance of the return.
    expected_return : float
        weightsᵀE[X].
    success : bool
        True only if the solver converged and the weights are feasible (module docstring).
    status : int
        SLSQP's exit mode (0: converged), or -1 when it claimed convergence at weights
        that break a constraint or have an infinite risk.
    message : str
    n_iter : int
        SLSQP iterations.
    measure : str
    level : float
    """

    weights: np.ndarray
    risk: float
    expected_return: float
    success: bool
    status: int
    message: str
    n_iter: int
    measure: str
    level: float


class PortfolioObjective:
    """ρ(w) and ∇ρ(w) of one model, measure and level, for concrete weights (numpy in and out).

    The model's parameters are read once, with E[X] = μ + γE[Y] and Cov[X] = E[Y]Σ + Var[Y]γγᵀ
    from the GIG kernels (``gig_moments``, ``gig_fisher``); each call evaluates one portfolio
    with the numba kernels (``measure`` 'es' or 'var') or the covariance ('variance').
    """

    def __init__(self, model, measure, level):
        joint = model.joint
        self.measure = measure
        self.levels = np.array([level], dtype=np.float64)
        self.params = tuple(np.asarray(x, dtype=np.float64)
                            for x in (joint.mu, joint.gamma, joint.L_Sigma, *joint.gig_params()))
        mu, gamma, L_Sigma, p, a, b = self.params
        kernels = dispatch.kernels("cpu")
        mean_y = float(kernels.gig_moments(p, a, b)[2])
        self.mean_y = mean_y
        self.mean = mu + np.where(gamma == 0.0, 0.0, gamma * mean_y)
        self.cov = None
        if measure == "variance":
            var_y = float(kernels.gig_fisher(p, a, b)[..., 2, 2])
            outer = np.outer(gamma, gamma)
            self.cov = mean_y * (L_Sigma @ L_Sigma.T) + np.where(outer == 0.0, 0.0, var_y * outer)

    def expected_return(self, w):
        """wᵀE[X] = wᵀμ + (wᵀγ) E[Y], with 0·∞ = 0 (±inf where E[Y] = ∞ and wᵀγ ≠ 0)."""
        tilt = float(self.params[1] @ w)
        return float(self.params[0] @ w) + (0.0 if tilt == 0.0 else tilt * self.mean_y)

    def __call__(self, w):
        """(ρ(w), ∇ρ(w)) for w of shape (d,); the Euler identity gives VaR = wᵀ∇VaR."""
        if self.measure == "variance":
            cw = self.cov @ w
            return float(w @ cw), 2.0 * cw
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if self.measure == "es":
                value, gradient = program("cpu", "es_gradient")(w[None, :], self.levels, *self.params)
                return float(value[0, 0]), gradient[0, 0]
            gradient = program("cpu", "var_gradient")(w[None, :], self.levels, *self.params)[0, 0]
        return float(w @ gradient), gradient


def check_bounds(bounds, long_only, d, budget):
    """(lower, upper) arrays of shape (d,) from ``bounds`` (None, one (lo, hi) pair, or d pairs) and ``long_only``."""
    if bounds is None:
        lower, upper = np.full(d, -np.inf), np.full(d, np.inf)
    else:
        box = as_real_array(bounds, "bounds")
        if box.shape not in ((2,), (d, 2)):
            raise ValueError(f"bounds must be one (lower, upper) pair or {d} of them (shape (2,) or ({d}, 2)), "
                             f"got shape {box.shape}")
        box = np.broadcast_to(box, (d, 2))
        lower, upper = box[:, 0].copy(), box[:, 1].copy()
        if np.isnan(box).any() or not (lower <= upper).all():
            raise ValueError("bounds must have lower <= upper in every pair (inf allowed, NaN not)")
    if long_only:
        lower = np.maximum(lower, 0.0)
        if not (lower <= upper).all():
            raise ValueError("bounds must allow w >= 0 in every column when long_only=True")
    if lower.sum() > budget or upper.sum() < budget:
        raise ValueError(f"budget {budget} is outside what the bounds allow: sum of lower bounds {lower.sum()}, "
                         f"of upper bounds {upper.sum()}")
    return lower, upper


def check_scalar(value, name, optional=False):
    """A finite Python float from ``value`` (None passes when ``optional``)."""
    if value is None and optional:
        return None
    array = as_real_array(value, name)
    if array.shape != () or not np.isfinite(array):
        raise ValueError(f"{name} must be a finite scalar, got {value!r}")
    return float(array)


def check_problem(model, measure, level, target_return, long_only, bounds, budget):
    """The checked arguments of :func:`optimize_portfolio`, with (lower, upper) for the bounds."""
    model = check_model(model)
    check_measure(measure, OPTIMIZE_MEASURES)
    if np.ndim(level) != 0:
        raise ValueError(f"level must be one probability in (0, 1), got shape {np.shape(level)}")
    level = check_levels(level)
    budget = check_scalar(budget, "budget")
    if budget == 0.0:
        raise ValueError("budget must be nonzero (risk is positively homogeneous: a zero budget is unbounded)")
    lower, upper = check_bounds(bounds, check_flag(long_only, "long_only"), model.joint.d, budget)
    return model, float(level[0]), check_scalar(target_return, "target_return", optional=True), lower, upper, budget


def start(lower, upper, budget):
    """Equal weights budget/d, moved into the bounds and rescaled to the budget where the bounds allow."""
    d = lower.size
    x = np.clip(np.full(d, budget / d), lower, upper)
    free = (x > lower) & (x < upper)
    if free.any():
        x[free] += (budget - x.sum()) / free.sum()
    return np.clip(x, lower, upper)


def solve(objective, lower, upper, budget, target_return, x0, tol, max_iter):
    """SLSQP on the scaled objective; returns a :class:`PortfolioResult`."""
    scale = abs(objective(x0)[0])
    scale = scale if np.isfinite(scale) and scale > 0 else 1.0
    memo = {}

    def evaluate(w):
        key = w.tobytes()
        if key not in memo:
            memo.clear()
            value, gradient = objective(w)
            memo[key] = (value / scale, gradient / scale)
        return memo[key]

    constraints = [{"type": "eq", "fun": lambda w: w.sum() - budget, "jac": lambda w: np.ones_like(w)}]
    if target_return is not None:
        constraints.append({"type": "ineq", "fun": lambda w: objective.expected_return(w) - target_return,
                            "jac": lambda w: objective.mean})
    box = list(zip(np.where(np.isfinite(lower), lower, None), np.where(np.isfinite(upper), upper, None)))
    # SLSQP's dense algebra is O(d²)-O(d³) on d <= a few hundred: one BLAS thread, or threaded
    # OpenBLAS spins against the numba kernels (a hundredfold slower on a busy machine).
    with np.errstate(invalid="ignore"), threadpool_limits(1, user_api="blas"):
        result = optimize.minimize(lambda w: evaluate(w)[0], x0, jac=lambda w: evaluate(w)[1], method="SLSQP",
                                   bounds=box, constraints=constraints,
                                   options={"ftol": tol, "maxiter": max_iter})
    w = result.x
    risk = objective(w)[0]
    expected = objective.expected_return(w)
    problems = feasibility_problems(w, risk, expected, lower, upper, budget, target_return)
    success = bool(result.success) and not problems
    status = int(result.status) if not (result.success and problems) else -1
    message = str(result.message) + ("" if not problems else "; but " + "; ".join(problems))
    return PortfolioResult(weights=w, risk=risk, expected_return=expected, success=success, status=status,
                           message=message, n_iter=int(result.nit), measure=objective.measure,
                           level=float(objective.levels[0]))


def feasibility_problems(w, risk, expected, lower, upper, budget, target_return):
    """Descriptions of the constraints ``w`` breaks by more than FEASIBILITY_RTOL (empty when feasible)."""
    size = max(1.0, abs(budget), float(np.abs(w).max()))
    problems = []
    if abs(w.sum() - budget) > FEASIBILITY_RTOL * size:
        problems.append(f"the weights sum to {w.sum():.12g}, not the budget {budget}")
    if (w < lower - FEASIBILITY_RTOL * size).any() or (w > upper + FEASIBILITY_RTOL * size).any():
        problems.append("the weights leave the bounds")
    if target_return is not None and expected < target_return - FEASIBILITY_RTOL * max(1.0, abs(target_return)):
        problems.append(f"the expected return {expected:.12g} is below the target {target_return}")
    if not np.isfinite(risk):
        problems.append(f"the risk is {risk}")
    return problems


def optimize_portfolio(model, measure="es", level=0.99, target_return=None, long_only=True, bounds=None,
                       budget=1.0, tol=1e-12, max_iter=500):
    """The portfolio of least risk ``measure`` with the given budget, bounds and return target (module docstring).

    Parameters
    ----------
    model : NormalMixture
        A fitted mixture (unbatched), of dimension d.
    measure : {'es', 'var', 'variance'}
        Expected shortfall or value at risk of the loss at ``level``, or the variance.
    level : float
        Confidence level in (0, 1) of ES and VaR (ignored for the variance).
    target_return : float, optional
        Lower bound on the expected return wᵀE[X].
    long_only : bool
        Require w >= 0.
    bounds : (lower, upper) or array of shape (d, 2), optional
        Box on each weight (±inf allowed); intersected with w >= 0 when ``long_only``.
    budget : float
        Σ w, nonzero.
    tol : float
        SLSQP's ``ftol`` on the objective divided by its value at the start.
    max_iter : int
        SLSQP's iteration limit.

    Returns
    -------
    PortfolioResult

    Raises
    ------
    ValueError
        If ``model`` is not an unbatched mixture, ``measure`` not one of the three,
        ``level`` not one probability in (0, 1), ``target_return`` or ``budget`` not
        finite (``budget`` zero), ``bounds`` of the wrong shape, crossed, or unable to
        hold the budget.
    """
    model, level, target_return, lower, upper, budget = check_problem(model, measure, level, target_return,
                                                                      long_only, bounds, budget)
    objective = PortfolioObjective(model, measure, level)
    return solve(objective, lower, upper, budget, target_return, start(lower, upper, budget), tol, max_iter)
