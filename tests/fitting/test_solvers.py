"""Bregman solvers: every (backend, method) pair, honest convergence, bounds, multistart, autodiff."""
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.scipy.special import gammaln
from scipy.special import digamma

from normix.fitting.solvers import BregmanResult, bregman_objective, solve_bregman, solve_bregman_multistart
from normix._bregman import BregmanStatus
from normix._bregman.bounds import box, from_unconstrained, to_unconstrained
from normix._bregman.result import outcome

PAIRS = [("jax", "newton"), ("jax", "lbfgs"), ("jax", "bfgs"), ("cpu", "newton"), ("cpu", "lbfgs"), ("cpu", "bfgs")]
PAIR_IDS = [f"{b}-{m}" for b, m in PAIRS]
# jaxopt's solvers take ~5-10 s to compile for each new static configuration
SLOW_PAIRS = [pytest.param(b, m, id=f"{b}-{m}", marks=[pytest.mark.slow] if (b, m) in
                           [("jax", "lbfgs"), ("jax", "bfgs")] else []) for b, m in PAIRS]
SCIPY_QUASI_NEWTON = [("cpu", "lbfgs"), ("cpu", "bfgs")]
GAMMA_BOUNDS = [(-1.0, None), (None, 0.0)]


def gamma_psi(theta):
    """Gamma log-partition in θ = (α − 1, −β)."""
    return gammaln(theta[0] + 1.0) - (theta[0] + 1.0) * jnp.log(-theta[1])


def gamma_eta(alpha, beta):
    return np.array([digamma(alpha) - np.log(beta), alpha / beta])


A = np.array([[3.0, 1.0, 0.2], [1.0, 2.0, 0.5], [0.2, 0.5, 1.5]])


def quadratic(theta):
    return 0.5 * theta @ jnp.asarray(A) @ theta


def grad_norm(theta, eta):
    return float(np.max(np.abs(np.asarray(jax.grad(gamma_psi)(jnp.asarray(theta))) - eta)))


@pytest.mark.parametrize("backend, method", SLOW_PAIRS)
def test_bounded_problem(backend, method):
    eta = gamma_eta(2.5, 1.5)
    result = solve_bregman(gamma_psi, eta, np.array([0.0, -1.0]), backend=backend, method=method,
                           bounds=GAMMA_BOUNDS)
    assert isinstance(result.theta, np.ndarray) == (backend == "cpu")
    # scipy's quasi-Newton methods stop at the rounding level of f (see solve.py): ~1e-8 relative
    rtol = 1e-7 if backend == "cpu" and method != "newton" else 1e-9
    np.testing.assert_allclose(np.asarray(result.theta), [1.5, -1.5], rtol=rtol)
    np.testing.assert_allclose(float(result.grad_norm), grad_norm(result.theta, eta), rtol=1e-6, atol=1e-15)
    assert bool(result.converged) == (float(result.grad_norm) <= 1e-10 * np.max(np.abs(eta)))
    np.testing.assert_allclose(float(result.fun), float(bregman_objective(jnp.asarray(result.theta), eta, gamma_psi)),
                               rtol=1e-12)
    assert int(result.num_steps) >= 1 and result.elapsed_time > 0


@pytest.mark.parametrize("backend, method", PAIRS, ids=PAIR_IDS)
def test_unbounded_quadratic(backend, method):
    eta = np.array([1.0, -2.0, 0.5])
    result = solve_bregman(quadratic, eta, np.zeros(3), backend=backend, method=method)
    np.testing.assert_allclose(np.asarray(result.theta), np.linalg.solve(A, eta), rtol=1e-8, atol=1e-9)
    assert bool(result.converged) or (backend, method) in SCIPY_QUASI_NEWTON


@pytest.mark.parametrize("backend, method", SLOW_PAIRS)
def test_converged_is_false_when_the_budget_runs_out(backend, method):
    eta = gamma_eta(40.0, 0.3)
    result = solve_bregman(gamma_psi, eta, np.array([0.0, -1.0]), backend=backend, method=method,
                           bounds=GAMMA_BOUNDS, max_steps=1)
    assert not bool(result.converged)
    np.testing.assert_allclose(float(result.grad_norm), grad_norm(result.theta, eta), rtol=1e-6)


def test_newton_with_analytic_derivatives_matches_autodiff():
    eta = gamma_eta(0.7, 3.0)
    grad_fn = jax.jit(jax.grad(gamma_psi))
    hess_fn = jax.jit(jax.hessian(gamma_psi))
    auto = solve_bregman(gamma_psi, eta, np.array([0.0, -1.0]), method="newton", bounds=GAMMA_BOUNDS)
    given = solve_bregman(gamma_psi, eta, np.array([0.0, -1.0]), method="newton", bounds=GAMMA_BOUNDS,
                          grad_fn=grad_fn, hess_fn=hess_fn)
    np.testing.assert_allclose(given.theta, auto.theta, rtol=1e-14)
    cpu = solve_bregman(gamma_psi, eta, np.array([0.0, -1.0]), backend="cpu", method="newton", bounds=GAMMA_BOUNDS,
                        grad_fn=lambda t: np.asarray(grad_fn(t)), hess_fn=lambda t: np.asarray(hess_fn(t)))
    np.testing.assert_allclose(cpu.theta, auto.theta, rtol=1e-13)


def test_warm_start_reaches_the_same_optimum_in_fewer_steps():
    eta = gamma_eta(2.0, 1.5)
    truth = np.array([1.0, -1.5])
    for backend, method in [("jax", "newton"), ("cpu", "newton"), ("cpu", "bfgs")]:
        cold = solve_bregman(gamma_psi, eta, np.array([5.0, -0.1]), backend=backend, method=method,
                             bounds=GAMMA_BOUNDS)
        warm = solve_bregman(gamma_psi, eta, truth * (1 + 1e-3), backend=backend, method=method,
                             bounds=GAMMA_BOUNDS)
        assert int(warm.num_steps) < int(cold.num_steps)
        np.testing.assert_allclose(np.asarray(warm.theta), np.asarray(cold.theta), rtol=1e-8)


def test_iterates_stay_inside_the_bounds_from_a_start_near_the_boundary():
    eta = gamma_eta(0.01, 100.0)  # alpha close to its bound theta1 > -1
    result = solve_bregman(gamma_psi, eta, np.array([-1.0 + 1e-9, -1e-6]), method="newton", bounds=GAMMA_BOUNDS)
    np.testing.assert_allclose(result.theta, [0.01 - 1.0, -100.0], rtol=1e-9)


def test_multistart_returns_the_best_start():
    eta = gamma_eta(2.5, 1.5)
    starts = np.array([[0.0, -1.0], [3.0, -0.2], [1.4, -1.4]])
    for backend in ("jax", "cpu"):
        best = solve_bregman_multistart(gamma_psi, eta, starts, backend=backend, method="newton",
                                        bounds=GAMMA_BOUNDS)
        np.testing.assert_allclose(np.asarray(best.theta), [1.5, -1.5], rtol=1e-9)
        singles = [solve_bregman(gamma_psi, eta, s, backend=backend, method="newton", bounds=GAMMA_BOUNDS)
                   for s in starts]
        assert int(best.num_steps) == sum(int(r.num_steps) for r in singles)
        assert float(best.fun) == min(float(r.fun) for r in singles)
    # with a budget of one step only the start next to the optimum converges
    one_step = solve_bregman_multistart(gamma_psi, eta, np.array([[5.0, -0.1], [1.5, -1.5 * (1 + 1e-12)]]),
                                        backend="cpu", method="newton", bounds=GAMMA_BOUNDS, max_steps=1)
    assert bool(one_step.converged)
    np.testing.assert_allclose(one_step.theta, [1.5, -1.5], rtol=1e-11)


def _implicit_jacobian_check(method):
    eta = jnp.asarray(gamma_eta(2.5, 1.5))

    def theta_of(e):
        return solve_bregman(gamma_psi, e, jnp.array([0.0, -1.0]), method=method, bounds=GAMMA_BOUNDS).theta

    expected = np.linalg.inv(jax.hessian(gamma_psi)(jnp.array([1.5, -1.5])))
    np.testing.assert_allclose(jax.jacobian(theta_of)(eta), expected, rtol=1e-7)


def test_newton_derivatives_are_implicit():
    _implicit_jacobian_check("newton")


@pytest.mark.slow
def test_lbfgs_derivatives_are_implicit():
    _implicit_jacobian_check("lbfgs")


def test_jit_and_vmap():
    eta = jnp.asarray(gamma_eta(2.5, 1.5))
    start = jnp.array([0.0, -1.0])
    jitted = jax.jit(lambda e: solve_bregman(gamma_psi, e, start, method="newton", bounds=GAMMA_BOUNDS))(eta)
    assert isinstance(jitted, BregmanResult) and bool(jitted.converged)
    assert jitted.status == BregmanStatus.CONVERGED
    assert BregmanStatus(int(jitted.status)) is BregmanStatus.CONVERGED
    etas = jnp.stack([eta, jnp.asarray(gamma_eta(7.0, 0.5))])
    batch = jax.vmap(lambda e: solve_bregman(gamma_psi, e, start, method="newton", bounds=GAMMA_BOUNDS,
                                             max_steps=8))(etas)
    np.testing.assert_allclose(batch.theta[0], [1.5, -1.5], rtol=1e-9)
    assert batch.converged.shape == (2,) and batch.status.shape == (2,)
    # the far problem needs 11 steps and runs out of its budget of 8; each row keeps its own status
    np.testing.assert_array_equal(batch.status, [BregmanStatus.CONVERGED, BregmanStatus.MAX_STEPS])
    np.testing.assert_array_equal(batch.converged, [True, False])


def test_result_is_a_pytree():
    result = solve_bregman(quadratic, np.ones(3), np.zeros(3), method="newton")
    leaves = jax.tree_util.tree_leaves(result)
    assert len(leaves) == 7
    rebuilt = jax.tree_util.tree_unflatten(jax.tree_util.tree_structure(result), leaves)
    assert isinstance(rebuilt, BregmanResult) and rebuilt.status is BregmanStatus.CONVERGED


def test_spec_constructor_is_positional_and_status_defaults_to_none():
    result = BregmanResult(np.zeros(2), 1.0, 0.5, 3, False, 0.25)
    assert (result.elapsed_time, result.status) == (0.25, None)
    assert len(jax.tree_util.tree_leaves(result)) == 6


@pytest.mark.parametrize("xp", [np, jnp], ids=["numpy", "jax"])
def test_outcome_decides_status_from_the_numbers(xp):
    finite = xp.array([1.0, 2.0])
    cases = [
        # theta, fun, grad_norm, num_steps, target, max_steps -> status
        ((finite, 0.5, 1e-12, 4, 1e-10, 10), BregmanStatus.CONVERGED),
        ((finite, 0.5, 1e-3, 10, 1e-10, 10), BregmanStatus.MAX_STEPS),
        ((finite, 0.5, 1e-3, 4, 1e-10, 10), BregmanStatus.STALLED),
        ((finite, np.inf, 1e-3, 4, 1e-10, 10), BregmanStatus.NON_FINITE),
        ((xp.array([np.nan, 1.0]), 0.5, 1e-3, 10, 1e-10, 10), BregmanStatus.NON_FINITE),
        ((finite, 0.5, np.nan, 10, 1e-10, 10), BregmanStatus.NON_FINITE),
        ((finite, 0.5, 0.0, 3, 0.0, 10), BregmanStatus.CONVERGED),
        ((finite, 0.5, 1e-300, 10, 0.0, 10), BregmanStatus.MAX_STEPS),
    ]
    for args, expected in cases:
        converged, status = outcome(*args, xp)
        assert int(status) == expected
        assert bool(converged) == (expected is BregmanStatus.CONVERGED)


def test_status_of_solves():
    eta = gamma_eta(2.5, 1.5)
    start = np.array([0.0, -1.0])
    for backend in ("jax", "cpu"):
        done = solve_bregman(gamma_psi, eta, start, backend=backend, method="newton", bounds=GAMMA_BOUNDS)
        assert done.status is BregmanStatus.CONVERGED and bool(done.converged)
        budget = solve_bregman(gamma_psi, gamma_eta(40.0, 0.3), start, backend=backend, method="newton",
                               bounds=GAMMA_BOUNDS, max_steps=1)
        assert budget.status is BregmanStatus.MAX_STEPS and not bool(budget.converged)
        broken = solve_bregman(lambda th: jnp.nan * jnp.sum(th**2), eta, start, backend=backend, method="newton")
        assert broken.status is BregmanStatus.NON_FINITE and not bool(broken.converged)
    # f is +inf for θ₁ <= 0 and its minimiser lies beyond that wall, right next to the start:
    # every trial point is infinite, so the solver gives up after one step
    def walled(theta):
        return jnp.where(theta[0] > 0, quadratic(theta), jnp.inf)

    for backend in ("jax", "cpu"):
        stalled = solve_bregman(walled, A @ np.array([-1.0, 0.0, 0.0]), np.array([1e-300, 0.0, 0.0]),
                                backend=backend, method="newton")
        assert int(stalled.num_steps) == 1 and np.isfinite(float(stalled.fun)) and not bool(stalled.converged)
        assert stalled.status is BregmanStatus.STALLED
    best = solve_bregman_multistart(gamma_psi, eta, np.array([[0.0, -1.0], [3.0, -0.2]]), backend="cpu",
                                    method="newton", bounds=GAMMA_BOUNDS)
    assert best.status is BregmanStatus.CONVERGED


def test_invalid_arguments():
    eta = gamma_eta(2.0, 1.0)
    with pytest.raises(ValueError, match="backend must be one of"):
        solve_bregman(gamma_psi, eta, np.array([0.0, -1.0]), backend="gpu")
    with pytest.raises(ValueError, match="method must be one of"):
        solve_bregman(gamma_psi, eta, np.array([0.0, -1.0]), method="adam")
    with pytest.raises(ValueError, match="theta0 must lie strictly inside bounds"):
        solve_bregman(gamma_psi, eta, np.array([-2.0, -1.0]), bounds=GAMMA_BOUNDS)
    with pytest.raises(ValueError, match=r"theta0 must be of shape \(2,\)"):
        solve_bregman(gamma_psi, eta, np.zeros(3))
    with pytest.raises(ValueError, match="eta must be finite"):
        solve_bregman(gamma_psi, np.array([np.nan, 1.0]), np.array([0.0, -1.0]))
    with pytest.raises(ValueError, match="bounds must have one"):
        solve_bregman(gamma_psi, eta, np.array([0.0, -1.0]), bounds=[(None, 0.0)])
    with pytest.raises(ValueError, match="max_steps must be a positive integer"):
        solve_bregman(gamma_psi, eta, np.array([0.0, -1.0]), max_steps=0)
    for tol in (-1.0, -1e-300, np.nan, np.inf, "1e-8", None, True, [1e-8]):
        with pytest.raises(ValueError, match=r"tol must be a finite number >= 0"):
            solve_bregman(gamma_psi, eta, np.array([0.0, -1.0]), tol=tol)
        with pytest.raises(ValueError, match=r"tol must be a finite number >= 0"):
            solve_bregman_multistart(gamma_psi, eta, np.array([[0.0, -1.0]]), tol=tol)
    with pytest.raises(ValueError, match=r"theta0_batch must have shape \(m, k\)"):
        solve_bregman_multistart(gamma_psi, eta, np.zeros(2))


def test_verbose_prints_a_summary(capsys):
    solve_bregman(quadratic, np.ones(3), np.zeros(3), backend="cpu", method="newton", verbose=1)
    assert "solve_bregman[cpu/newton]" in capsys.readouterr().out


def test_reparameterisation_round_trip_and_jacobian():
    lo, hi = box([(-1.0, None), (None, 0.0), (0.0, 2.0), (None, None)], 4)
    theta = np.array([0.5, -3.0, 0.3, 7.0])
    u = to_unconstrained(theta, lo, hi, np)
    back, d1 = from_unconstrained(u, lo, hi, np)
    np.testing.assert_allclose(back, theta, rtol=1e-15)
    h = 1e-6
    fd = (from_unconstrained(u + h, lo, hi, np)[0] - from_unconstrained(u - h, lo, hi, np)[0]) / (2 * h)
    np.testing.assert_allclose(d1, fd, rtol=1e-8)
    jd = jax.vmap(jax.grad(lambda v, i: from_unconstrained(v, lo, hi, jnp)[0][i]), in_axes=(None, 0))(
        jnp.asarray(u), jnp.arange(4))
    np.testing.assert_allclose(np.diag(np.asarray(jd)), d1, rtol=1e-13)
    assert np.all(np.isfinite(np.asarray(jd)))


def test_importing_normix_loads_no_optimiser():
    code = ("import sys, normix, normix.fitting.solvers; "
            "print('jaxopt' in sys.modules, 'scipy.optimize' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


@pytest.mark.parametrize("backend, method", [("jax", "newton"), ("cpu", "newton"), ("cpu", "lbfgs"), ("cpu", "bfgs")])
def test_zero_tolerance_runs_on_and_reports_honestly(backend, method):
    eta = gamma_eta(2.5, 1.5)
    start = np.array([0.0, -1.0])
    default = solve_bregman(gamma_psi, eta, start, backend=backend, method=method, bounds=GAMMA_BOUNDS)
    zero = solve_bregman(gamma_psi, eta, start, backend=backend, method=method, bounds=GAMMA_BOUNDS, tol=0,
                         max_steps=60)
    assert int(zero.num_steps) >= int(default.num_steps)
    np.testing.assert_allclose(np.asarray(zero.theta), [1.5, -1.5], rtol=1e-7)
    assert bool(zero.converged) == (float(zero.grad_norm) == 0.0)
    assert (zero.status is BregmanStatus.CONVERGED) == bool(zero.converged)
    if not bool(zero.converged):
        assert zero.status in (BregmanStatus.MAX_STEPS, BregmanStatus.STALLED)
    many = solve_bregman_multistart(gamma_psi, eta, np.stack([start, start]), backend=backend, method=method,
                                    bounds=GAMMA_BOUNDS, tol=0.0, max_steps=60)
    assert bool(many.converged) == (float(many.grad_norm) == 0.0)
