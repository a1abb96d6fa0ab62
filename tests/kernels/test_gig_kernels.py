"""GIG kernels against independent references.

* Moments and Fisher information against derivatives of the log-partition
  ψ(θ) = log 2 + log K_p(sqrt(ab)) + (p/2) log(b/a) taken by mpmath at 40 digits, and
  against quadrature of the density itself (no Bessel function involved).
* E[Y] and Var[Y] against ``scipy.stats.geninvgauss``.
* The Gamma (b = 0) and InverseGamma (a = 0) limits against closed forms, and the
  approach to them.
* The inverse map η → θ: the three reference cases, round trips over p in [-50, 50],
  a/b in [1e-8, 1e8] to the accuracy the conditioning allows, and honest flags.
"""
import math

import jax
import mpmath as mp
import numpy as np
import pytest
import scipy.integrate as si
import scipy.special as sc
import scipy.stats as st

from normix._kernels import gig_cpu, gig_jax

JAX_MOMENTS = jax.jit(gig_jax.gig_moments)
JAX_FISHER = jax.jit(gig_jax.gig_fisher)
JAX_ETA_TO_THETA = jax.jit(gig_jax.gig_eta_to_theta, static_argnums=(2, 3))
PADDED = 32


def _padded_jax(kernel, p, a, b):
    """The JAX twin on inputs padded to PADDED elements, so that one compilation serves every test."""
    p, a, b = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (p, a, b)))
    shape, n = p.shape, p.size
    assert n <= PADDED
    pad = [np.concatenate([x.ravel(), np.ones(PADDED - n)]) for x in (p, a, b)]
    out = kernel(*pad)
    if isinstance(out, tuple):
        return tuple(np.asarray(x)[:n].reshape(shape) for x in out)
    return np.asarray(out)[:n].reshape(shape + (3, 3))


def moments(backend, p, a, b):
    if backend == "cpu":
        return gig_cpu.gig_moments(p, a, b)
    return _padded_jax(JAX_MOMENTS, p, a, b)


def fisher(backend, p, a, b):
    if backend == "cpu":
        return gig_cpu.gig_fisher(p, a, b)
    return _padded_jax(JAX_FISHER, p, a, b)


# ------------------------------------------------------------------ references
def mp_log_partition(t1, t2, t3):
    p, b, a = t1 + 1, -2 * t2, -2 * t3
    return mp.log(2) + mp.log(mp.besselk(p, mp.sqrt(a * b))) + p / 2 * mp.log(b / a)


def mp_derivatives(p, a, b):
    """(η, H) from mpmath derivatives of ψ in θ = (p - 1, -b/2, -a/2), 40 digits."""
    with mp.workdps(40):
        theta = (mp.mpf(p) - 1, -mp.mpf(b) / 2, -mp.mpf(a) / 2)
        unit = [(1, 0, 0), (0, 1, 0), (0, 0, 1)]
        eta = np.array([float(mp.diff(mp_log_partition, theta, u)) for u in unit])
        hess = np.empty((3, 3))
        for i in range(3):
            for j in range(i, 3):
                order = tuple(x + y for x, y in zip(unit[i], unit[j]))
                hess[i, j] = hess[j, i] = float(mp.diff(mp_log_partition, theta, order))
    return eta, hess


def quadrature_moments(p, a, b):
    """(E t(Y), Cov t(Y)) by quadrature of the density in u = log(y/s), s = sqrt(b/a)."""
    w, s = math.sqrt(a * b), math.sqrt(b / a)
    mode = math.asinh(p / w)

    def log_kernel(u):
        return p * u - w * math.cosh(u)

    peak = log_kernel(mode)
    lo, hi = mode - 1.0, mode + 1.0
    while log_kernel(lo) > peak - 60:
        lo -= 1.0
    while log_kernel(hi) > peak - 60:
        hi += 1.0

    def integral(g):
        return si.quad(lambda u: g(u) * math.exp(log_kernel(u) - peak), lo, hi, points=[mode], limit=400,
                       epsabs=0, epsrel=1e-13)[0]

    stats = [lambda u: u + math.log(s), lambda u: math.exp(-u) / s, lambda u: math.exp(u) * s]
    z = integral(lambda u: 1.0)
    mean = np.array([integral(g) / z for g in stats])
    cov = np.array([[integral(lambda u, f=f, g=g, mf=mf, mg=mg: (f(u) - mf) * (g(u) - mg)) / z
                     for g, mg in zip(stats, mean)] for f, mf in zip(stats, mean)])
    return mean, cov


def condition_number(p, a, b):
    """κ of the rescaled inverse map (gig_solve_cpu): relative parameter error per unit relative error of η."""
    eta = np.array(gig_cpu.gig_moments(p, a, b))
    s, m = math.sqrt(eta[1] / eta[2]), math.sqrt(eta[1] * eta[2])
    hess = gig_cpu.gig_fisher(p, a / s, b * s)
    dtheta = np.abs(np.linalg.inv(hess)) @ np.array([1.0, m, m])
    return max(dtheta[0] / max(abs(p), 1.0), 2 * dtheta[2] / (a / s), 2 * dtheta[1] / (b * s))


# -------------------------------------------------------------- moments, Fisher
ORACLE_CASES = [
    (-0.5, 2.0, 1.0), (3.0, 0.5, 4.0), (-2.0, 1e-6, 1.0), (0.0, 2.0, 3.0), (0.3, 1.0, 1.0),
    (1.5, 10.0, 0.1), (-7.0, 3.0, 0.02), (20.0, 1.0, 1.0), (-50.0, 1.0, 5.0), (2.5, 1e-9, 1e-3),
    (0.8, 1e4, 1e-2), (-1.3, 3e2, 4e2), (4.0, 3e3, 3e3), (0.0, 1e4, 1e4),
]


@pytest.mark.parametrize("backend", ["cpu", "jax"])
@pytest.mark.parametrize("p,a,b", ORACLE_CASES)
def test_moments_and_fisher_match_mpmath(backend, p, a, b):
    eta_ref, hess_ref = mp_derivatives(p, a, b)
    eta = np.array(moments(backend, p, a, b))
    hess = fisher(backend, p, a, b)
    log_scale = abs(0.5 * math.log(b / a)) + 1.0
    np.testing.assert_allclose(eta[0], eta_ref[0], rtol=1e-13, atol=1e-14 * log_scale)
    np.testing.assert_allclose(eta[1:], eta_ref[1:], rtol=1e-13)
    np.testing.assert_allclose(hess, hess_ref, rtol=1e-11)


@pytest.mark.parametrize("p,a,b", [(-0.5, 2.0, 1.0), (3.0, 0.5, 4.0), (-4.2, 0.3, 7.0), (0.7, 50.0, 40.0),
                                   (12.0, 0.05, 2.0)])
def test_moments_and_fisher_match_quadrature_of_density(p, a, b):
    mean, cov = quadrature_moments(p, a, b)
    np.testing.assert_allclose(gig_cpu.gig_moments(p, a, b), mean, rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(gig_cpu.gig_fisher(p, a, b), cov, rtol=1e-9, atol=1e-12 * np.abs(cov).max())


def test_mean_and_variance_match_scipy_geninvgauss():
    p = np.array([-3.0, -0.5, 0.0, 0.4, 1.0, 2.5, 8.0])
    a = np.array([0.5, 2.0, 1.0, 3.0, 0.1, 7.0, 1.0])
    b = np.array([2.0, 1.0, 1.0, 0.2, 5.0, 0.3, 9.0])
    w, s = np.sqrt(a * b), np.sqrt(b / a)
    law = st.geninvgauss(p, w, scale=s)
    np.testing.assert_allclose(gig_cpu.gig_moments(p, a, b)[2], law.mean(), rtol=1e-12)
    np.testing.assert_allclose(gig_cpu.gig_fisher(p, a, b)[:, 2, 2], law.var(), rtol=1e-10)


@pytest.mark.parametrize("backend", ["cpu", "jax"])
def test_gamma_and_inverse_gamma_limits_are_exact(backend):
    shape, rate = np.array([0.5, 1.5, 2.5, 7.0]), np.array([0.3, 1.0, 2.0, 5.0])
    e1, e2, e3 = moments(backend, shape, 2 * rate, 0.0)
    np.testing.assert_allclose(e1, sc.digamma(shape) - np.log(rate), rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(e2, np.where(shape > 1, rate / (shape - 1), np.inf), rtol=1e-15)
    np.testing.assert_allclose(e3, shape / rate, rtol=1e-15)
    hess = fisher(backend, shape, 2 * rate, 0.0)
    np.testing.assert_allclose(hess[:, 0, 0], sc.polygamma(1, shape), rtol=1e-14)
    np.testing.assert_allclose(hess[:, 0, 2], 1 / rate, rtol=1e-15)
    np.testing.assert_allclose(hess[:, 2, 2], shape / rate**2, rtol=1e-15)
    np.testing.assert_allclose(hess[3, 1, 1], rate[3] ** 2 / ((shape[3] - 1) ** 2 * (shape[3] - 2)), rtol=1e-15)
    assert np.isinf(hess[:2, 1, 1]).all() and (hess[:1, 0, 1] == -np.inf).all()
    # a = 0, p < 0: 1/Y ~ Gamma(-p, rate b/2), i.e. Y ~ InverseGamma(-p, b/2)
    f1, f2, f3 = moments(backend, -shape, 0.0, 2 * rate)
    np.testing.assert_allclose(f1, np.log(rate) - sc.digamma(shape), rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(f2, shape / rate, rtol=1e-15)
    np.testing.assert_allclose(f3, np.where(shape > 1, rate / (shape - 1), np.inf), rtol=1e-15)


@pytest.mark.parametrize("backend", ["cpu", "jax"])
def test_limits_are_approached_continuously(backend):
    near = np.array(moments(backend, [2.0, 3.5, -2.0, -3.5], [1.0, 0.4, 1e-200, 1e-200], [1e-200, 1e-200, 1.0, 0.4]))
    limit = np.array(moments(backend, [2.0, 3.5, -2.0, -3.5], [1.0, 0.4, 0.0, 0.0], [0.0, 0.0, 1.0, 0.4]))
    np.testing.assert_allclose(near, limit, rtol=2e-13)
    near_h = fisher(backend, [3.5, -3.5], [0.4, 1e-200], [1e-200, 0.4])
    limit_h = fisher(backend, [3.5, -3.5], [0.4, 0.0], [0.0, 0.4])
    np.testing.assert_allclose(near_h, limit_h, rtol=1e-10)


@pytest.mark.parametrize("backend", ["cpu", "jax"])
def test_outside_the_domain_gives_nan(backend):
    p = [0.0, -1.0, 1.0, np.nan, 1.0, 1.0, 1.0, 1.0]
    a = [1.0, 1.0, 0.0, 1.0, -1.0, np.inf, 1.0, 0.0]
    b = [0.0, 0.0, 1.0, 1.0, 1.0, 1.0, -2.0, 0.0]
    assert np.isnan(np.array(moments(backend, p, a, b))).all()
    assert np.isnan(fisher(backend, p, a, b)).all()


@pytest.mark.parametrize("backend", ["cpu", "jax"])
def test_scale_equivariance_over_extreme_ratios(backend):
    # Y ~ GIG(p, a, b)  =>  cY ~ GIG(p, a/c, b c): E log shifts by log c, E 1/Y and E Y scale.
    p = np.array([-3.0, -0.5, 0.0, 1.7, 25.0])
    c = np.array([1e-12, 1e-5, 1e3, 1e8, 1e12])
    base = np.array(moments(backend, p, 2.0, 3.0))
    scaled = np.array(moments(backend, p, 2.0 / c, 3.0 * c))
    np.testing.assert_allclose(scaled[0], base[0] + np.log(c), rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(scaled[1], base[1] / c, rtol=1e-13)
    np.testing.assert_allclose(scaled[2], base[2] * c, rtol=1e-13)
    hess, hess_scaled = fisher(backend, p, 2.0, 3.0), fisher(backend, p, 2.0 / c, 3.0 * c)
    factor = np.stack([np.ones_like(c), 1 / c, c], -1)
    np.testing.assert_allclose(hess_scaled, hess * factor[:, :, None] * factor[:, None, :], rtol=1e-12)


# ------------------------------------------------------------------------ η → θ
NAMED = np.array([[-0.5, 2.0, 1.0], [3.0, 0.5, 4.0], [-2.0, 1e-6, 1.0]])
INVALID_ETA = np.array([
    [0.0, 1.0, 1.0],          # E[1/Y] E[Y] = 1
    [0.0, 0.5, 1.5],          # E[1/Y] E[Y] < 1
    [1.0, 2.0, 2.0],          # E log Y >= log E[Y]
    [-1.0, 2.0, 2.0],         # E log Y <= -log E[1/Y]
    [np.nan, 2.0, 2.0],
    [0.0, -1.0, 2.0],
    [0.0, 2.0, np.inf],
])


def eta_to_theta(backend, eta, theta0, maxiter=500, tol=1e-10):
    """The kernel of ``backend``; the JAX twin compiled once for all tests (every call here has 10 rows)."""
    if backend == "cpu":
        return gig_cpu.gig_eta_to_theta(eta, theta0, maxiter, tol)
    return tuple(np.asarray(x) for x in JAX_ETA_TO_THETA(eta, np.broadcast_to(theta0, eta.shape), maxiter, tol))


@pytest.mark.parametrize("backend", ["cpu", "jax"])
def test_reference_cases_are_recovered_from_exact_eta(backend):
    eta = np.array([[float(x) for x in mp_derivatives(*row)[0]] for row in NAMED])
    padded = np.concatenate([eta, INVALID_ETA])
    params, converged, n_iter = eta_to_theta(backend, padded, np.nan)
    assert converged[:3].all()
    np.testing.assert_allclose(params[:3], NAMED, rtol=1e-8)


def round_trip_grid():
    p = np.array([-50.0, -20.0, -5.0, -1.0, -0.5, 0.0, 0.5, 1.0, 5.0, 20.0, 50.0])
    ratio = np.array([1e-8, 1e-4, 1.0, 1e4, 1e8])
    w = np.array([0.01, 0.1, 1.0, 10.0, 100.0])
    pp, rr, ww = (x.ravel() for x in np.meshgrid(p, ratio, w, indexing="ij"))
    return np.stack([pp, ww * np.sqrt(rr), ww / np.sqrt(rr)], -1)


def test_round_trips_are_as_accurate_as_the_conditioning_allows():
    truth = round_trip_grid()
    eta = np.stack(gig_cpu.gig_moments(*truth.T), -1)
    params, converged, _ = gig_cpu.gig_eta_to_theta(eta, np.nan, 500, 1e-10)
    assert converged.all()
    kappa = np.array([condition_number(*row) for row in truth])
    error = np.abs(params - truth) / np.maximum(np.abs(truth), [1.0, 0.0, 0.0])
    error = error.max(axis=1)
    assert (error <= 3e-14 * kappa).all(), np.c_[truth, kappa, error][error > 3e-14 * kappa]
    well_posed = kappa <= 3e3
    assert well_posed.sum() >= 40
    assert error[well_posed].max() <= 1e-10


def test_warm_start_reaches_the_same_solution_in_fewer_steps():
    truth = round_trip_grid()
    truth = truth[[condition_number(*row) <= 3e3 for row in truth]]
    eta = np.stack(gig_cpu.gig_moments(*truth.T), -1)
    cold, _, cold_steps = gig_cpu.gig_eta_to_theta(eta, np.nan, 500, 1e-10)
    warm, converged, warm_steps = gig_cpu.gig_eta_to_theta(eta, truth * 1.01, 500, 1e-10)
    assert converged.all()
    np.testing.assert_allclose(warm, cold, rtol=1e-10, atol=1e-12)
    assert warm_steps.mean() < cold_steps.mean()


@pytest.mark.parametrize("backend", ["cpu", "jax"])
def test_invalid_eta_gives_nan_and_not_converged(backend):
    padded = np.concatenate([INVALID_ETA, np.stack(gig_cpu.gig_moments([1.0, 2.0, 3.0], 1.0, 1.0), -1)])
    params, converged, n_iter = eta_to_theta(backend, padded, np.nan)
    assert np.isnan(params[:7]).all() and not converged[:7].any() and (n_iter[:7] == 0).all()
    assert converged[7:].all()


def test_flags_are_honest_when_the_budget_or_the_tolerance_is_not_met():
    eta = np.stack(gig_cpu.gig_moments([3.0, -1.2], [0.5, 0.4], [4.0, 2.5]), -1)
    params, converged, n_iter = gig_cpu.gig_eta_to_theta(eta, np.nan, 1, 1e-10)
    assert np.isfinite(params).all() and not converged.any() and (n_iter == 1).all()
    params, converged, _ = gig_cpu.gig_eta_to_theta(eta, np.nan, 500, 1e-300)
    assert np.isfinite(params).all()
    for row, target, ok in zip(params, eta, converged):
        e1, e2, e3 = gig_cpu.gig_moments(*row)
        residual = max(abs(e1 - target[0]), abs(e2 / target[1] - 1), abs(e3 / target[2] - 1))
        assert residual < 1e-14
        assert not ok or residual <= 1e-15


def test_batch_shapes_are_kept():
    eta = np.stack(gig_cpu.gig_moments([3.0, -1.2, 0.4, 2.0], [0.5, 0.4, 1.0, 2.0], [4.0, 2.5, 1.0, 0.5]), -1)
    params, converged, n_iter = gig_cpu.gig_eta_to_theta(eta.reshape(2, 2, 3), np.nan, 500, 1e-10)
    assert params.shape == (2, 2, 3) and converged.shape == (2, 2) and n_iter.shape == (2, 2)
    single, ok, steps = gig_cpu.gig_eta_to_theta(eta[1], np.nan, 500, 1e-10)
    assert single.shape == (3,) and ok.shape == () and steps.dtype == np.int64
    np.testing.assert_array_equal(single, params[0, 1])
