"""GeneralizedInverseGaussian against scipy.stats.geninvgauss, mpmath, quadrature and sampling.

JAX functions are compiled once at module level with fixed shapes (every call below
passes 8 points or 3 parameters), so that the file pays each compilation once.
"""
import io
import math
from contextlib import redirect_stdout

import equinox as eqx
import jax
import jax.numpy as jnp
import mpmath as mp
import numpy as np
import pytest
import scipy.integrate as si
import scipy.stats as st

from normix import GIG, GeneralizedInverseGaussian
from normix._kernels import dispatch, gig_cpu

PARAMS = [(-0.5, 2.0, 1.0), (3.0, 0.5, 4.0), (-2.0, 1e-6, 1.0), (0.0, 1.0, 1.0), (1.7, 1e4, 1e-4),
          (-6.0, 3e-3, 20.0), (25.0, 2.0, 0.5), (0.4, 300.0, 300.0), (-40.0, 1.0, 1e3)]
PROBS = np.array([1e-6, 0.01, 0.2, 0.5, 0.8, 0.99, 1 - 1e-6, 1 - 1e-9])


@jax.jit
def log_prob_cdf(params, x):
    dist = GIG(params[0], params[1], params[2])
    return jax.vmap(dist.log_prob)(x), dist.cdf(x)


@jax.jit
def jax_moments(params):
    dist = GIG(params[0], params[1], params[2])
    return dist.expectation_params(), dist.fisher_information(), dist.mean(), dist.var()


@jax.jit
def jax_newton(eta):
    dist = GIG.from_expectation(eta, backend="jax")
    return jnp.stack([dist.p, dist.a, dist.b])


def scipy_law(p, a, b):
    return st.geninvgauss(p, math.sqrt(a * b), scale=math.sqrt(b / a))


def mp_cdf(p, a, b, x):
    """P(X <= x) by mpmath quadrature in u = log(x/s) down to where the density is e^-150 of its peak."""
    with mp.workdps(25):
        p, a, b, x = map(mp.mpf, (p, a, b, x))
        w, s = mp.sqrt(a * b), mp.sqrt(b / a)
        upper = mp.log(x / s)
        top = min(upper, mp.asinh(p / w))

        def h(u):
            return p * u - w * mp.cosh(u)

        reach = mp.mpf(1)
        while h(top) - h(top - reach) < 150:
            reach *= 2
        nodes = [top - reach + reach * k / 24 for k in range(25)]
        if upper > top:
            nodes += [top + (upper - top) * k / 24 for k in range(1, 25)]
        value = mp.quad(lambda u: mp.exp(h(u) - h(top)), nodes)
        return float(value * mp.exp(h(top)) / (2 * mp.besselk(p, w)))


def points(p, a, b):
    law = scipy_law(p, a, b)
    mean, sd = gig_cpu.gig_moments(p, a, b)[2], math.sqrt(gig_cpu.gig_fisher(p, a, b)[2, 2])
    return np.array([mean * 1e-3, mean - 2 * sd, mean - sd, mean, mean + sd, mean + 3 * sd, mean * 1e3,
                     float(law.median())]).clip(min=mean * 1e-6)


# ------------------------------------------------------------ density and cdf
@pytest.mark.parametrize("p,a,b", PARAMS)
def test_log_prob_matches_scipy(p, a, b):
    x = points(p, a, b)
    log_prob, _ = log_prob_cdf(jnp.array([p, a, b]), x)
    ref = scipy_law(p, a, b).logpdf(x)
    np.testing.assert_allclose(log_prob, ref, rtol=1e-11, atol=1e-11 * (1 + math.sqrt(a * b) + abs(p) * 10))


@pytest.mark.parametrize("p,a,b", PARAMS)
def test_cdf_matches_mpmath_and_scipy(p, a, b):
    """Both twins of ``gig_cdf`` against mpmath (relative in the tails), and scipy where its quadrature holds."""
    x = points(p, a, b)
    _, cdf = log_prob_cdf(jnp.array([p, a, b]), x)
    ref = np.array([mp_cdf(p, a, b, xi) for xi in x])
    scale = 1e-13 * (1 + math.sqrt(a * b) + abs(p) * np.abs(np.log(x)).max())
    tail = np.minimum(ref, 1 - ref)
    for value in (np.asarray(cdf), dispatch.kernels("cpu").gig_cdf(p, a, b, x)):
        np.testing.assert_array_less(np.abs(value - ref), scale * np.maximum(tail, 1e-300) + 1e-15)
    moderate = (ref > 1e-6) & (ref < 1 - 1e-6) & (math.sqrt(a * b) < 100)
    np.testing.assert_allclose(np.asarray(cdf)[moderate], scipy_law(p, a, b).cdf(x[moderate]), rtol=1e-7)


@jax.jit
def pdf_on_log_grid(params, u):
    dist = GIG(params[0], params[1], params[2])
    x = jnp.sqrt(params[2] / params[1]) * jnp.exp(u)
    return jax.vmap(dist.pdf)(x) * x


@pytest.mark.parametrize("p,a,b,reach", [(-0.5, 2.0, 1.0, 30.0), (3.0, 0.5, 4.0, 30.0), (-6.0, 3e-3, 20.0, 60.0),
                                         (0.4, 300.0, 300.0, 2.0)])
def test_pdf_integrates_to_one(p, a, b, reach):
    """Trapezoid rule in u = log(x/s) (spectrally accurate for this smooth, fast-decaying integrand)."""
    mode = math.asinh(p / math.sqrt(a * b))
    u = np.linspace(mode - reach, mode + reach, 4097)
    total = si.trapezoid(np.asarray(pdf_on_log_grid(jnp.array([p, a, b]), u)), u)
    assert abs(total - 1.0) < 1e-10


def test_cdf_edges():
    dist = GIG(1.5, 2.0, 3.0)
    np.testing.assert_array_equal(dist.cdf(jnp.array([-1.0, 0.0, jnp.inf])), [0.0, 0.0, 1.0])
    assert jnp.isnan(dist.cdf(jnp.nan))


# -------------------------------------------------------------------- moments
@pytest.mark.parametrize("p,a,b", PARAMS)
def test_mean_and_var_match_scipy(p, a, b):
    eta, _, mean, var = jax_moments(jnp.array([p, a, b]))
    law = scipy_law(p, a, b)
    np.testing.assert_allclose(mean, eta[2], rtol=1e-15)
    if math.sqrt(a * b) < 1e3 and abs(p) < 20:
        np.testing.assert_allclose(mean, law.mean(), rtol=1e-11)
        np.testing.assert_allclose(var, law.var(), rtol=1e-8)


log_partitions = jax.jit(jax.vmap(GIG._log_partition_from_theta))


def central_differences(f, theta, rel_step):
    """Central differences of f at theta, one coordinate at a time, f evaluated on all 6 points at once."""
    steps = rel_step * np.maximum(np.abs(theta), 1e-3)
    shifts = np.concatenate([np.diag(steps), -np.diag(steps)])
    values = np.asarray(f(theta + shifts))
    return (values[:3] - values[3:]) / (2 * steps[:, None] if values.ndim > 1 else 2 * steps)


@pytest.mark.parametrize("p,a,b", PARAMS)
def test_expectation_params_are_the_gradient_of_the_log_partition(p, a, b):
    dist = GIG(p, a, b)
    numeric = central_differences(log_partitions, np.asarray(dist.natural_params()), 1e-5)
    np.testing.assert_allclose(dist.expectation_params("cpu"), numeric, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(jax_moments(jnp.array([p, a, b]))[0], numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("p,a,b", PARAMS)
def test_fisher_is_the_jacobian_of_the_expectation_params(p, a, b):
    dist = GIG(p, a, b)

    def eta_of_theta(thetas):
        return np.stack([GIG.from_natural(jnp.asarray(t)).expectation_params("cpu") for t in thetas])

    numeric = central_differences(eta_of_theta, np.asarray(dist.natural_params()), 1e-6)
    cpu = dist.fisher_information("cpu")
    np.testing.assert_allclose(cpu, numeric, rtol=1e-6, atol=1e-9 * np.abs(cpu).max())
    np.testing.assert_allclose(jax_moments(jnp.array([p, a, b]))[1], cpu, rtol=1e-11)


@pytest.mark.parametrize("p,a,b", [(-0.5, 2.0, 1.0), (3.0, 0.5, 4.0), (-2.0, 1e-6, 1.0), (0.4, 300.0, 300.0)])
def test_expectation_params_match_monte_carlo(p, a, b):
    dist = GIG(p, a, b)
    x = dist.rvs(200_000, seed=11)
    t = np.stack([np.log(x), 1 / x, x], -1)
    eta = dist.expectation_params("cpu")
    stderr = np.sqrt(np.diag(dist.fisher_information("cpu")) / x.size)
    assert (np.abs(t.mean(0) - eta) < 5 * stderr).all()


def test_backends_agree():
    for p, a, b in PARAMS:
        dist = GIG(p, a, b)
        eta_jax, fisher_jax, _, _ = jax_moments(jnp.array([p, a, b]))
        np.testing.assert_allclose(eta_jax, dist.expectation_params("cpu"), rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(fisher_jax, dist.fisher_information("cpu"), rtol=1e-10)
    batch = np.array(PARAMS).T
    np.testing.assert_allclose(GIG.expectation_params_batch(*batch), GIG.expectation_params_batch(*batch, "cpu"),
                               rtol=1e-12, atol=1e-13)
    assert GIG.expectation_params_batch(*batch, backend="cpu").shape == (len(PARAMS), 3)


# ---------------------------------------------------------------------- η → θ
NAMED = [(-0.5, 2.0, 1.0), (3.0, 0.5, 4.0), (-2.0, 1e-6, 1.0)]


@pytest.mark.parametrize("p,a,b", NAMED)
def test_named_cases_from_exact_eta_on_cpu(p, a, b):
    with mp.workdps(40):
        def psi(t1, t2, t3):
            return mp.log(2) + mp.log(mp.besselk(t1 + 1, mp.sqrt(4 * t2 * t3))) + (t1 + 1) / 2 * mp.log(t2 / t3)

        theta = (mp.mpf(p) - 1, -mp.mpf(b) / 2, -mp.mpf(a) / 2)
        eta = np.array([float(mp.diff(psi, theta, order)) for order in [(1, 0, 0), (0, 1, 0), (0, 0, 1)]])
    dist = GIG.from_expectation(eta, backend="cpu")
    np.testing.assert_allclose([dist.p, dist.a, dist.b], [p, a, b], rtol=1e-8)


def round_trip_cases():
    rows = []
    for p in (-50.0, -3.0, -0.5, 0.7, 4.0, 50.0):
        for ratio in (1e-8, 1.0, 1e8):
            for w in (0.5, 5.0, 50.0):
                rows.append((p, w * math.sqrt(ratio), w / math.sqrt(ratio)))
    return rows


def condition_number(p, a, b):
    """κ of the rescaled inverse map (see normix._kernels.gig_solve_cpu): parameter error per unit error of η."""
    e = gig_cpu.gig_moments(p, a, b)
    s, m = math.sqrt(e[1] / e[2]), math.sqrt(e[1] * e[2])
    inverse = np.abs(np.linalg.inv(gig_cpu.gig_fisher(p, a / s, b * s))) @ [1.0, m, m]
    return max(inverse[0] / max(abs(p), 1.0), 2 * inverse[2] * s / a, 2 * inverse[1] / (b * s))


def relative_error(fitted, p, a, b):
    return max(abs(fitted[0] - p) / max(abs(p), 1.0), abs(fitted[1] / a - 1), abs(fitted[2] / b - 1))


def test_newton_round_trips_on_cpu():
    """a/b from 1e-8 to 1e8 and p from -50 to 50: relative error below max(1e-10, 3e-14 κ)."""
    for p, a, b in round_trip_cases():
        dist = GIG.from_expectation(GIG(p, a, b).expectation_params("cpu"), backend="cpu")
        kappa = condition_number(p, a, b)
        error = relative_error([dist.p, dist.a, dist.b], p, a, b)
        assert error <= max(1e-10, 3e-14 * kappa), (p, a, b, kappa, error)


def test_newton_round_trips_on_jax():
    for p, a, b in round_trip_cases()[::4]:
        fitted = np.asarray(jax_newton(jnp.asarray(GIG(p, a, b).expectation_params("cpu"))))
        kappa = condition_number(p, a, b)
        assert relative_error(fitted, p, a, b) <= max(1e-10, 3e-14 * kappa), (p, a, b, kappa)


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["cpu", "jax"])
@pytest.mark.parametrize("method", ["lbfgs", "bfgs"])
def test_generic_solvers_round_trip_on_the_rescaled_problem(backend, method):
    """a/b = 1e8 is as easy as a/b = 1 after the rescaling; accuracy is the solver's gradient tolerance."""
    p, a, b = 1.5, 2e4, 2e-4
    eta = GIG(p, a, b).expectation_params("cpu")
    dist = GIG.from_expectation(eta, backend=backend, method=method, tol=1e-12)
    np.testing.assert_allclose([dist.p, dist.a, dist.b], [p, a, b], rtol=1e-6)


def test_warm_start_and_verbose():
    dist = GIG(3.0, 0.5, 4.0)
    eta = dist.expectation_params("cpu")
    out = io.StringIO()
    with redirect_stdout(out):
        warm = GIG.from_expectation(eta, theta0=GIG(3.1, 0.45, 4.2).natural_params(), backend="cpu", verbose=1)
    assert "converged=True" in out.getvalue()
    np.testing.assert_allclose([warm.p, warm.a, warm.b], [3.0, 0.5, 4.0], rtol=1e-10)


def test_fit_mle_recovers_parameters():
    truth = GIG(-1.5, 2.0, 3.0)
    x = truth.rvs(400_000, seed=3)
    fit = GIG.fit_mle(x)
    # the MLE's standard errors at n = 4e5 are about 0.01 (p) and 0.02 (a, b)
    np.testing.assert_allclose([fit.p, fit.a, fit.b], [-1.5, 2.0, 3.0], atol=0.08)
    eta = np.array([np.log(x).mean(), (1 / x).mean(), x.mean()])
    np.testing.assert_allclose(fit.expectation_params("cpu"), eta, rtol=1e-9)


# ----------------------------------------------------------------- validation
@pytest.mark.parametrize("p,a,b,name", [(np.nan, 1.0, 1.0, "p"), (1.0, 0.0, 1.0, "a"), (1.0, 1.0, -2.0, "b"),
                                        (1.0, np.inf, 1.0, "a"), (np.inf, 1.0, 1.0, "p")])
def test_invalid_parameters_raise(p, a, b, name):
    with pytest.raises(ValueError, match=f"^{name} must"):
        GIG(p, a, b)
    with pytest.raises(Exception, match=f"{name} must"):
        jax.jit(lambda q: GIG(q[0], q[1], q[2]).natural_params())(jnp.array([p, a, b])).block_until_ready()


@pytest.mark.parametrize("eta", [[0.0, 1.0, 1.0], [0.0, 0.5, 1.5], [1.0, 2.0, 2.0], [-1.0, 2.0, 2.0],
                                 [np.nan, 2.0, 2.0], [0.0, -1.0, 2.0]])
def test_invalid_eta_raises(eta):
    with pytest.raises(ValueError, match="eta must"):
        GIG.from_expectation(np.array(eta), backend="cpu")


def test_zero_tolerance_is_accepted_and_bad_tolerances_are_refused():
    dist = GIG(3.0, 0.5, 4.0)
    eta = dist.expectation_params("cpu")
    # tol = 0: the Newton kernel iterates until no step improves the fit (or maxiter)
    for backend in ("cpu", "jax"):
        zero = GIG.from_expectation(eta, backend=backend, tol=0.0, maxiter=40)
        np.testing.assert_allclose([zero.p, zero.a, zero.b], [3.0, 0.5, 4.0], rtol=1e-10)
    zero = GIG.from_expectation(eta, backend="cpu", method="lbfgs", tol=0, maxiter=200)
    np.testing.assert_allclose([zero.p, zero.a, zero.b], [3.0, 0.5, 4.0], rtol=1e-6)
    for bad in (-1e-12, np.nan, np.inf, "1e-8", None):
        for method in ("newton", "lbfgs"):
            with pytest.raises(ValueError, match="tol must be a finite number >= 0"):
                GIG.from_expectation(eta, backend="cpu", method=method, tol=bad)


def test_unknown_method_raises():
    with pytest.raises(ValueError, match="method must be one of"):
        GIG.from_expectation(np.array([0.0, 2.0, 2.0]), method="sgd")


def test_alias_and_natural_round_trip():
    assert GIG is GeneralizedInverseGaussian
    dist = GIG(-2.5, 0.3, 7.0)
    back = GIG.from_natural(dist.natural_params())
    np.testing.assert_allclose([back.p, back.a, back.b], [-2.5, 0.3, 7.0], rtol=1e-15)
    with pytest.raises(ValueError, match="theta\\[1\\]"):
        GIG.from_natural(jnp.array([0.0, 0.5, -1.0]))
    assert isinstance(dist, eqx.Module)


def test_rvs_is_reproducible():
    dist = GIG(0.5, 2.0, 1.0)
    x = dist.rvs(1000, seed=5)
    assert isinstance(x, np.ndarray) and x.shape == (1000,) and (x > 0).all()
    np.testing.assert_array_equal(x, dist.rvs(1000, seed=5))
