"""The ratio-of-uniforms rectangles and squeeze of the GIG sampler, checked with mpmath.

Exactness of a ratio-of-uniforms method rests on its setup: the rectangle must contain
the region ``{(u, v): 0 < v <= sqrt(f(u/v))}`` and the squeeze must lie inside it.  These
tests evaluate the densities independently with mpmath (from the formulas, not from the
kernel's rearranged ones) and also check that the bounds are attained (so the rectangle is
the optimal one) and that the acceptance rate is bounded away from 0 over each regime.
"""
import mpmath as mp
import numpy as np
import pytest

from normix._kernels.gig_rou_sampler_cpu import rou_setup, rou_shift_setup

SHIFT_GRID = [
    (lam, omega)
    for lam in (0.0, 0.5, 0.999, 1.0, 1.0 + 1e-12, 1.5, 2.0, 10.0, 50.0)
    for omega in (1e-300, 1e-12, 1e-3, 0.5, 1.0 + 1e-9, 3.0, 1e3, 1e12, 1e300)
    if lam >= 1.0 or omega > 1.0
]
ROU_GRID = [
    (lam, omega)
    for lam in (0.0, 1e-9, 0.3, 0.75, 0.99, 1.0 - 1e-9)
    for omega in (1e-4, 0.05, 0.3, 0.5, 0.8, 1.0)
    if omega >= min(0.5, 2.0 / 3.0 * (1.0 - lam) ** 0.5)
]


def z_log_density(lam, omega):
    """log of ``z**(lam-1) exp(-z/2 - omega**2/(2z))`` and its mode (at the working precision)."""
    lam, omega = mp.mpf(lam), mp.mpf(omega)
    mode = (lam - 1) + mp.sqrt((lam - 1) ** 2 + omega**2)

    def log_f(z):
        return (lam - 1) * mp.log(z) - z / 2 - omega**2 / (2 * z)

    return log_f, mode


def shift_u(lam, omega, tau):
    """``tau sqrt(h(tau))`` with h the z-density over its value at the mode.

    log h is a difference of terms of size ~omega that is O(1) where it matters: 40 digits
    plus log10(omega) keep it exact.
    """
    with mp.workdps(40 + int(max(0.0, np.log10(omega)))):
        log_f, mode = z_log_density(lam, omega)
        tau = mp.mpf(tau)
        return float(tau * mp.exp((log_f(mode + tau) - log_f(mode)) / 2)), float(mode)


@pytest.mark.parametrize("lam, omega", SHIFT_GRID)
def test_shift_rectangle_holds_the_region_and_is_tight(lam, omega):
    l1, mu, u_lo, u_width, tau_lo, tau_hi, k_lo, k_hi = rou_shift_setup(lam, omega)
    u_hi = u_lo + u_width
    _, mode = shift_u(lam, omega, 0.0)
    assert mu == pytest.approx(mode, rel=1e-14)
    for tau_root, bound in ((tau_hi, u_hi), (tau_lo, u_lo)):
        taus = tau_root * (1.0 + np.linspace(-0.3, 0.3, 61))
        us = [shift_u(lam, omega, t)[0] for t in taus if t > -mu]
        extreme = max(us) if bound > 0 else min(us)
        # the bound holds every value, and is attained (the rectangle is the smallest one)
        assert abs(extreme) <= abs(bound) * (1.0 + 1e-12) + 1e-300
        assert abs(shift_u(lam, omega, tau_root)[0] - bound) <= 1e-12 * u_width
    coarse = np.concatenate([-mu * np.geomspace(1e-12, 1.0, 50)[:-1], np.geomspace(1e-6, 1e3, 80) * max(1.0, tau_hi)])
    us = np.array([shift_u(lam, omega, t)[0] for t in coarse])
    assert us.max() <= u_hi * (1.0 + 1e-12) and us.min() >= u_lo * (1.0 + 1e-12) - 1e-300


@pytest.mark.parametrize("lam, omega", SHIFT_GRID)
def test_shift_squeeze_lies_inside_the_region(lam, omega):
    l1, mu, u_lo, u_width, tau_lo, tau_hi, k_lo, k_hi = rou_shift_setup(lam, omega)
    for u_end, slope in ((u_lo + u_width, k_hi), (u_lo, k_lo)):
        for t in np.linspace(0.01, 0.99, 50):
            u = t * u_end
            v = 1.0 - u * slope  # on the squeeze's upper edge
            if u == 0.0:
                continue
            sqrt_h = shift_u(lam, omega, u / v)[0] / (u / v)
            assert v <= sqrt_h * (1.0 + 1e-12)


@pytest.mark.parametrize("lam, omega", [(lam, omega) for lam, omega in SHIFT_GRID if 1e-12 <= omega <= 1e12])
def test_shift_acceptance_rate_is_bounded(lam, omega):
    l1, mu, u_lo, u_width, *_ = rou_shift_setup(lam, omega)
    with mp.workdps(40 + int(max(0.0, np.log10(omega)))):
        log_f, mode = z_log_density(lam, omega)
        # the region has area (1/2) ∫ h; ∫ z**(lam-1) exp(-z/2 - omega**2/(2z)) dz = 2 omega**lam K_lam(omega)
        area = mp.mpf(omega) ** lam * mp.besselk(lam, omega) * mp.exp(-log_f(mode))
        rate = float(area / u_width)
    assert 0.65 <= rate <= 1.0


def rou_log_g(lam, omega):
    lam, omega = mp.mpf(lam), mp.mpf(omega)
    return lambda x: (lam - 1) * mp.log(x) - omega / 2 * (x + 1 / x)


@pytest.mark.parametrize("lam, omega", ROU_GRID)
def test_rou_rectangle_holds_the_region_and_acceptance_is_bounded(lam, omega):
    l1, omega_, log_gm, u_max = rou_setup(lam, omega)
    with mp.workdps(30):
        log_g = rou_log_g(lam, omega)
        mode = omega / ((1 - mp.mpf(lam)) + mp.sqrt((1 - mp.mpf(lam)) ** 2 + mp.mpf(omega) ** 2))
        assert log_gm == pytest.approx(float(log_g(mode)), rel=1e-13, abs=1e-13)
        xs = mp.mpf(u_max) * np.geomspace(1e-3, 1e3, 400)
        us = [float(x * mp.exp((log_g(x) - log_g(mode)) / 2)) for x in xs]
        assert max(us) <= u_max * (1.0 + 1e-12) and max(us) >= u_max * (1.0 - 1e-3)
        area = mp.besselk(lam, omega) * mp.exp(-log_g(mode))  # (1/2) ∫ g / g(mode)
        rate = float(area / u_max)
    assert 0.65 <= rate <= 1.0
