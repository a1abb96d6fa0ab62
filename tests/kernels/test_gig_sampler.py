"""gig_sample against independent references: scipy, a quadrature CDF and mpmath moments.

Every statistical check uses a fixed seed, so its outcome is fixed; the thresholds are
set so that a correct sampler passes with overwhelming probability over seeds (KS
p-value > 1e-3; moments within 5 standard errors, which Chebyshev alone makes a 4 %
event and the CLT a 6e-7 one) while a wrong law of practical size fails: every moment
tested has a tolerance below 5 % of its scale (coefficient of variation at most 4 at
n = 2e5).
"""
import math
import time

import mpmath as mp
import numba
import numpy as np
import pytest
import scipy.stats as st
from scipy.integrate import cumulative_simpson

from normix._kernels import gig_sampler_cpu
from normix._kernels._constants import GIG_SAMPLE_BLOCK
from normix._kernels.gig_sampler_cpu import gig_sample

KS_LEVEL = 1e-3


def gig_cdf(p, a, b, nodes=40001):
    """CDF of GIG(p, a, b) by Simpson quadrature of the density of u = log y.

    The density of u, ``exp(p u - (a e^u + b e^-u)/2)``, is log-concave; the grid spans
    where its log lies within 60 of the peak (searched outwards from the peak in steps
    doubling from min(1, curvature**-1/2)), so the mass left out is below 1e-20.
    Uses nothing of the sampler, only the density.
    """
    log_a, log_b = math.log(a), math.log(b)
    omega = math.exp(0.5 * (log_a + log_b))
    peak = math.log((p + math.hypot(p, omega)) / a) if p >= 0 else log_b - math.log(math.hypot(p, omega) - p)

    def log_f(u):
        return p * u - 0.5 * (np.exp(log_a + u) + np.exp(log_b - u))

    top = log_f(peak)
    curvature = 0.5 * (math.exp(log_a + peak) + math.exp(log_b - peak))
    ends = []
    for direction in (-1.0, 1.0):
        step = min(1.0, 1.0 / math.sqrt(curvature))
        while log_f(peak + direction * step) > top - 60.0:
            step *= 2.0
        ends.append(peak + direction * step)
    u = np.linspace(ends[0], ends[1], nodes)
    mass = cumulative_simpson(np.exp(log_f(u) - top), x=u, initial=0.0)
    mass /= mass[-1]
    return lambda y: np.interp(np.log(y), u, mass)


def exact_moments(p, a, b):
    """``[(E Y, Var Y), (E 1/Y, Var 1/Y), (E log Y, Var log Y)]`` from Bessel-K ratios (mpmath)."""
    with mp.workdps(30):
        omega, scale = mp.sqrt(mp.mpf(a) * b), mp.sqrt(mp.mpf(b) / a)

        def k(v):
            return mp.besselk(v, omega)

        def log_k(v):
            return mp.log(k(v))

        m1, m2 = scale * k(p + 1) / k(p), scale**2 * k(p + 2) / k(p)
        r1, r2 = k(p - 1) / k(p) / scale, k(p - 2) / k(p) / scale**2
        log_mean = mp.log(scale) + mp.diff(log_k, p)
        log_var = mp.diff(log_k, p, 2)
        pairs = [(m1, m2 - m1**2), (r1, r2 - r1**2), (log_mean, log_var)]
        return [(float(m), float(v)) for m, v in pairs]


# (p, a, b): the three methods, their boundaries, and the corners of p in [-50, 50],
# a, b in [1e-12, 1e12] and their ratios.
MODERATE = [
    (0.5, 1.0, 1.0),  # no shift, omega = 1
    (-0.5, 2.0, 3.0),  # mode shift
    (1.0, 1.0, 1.0),
    (2.0, 5.0, 5.0),
    (0.3, 0.2, 2.0),  # no shift, omega = 0.63
    (0.1, 0.01, 0.01),  # hat
    (-1.5, 1e-3, 1e3),
]
EXTREME = [
    (50.0, 1e-12, 1e-12),
    (-50.0, 1e12, 1e12),
    (50.0, 1e12, 1e-12),
    (-50.0, 1e-12, 1e12),
    (0.3, 1e12, 1e12),  # lam < 1, omega huge: mode shift
    (5.0, 1e12, 1e-12),
    (1.0 + 1e-9, 1e-12, 1e-12),  # mode shift next to its degenerate corner
    (1.0, 1e-12, 1e-12),
    (1.0 - 1e-9, 1e-12, 1e-12),  # hat next to lam = 1
    (0.0, 1e-12, 1e12),
    (0.0, 1e-12, 1e-12),
    (1e-6, 1e-12, 1e-12),
    (0.9, 1e-12, 1e-12),
    (-0.9, 1e12, 1e-12),
    (0.5, 1.0 + 1e-12, 1.0),  # just above the no-shift/shift boundary
    (0.75, 0.25, 1.0),  # omega = 1/2: no-shift/hat boundary
    (0.75, 0.25 - 1e-12, 1.0),
    (0.5, 1e-300, 1e-300),  # far below the documented range
    (3.0, 1e-300, 1e-300),
]


@pytest.mark.parametrize("p, a, b", MODERATE)
def test_ks_against_scipy(p, a, b):
    law = st.geninvgauss(p, math.sqrt(a * b), scale=math.sqrt(b / a))
    y = gig_sample(p, a, b, 2000, seed=11)
    assert st.kstest(y, law.cdf).pvalue > KS_LEVEL


@pytest.mark.parametrize("p, a, b", MODERATE + EXTREME)
def test_ks_against_quadrature(p, a, b):
    y = gig_sample(p, a, b, 20000, seed=12)
    assert st.kstest(y, gig_cdf(p, a, b)).pvalue > KS_LEVEL


@pytest.mark.parametrize("p, a, b", MODERATE)
def test_quadrature_reference_matches_scipy(p, a, b):
    law = st.geninvgauss(p, math.sqrt(a * b), scale=math.sqrt(b / a))
    y = law.ppf(np.linspace(0.01, 0.99, 25))
    np.testing.assert_allclose(gig_cdf(p, a, b)(y), law.cdf(y), atol=1e-7)


def test_ks_detects_a_wrong_law():
    y = gig_sample(0.5, 1.0, 1.0, 20000, seed=12)
    assert st.kstest(y, gig_cdf(0.55, 1.0, 1.0)).pvalue < KS_LEVEL


MOMENT_CASES = [
    (0.5, 1.0, 1.0),
    (-0.5, 2.0, 3.0),
    (2.0, 5.0, 5.0),
    (0.1, 0.01, 0.01),
    (0.3, 0.2, 2.0),
    (50.0, 1e-12, 1e-12),
    (-50.0, 1e12, 1e12),
    (0.3, 1e12, 1e12),
    (5.0, 1e12, 1e-12),
    (0.9, 1e-12, 1e-12),
    (0.0, 1e-12, 1e12),
    (-3.0, 1e-12, 1e12),
]


@pytest.mark.parametrize("p, a, b", MOMENT_CASES)
def test_moments_within_five_standard_errors(p, a, b):
    n = 200_000
    y = gig_sample(p, a, b, n, seed=13)
    samples = (y, 1.0 / y, np.log(y))
    tested = 0
    for sample, (mean, var), name in zip(samples, exact_moments(p, a, b), ("Y", "1/Y", "log Y")):
        if name != "log Y" and var > 16.0 * mean**2:
            continue  # heavy tail: the standard error says too little at this n
        tested += 1
        tol = 5.0 * math.sqrt(var / n)
        assert abs(sample.mean() - mean) <= tol, (name, sample.mean(), mean, tol)
    assert tested >= 2


@pytest.mark.parametrize("p", [0.01, 0.3, 1.0, 2.5, 50.0])
def test_b_zero_is_gamma(p):
    y = gig_sample(p, 3.0, 0.0, 20000, seed=14)
    assert st.kstest(y, st.gamma(p, scale=2.0 / 3.0).cdf).pvalue > KS_LEVEL


@pytest.mark.parametrize("p", [-0.01, -0.3, -1.0, -2.5, -50.0])
def test_a_zero_is_inverse_gamma(p):
    y = gig_sample(p, 0.0, 3.0, 20000, seed=15)
    assert st.kstest(y, st.invgamma(-p, scale=1.5).cdf).pvalue > KS_LEVEL


@pytest.mark.parametrize("p, a, b, law", [
    (2.0, 3.0, 1e-300, st.gamma(2.0, scale=2.0 / 3.0)),
    (0.4, 3.0, 1e-300, st.gamma(0.4, scale=2.0 / 3.0)),
    (-2.0, 1e-300, 3.0, st.invgamma(2.0, scale=1.5)),
])
def test_tiny_a_or_b_approaches_the_limit(p, a, b, law):
    # P(b/(2Y) > 1e-280) is far below 1e-100 here, so the laws agree to that level
    y = gig_sample(p, a, b, 20000, seed=16)
    assert st.kstest(y, law.cdf).pvalue > KS_LEVEL


def test_same_seed_same_sample_and_other_seed_other_sample():
    first = gig_sample(0.7, 2.0, 3.0, 1000, seed=5)
    np.testing.assert_array_equal(first, gig_sample(0.7, 2.0, 3.0, 1000, seed=5))
    np.testing.assert_array_equal(first, gig_sample(0.7, 2.0, 3.0, 1000, seed=np.random.SeedSequence(5)))
    assert not np.any(first == gig_sample(0.7, 2.0, 3.0, 1000, seed=6))


@pytest.mark.parametrize("p, a, b", [(0.5, 1.0, 1.0), (3.0, 2.0, 1.0), (0.1, 0.01, 0.01), (2.0, 1.0, 0.0)])
def test_a_sample_is_a_prefix_of_a_larger_one(p, a, b):
    block = GIG_SAMPLE_BLOCK
    big = gig_sample(p, a, b, 2 * block + 7, seed=8)
    for n in (1, 100, block, block + 3):
        np.testing.assert_array_equal(gig_sample(p, a, b, n, seed=8), big[:n])


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs two numba threads")
def test_sample_does_not_depend_on_thread_count():
    n = 5 * GIG_SAMPLE_BLOCK + 11
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        serial = gig_sample(-0.5, 2.0, 3.0, n, seed=9)
        numba.set_num_threads(2)
        parallel = gig_sample(-0.5, 2.0, 3.0, n, seed=9)
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(serial, parallel)


CORNERS = [
    (p, a, b)
    for p in (-50.0, -1.0, -1e-9, 0.0, 1e-9, 0.5, 1.0, 1.0 + 1e-9, 50.0)
    for a, b in ((1e-12, 1e-12), (1e-12, 1.0), (1e-12, 1e12), (1.0, 1e-12), (1.0, 1e12), (1e12, 1e-12), (1e12, 1e12))
]


def test_every_corner_is_fast_and_finite():
    gig_sample(0.5, 1.0, 1.0, 10, seed=0)
    for p, a, b in CORNERS:
        start = time.perf_counter()
        y = gig_sample(p, a, b, 20000, seed=10)
        elapsed = time.perf_counter() - start
        assert elapsed < 1.0, (p, a, b, elapsed)  # about 1-10 ms when the method is bounded
        assert np.all(np.isfinite(y)) and np.all(y > 0.0), (p, a, b)


@pytest.mark.parametrize("p, a, b", [(1e-9, 2.0, 0.0), (-1e-9, 0.0, 2.0), (60.0, 1e-300, 1e-300), (0.5, 1e300, 1e300)])
def test_limits_of_the_range_do_not_stall(p, a, b):
    y = gig_sample(p, a, b, 20000, seed=17)
    assert not np.any(np.isnan(y)) and np.all(y >= 0.0)


@pytest.mark.parametrize("kwargs, name", [
    (dict(p=0.5, a=-1.0, b=1.0), "a must be >= 0"),
    (dict(p=0.5, a=1.0, b=-1.0), "b must be >= 0"),
    (dict(p=math.nan, a=1.0, b=1.0), "p must be finite"),
    (dict(p=0.5, a=math.nan, b=1.0), "a must be finite"),
    (dict(p=0.5, a=1.0, b=math.inf), "b must be finite"),
    (dict(p=0.5, a=0.0, b=1.0), "a = 0"),
    (dict(p=0.0, a=0.0, b=1.0), "a = 0"),
    (dict(p=-0.5, a=1.0, b=0.0), "b = 0"),
    (dict(p=0.0, a=1.0, b=0.0), "b = 0"),
    (dict(p=-0.5, a=0.0, b=0.0), "a and b"),
    (dict(p=0.5, a=1e301, b=1e301), r"sqrt\(a\*b\)"),
    (dict(p="1", a=1.0, b=1.0), "p must be a real"),
    (dict(p=0.5, a=1.0, b=1.0, n=-1), "n must be >= 0"),
    (dict(p=0.5, a=1.0, b=1.0, n=2.5), "n must be an integer"),
])
def test_invalid_parameters_raise_naming_them(kwargs, name):
    kwargs.setdefault("n", 10)
    with pytest.raises(ValueError, match=name):
        gig_sample(**kwargs)


HAT_GRID = [
    (lam, omega)
    for lam in (0.0, 1e-12, 0.2, 0.5, 0.9, 1.0 - 1e-6, 1.0 - 1e-12)
    for omega in (1e-300, 1e-30, 1e-12, 1e-6, 1e-3, 0.1, 0.45)
    if omega < min(0.5, 2.0 / 3.0 * math.sqrt(1.0 - lam))
]


@pytest.mark.parametrize("lam, omega", HAT_GRID)
def test_hat_pieces_and_acceptance_rate(lam, omega):
    """The three hat pieces against mpmath, and the acceptance rate ∫g / ∫hat > 0.65."""
    got = gig_sampler_cpu._hat_setup(lam, math.log(omega))
    lx0, lxs, log_gm, weights = got[2], got[3], got[4], np.array(got[5:8])
    with mp.workdps(40):
        lam_, omega_ = mp.mpf(lam), mp.mpf(omega)

        def g(x):
            return x ** (lam_ - 1) * mp.exp(-omega_ / 2 * (x + 1 / x))

        x0 = omega_ / (1 - lam_)
        xs = max(x0, 2 / omega_)
        mode = omega_ / ((1 - lam_) + mp.sqrt((1 - lam_) ** 2 + omega_**2))
        middle = mp.log(xs / x0) if lam == 0.0 else (xs**lam_ - x0**lam_) / lam_
        areas = [g(mode) * x0, mp.exp(-omega_) * middle, xs ** (lam_ - 1) * 2 / omega_ * mp.exp(-omega_ * xs / 2)]
        rate = float(2 * mp.besselk(lam_, omega_) / sum(areas))
        expected = np.array([float(area / max(areas)) for area in areas])
        assert (lx0, lxs, log_gm) == pytest.approx((float(mp.log(x0)), float(mp.log(xs)), float(mp.log(g(mode)))), rel=1e-13)
    np.testing.assert_allclose(weights, expected, rtol=1e-11, atol=1e-300)
    assert 0.65 <= rate <= 1.0


def test_empty_sample():
    y = gig_sample(0.5, 1.0, 1.0, 0, seed=1)
    assert y.shape == (0,) and y.dtype == np.float64
