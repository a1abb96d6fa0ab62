"""Optimal portfolios against brute-force grids (d = 2, 3), the closed-form minimum variance, and the
Rockafellar-Uryasev scenario LP on Monte-Carlo draws (d = 20, slow).

The grids evaluate ES and VaR of every grid portfolio with the (separately tested) risk
functions; the optimum must be at least as good as the best grid point and close to it.
"""
import numpy as np
import pytest
from scipy import optimize as sp_optimize
from scipy import sparse, special

from normix import GeneralizedHyperbolic, NormalInverseGamma, NormalInverseGaussian
from normix.risk import efficient_frontier, expected_shortfall, optimize_portfolio, value_at_risk

MU = np.array([5e-4, 3e-4, 1e-4])
GAMMA = np.array([-2e-3, 1e-3, 5e-4])
SIGMA = 1e-4 * np.array([[1.0, 0.5, 0.2], [0.5, 2.0, 0.3], [0.2, 0.3, 1.5]])
MODEL = NormalInverseGaussian.from_classical(mu=MU, gamma=GAMMA, sigma=SIGMA, mu_ig=1.0, lam=1.3)
MEAN = MU + GAMMA * 1.0  # E[Y] = mu_ig = 1


def simplex_grid(step, lower=0.0, upper=1.0):
    """Long-only weights of 3 assets summing to 1 on a grid of ``step``, within [lower, upper]."""
    t = np.arange(0.0, 1.0 + step / 2, step)
    a, b = np.meshgrid(t, t, indexing="ij")
    W = np.stack([a.ravel(), b.ravel(), 1.0 - a.ravel() - b.ravel()], axis=1)
    W = W[(W[:, 2] > -1e-12)]
    W[:, 2] = np.maximum(W[:, 2], 0.0)
    return W[np.all((W >= lower - 1e-12) & (W <= upper + 1e-12), axis=1)]


def test_min_es_two_assets_beats_a_fine_grid():
    model = GeneralizedHyperbolic.from_classical(mu=MU[:2], gamma=GAMMA[:2], sigma=SIGMA[:2, :2], p=1.5, a=2.0,
                                                 b=0.5)
    result = optimize_portfolio(model, "es", 0.975)
    t = np.linspace(0.0, 1.0, 4001)
    grid = expected_shortfall(model, np.stack([t, 1 - t], axis=1), 0.975)
    best = np.argmin(grid)
    assert result.success and result.status == 0
    assert result.risk <= grid[best] + 1e-14
    assert grid[best] - result.risk < 1e-8 * grid[best]
    assert abs(result.weights[0] - t[best]) <= 2.5e-4
    np.testing.assert_allclose(result.weights.sum(), 1.0, rtol=1e-12)
    np.testing.assert_allclose(result.risk, expected_shortfall(model, result.weights, 0.975), rtol=1e-14)
    mean_y = np.sqrt(0.5 / 2.0) * special.kv(2.5, 1.0) / special.kv(1.5, 1.0)  # GIG(1.5, 2, 0.5): √(b/a) K_{p+1}/K_p
    np.testing.assert_allclose(result.expected_return, result.weights @ (MU[:2] + GAMMA[:2] * mean_y), rtol=1e-12)


@pytest.mark.parametrize("measure", ["es", "var"])
def test_three_assets_on_a_simplex_grid(measure):
    function = expected_shortfall if measure == "es" else value_at_risk
    W = simplex_grid(0.005)
    grid = function(MODEL, W, 0.99)
    result = optimize_portfolio(MODEL, measure, 0.99)
    assert result.success
    assert result.risk <= grid.min() + 1e-14
    assert grid.min() - result.risk < 1e-4 * grid.min()
    assert np.abs(result.weights - W[np.argmin(grid)]).max() <= 0.01


def test_return_target_and_bounds_on_the_grid():
    W = simplex_grid(0.005, lower=0.1, upper=0.6)
    target = 4e-4
    feasible = W[W @ MEAN >= target]
    grid = expected_shortfall(MODEL, feasible, 0.99)
    result = optimize_portfolio(MODEL, "es", 0.99, target_return=target, bounds=(0.1, 0.6))
    assert result.success
    assert result.expected_return >= target - 1e-12 and np.all(result.weights >= 0.1 - 1e-12)
    assert np.all(result.weights <= 0.6 + 1e-12)
    assert result.risk <= grid.min() + 1e-14 and grid.min() - result.risk < 1e-3 * grid.min()


def test_minimum_variance_has_the_closed_form():
    """Without bounds: w = C⁻¹1 / 1ᵀC⁻¹1 with C = Cov[X] = E[Y]Σ + Var[Y]γγᵀ (NIG: E[Y] = 1, Var[Y] = 1/1.3)."""
    C = SIGMA + GAMMA[:, None] * GAMMA[None, :] / 1.3
    x = np.linalg.solve(C, np.ones(3))
    result = optimize_portfolio(MODEL, "variance", long_only=False, budget=2.0)
    assert result.success
    np.testing.assert_allclose(result.weights, 2.0 * x / x.sum(), rtol=1e-7)
    np.testing.assert_allclose(result.risk, 4.0 / x.sum(), rtol=1e-12)


def test_failures_are_reported_not_claimed():
    beyond = optimize_portfolio(MODEL, "es", 0.99, target_return=2e-3)  # above every long-only return (max 1.3e-3)
    assert not beyond.success and beyond.message
    heavy = NormalInverseGamma.from_classical(mu=MU, gamma=GAMMA, sigma=SIGMA, alpha=0.9, beta=1.0)
    infinite = optimize_portfolio(heavy, "es", 0.99)  # ES = +inf wherever g = -wᵀγ > 0, e.g. at the start
    if infinite.success:
        assert np.isfinite(infinite.risk) and infinite.risk == expected_shortfall(heavy, infinite.weights, 0.99)
    else:
        assert infinite.message


def test_frontier_is_monotone_and_spans_the_returns():
    frontier = efficient_frontier(MODEL, n_points=6, measure="es", level=0.99)
    assert frontier.weights.shape == (6, 3) and frontier.success.all()
    assert np.all(np.diff(frontier.risks) > 0) and np.all(np.diff(frontier.returns) > 0)
    np.testing.assert_allclose(frontier.returns, frontier.targets, rtol=1e-9, atol=1e-12)
    least = optimize_portfolio(MODEL, "es", 0.99)
    np.testing.assert_allclose(frontier.risks[0], least.risk, rtol=1e-12)
    np.testing.assert_allclose(frontier.returns[-1], MEAN.max(), rtol=1e-9)
    middle = optimize_portfolio(MODEL, "es", 0.99, target_return=frontier.targets[3])
    np.testing.assert_allclose(frontier.risks[3], middle.risk, rtol=1e-9)


@pytest.mark.parametrize("kwargs, match", [
    ({"measure": "cvar"}, "measure must be one of"),
    ({"level": 1.0}, "level must be in the open interval"),
    ({"level": [0.9, 0.99]}, "level must be one probability"),
    ({"target_return": np.nan}, "target_return must be a finite scalar"),
    ({"budget": 0.0}, "budget must be nonzero"),
    ({"bounds": (0.5, 0.1)}, "lower <= upper"),
    ({"bounds": np.ones((2, 2))}, r"bounds must be one \(lower, upper\) pair"),
    ({"bounds": (0.0, 0.2)}, "budget 1.0 is outside what the bounds allow"),
    ({"long_only": "yes"}, "long_only must be True or False"),
    ({"bounds": (-1.0, -0.1)}, "bounds must allow w >= 0"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        optimize_portfolio(MODEL, **kwargs)


def test_bad_frontier_arguments():
    with pytest.raises(ValueError, match="n_points must be an integer >= 2"):
        efficient_frontier(MODEL, n_points=1)
    with pytest.raises(ValueError, match="unbounded"):
        efficient_frontier(MODEL, n_points=3, long_only=False)


@pytest.mark.slow
def test_min_es_matches_the_rockafellar_uryasev_lp_at_d20():
    """min ζ + Σ uᵢ/((1 - α) N), uᵢ >= -wᵀxᵢ - ζ, uᵢ >= 0 on N = 1e5 draws (HiGHS).

    The LP's optimum is a sample ES; its weights' exact ES can only exceed ours, by the
    Monte-Carlo error, and its objective differs from our minimum by a few standard errors
    of the sample ES (about sd(L | L > VaR)/√((1 - α)N))."""
    rng = np.random.default_rng(3)
    d, n, level = 20, 100_000, 0.95
    A = rng.normal(size=(d, d))
    sigma = 1e-4 * (A @ A.T / d + 0.5 * np.eye(d))
    model = GeneralizedHyperbolic.from_classical(mu=1e-3 * rng.normal(size=d), gamma=1e-3 * rng.normal(size=d),
                                                 sigma=sigma, p=-0.8, a=1.5, b=1.2)
    ours = optimize_portfolio(model, "es", level)
    assert ours.success
    X = np.asarray(model.rvs(n, seed=11))
    c = np.concatenate([np.zeros(d), [1.0], np.full(n, 1.0 / ((1 - level) * n))])
    A_ub = sparse.hstack([sparse.csr_matrix(-X), sparse.csr_matrix(-np.ones((n, 1))), -sparse.identity(n)])
    A_eq = sparse.hstack([sparse.csr_matrix(np.ones((1, d))), sparse.csr_matrix((1, n + 1))])
    bounds = [(0, None)] * d + [(None, None)] + [(0, None)] * n
    lp = sp_optimize.linprog(c, A_ub=A_ub, b_ub=np.zeros(n), A_eq=A_eq, b_eq=[1.0], bounds=bounds, method="highs")
    assert lp.status == 0
    w_lp = lp.x[:d]
    exact_at_lp = expected_shortfall(model, w_lp, level)
    losses = -X @ ours.weights
    tail = losses[losses >= np.quantile(losses, level)]
    standard_error = tail.std() / np.sqrt(tail.size)
    assert ours.risk <= exact_at_lp + 1e-12
    assert exact_at_lp - ours.risk < 4 * standard_error
    assert abs(lp.fun - ours.risk) < 4 * standard_error
