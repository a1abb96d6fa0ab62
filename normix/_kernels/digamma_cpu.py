"""Inverse of ψ(α) − log α, numba twin (twin: ``digamma_jax.py``).

``digamma_inv(c)`` solves ψ(α) − log α = c for α > 0, the shape equation of the
Gamma and InverseGamma maximum-likelihood M-steps.  g(α) = ψ(α) − log α increases
from −∞ (α → 0) to 0 (α → ∞), so a root exists exactly for c < 0; c >= 0 and NaN
give NaN, c = −inf gives 0.

numba has no digamma, so the scalar cores here evaluate ψ and ψ' themselves
(DLMF 5.5.2 recurrence up to y = x + DIGAMMA_SHIFT, then the asymptotic series
DLMF 5.11.2 and its derivative).  g(α) and α g'(α) = α ψ'(α) − 1 are formed
directly from the series for α >= DIGAMMA_SHIFT, without subtracting log α, so
both keep full relative accuracy as c → 0⁻ (α → ∞).

Newton's method runs in s = log α (h(s) = g(e^s) − c is concave and increasing,
so the iteration is monotone after its first step) from Minka's approximation
α₀ = (3 − x + √((x − 3)² + 24x)) / (12x), x = −c (within 1.5 % of the root for
every c < 0), for a fixed DIGAMMA_INV_NEWTON_STEPS steps, as in the JAX twin.
The update is applied as α ← α exp(−Δs), never as exp(s): exp of a large s
would carry |s| ulps of error into α.
"""
import math

import numpy as np

from normix._kernels._constants import (
    DIGAMMA_INV_GUESS_SWITCH,
    DIGAMMA_INV_NEWTON_STEPS,
    DIGAMMA_INV_SERIAL_MAX_SIZE,
    DIGAMMA_SHIFT,
)
from normix._kernels._numba import array_kernel, prange, readonly, scalar_core

__all__ = ["digamma_inv"]


@scalar_core
def _psi_minus_log_series(y):
    """ψ(y) − log y for y >= DIGAMMA_SHIFT by DLMF 5.11.2 (Bernoulli terms to y⁻¹⁴)."""
    z = 1.0 / (y * y)
    series = z * (1.0 / 12.0 - z * (1.0 / 120.0 - z * (1.0 / 252.0 - z * (
        1.0 / 240.0 - z * (1.0 / 132.0 - z * (691.0 / 32760.0 - z / 12.0))))))
    return -0.5 / y - series


@scalar_core
def _y_trigamma_minus_one_series(y):
    """y ψ'(y) − 1 for y >= DIGAMMA_SHIFT, the derivative of DLMF 5.11.2 (terms to y⁻¹⁴)."""
    z = 1.0 / (y * y)
    series = z * (1.0 / 6.0 - z * (1.0 / 30.0 - z * (1.0 / 42.0 - z * (
        1.0 / 30.0 - z * (5.0 / 66.0 - z * (691.0 / 2730.0 - z * 7.0 / 6.0))))))
    return 0.5 / y + series


@scalar_core
def digamma_scalar(x):
    """ψ(x) for x > 0 (NaN otherwise): recurrence ψ(x) = ψ(x + 1) − 1/x, then DLMF 5.11.2."""
    if not x > 0.0:
        return math.nan
    if x >= DIGAMMA_SHIFT:
        return math.log(x) + _psi_minus_log_series(x)
    shift = 0.0
    for k in range(int(DIGAMMA_SHIFT)):
        shift += 1.0 / (x + k)
    y = x + DIGAMMA_SHIFT
    return math.log(y) + _psi_minus_log_series(y) - shift


@scalar_core
def trigamma_scalar(x):
    """ψ'(x) for x > 0 (NaN otherwise): recurrence ψ'(x) = ψ'(x + 1) + 1/x², then the series."""
    if not x > 0.0:
        return math.nan
    if x >= DIGAMMA_SHIFT:
        return (1.0 + _y_trigamma_minus_one_series(x)) / x
    shift = 0.0
    for k in range(int(DIGAMMA_SHIFT)):
        shift += 1.0 / ((x + k) * (x + k))
    y = x + DIGAMMA_SHIFT
    return (1.0 + _y_trigamma_minus_one_series(y)) / y + shift


@scalar_core
def psi_minus_log_scalar(a):
    """(g, a g') with g(a) = ψ(a) − log a and a g'(a) = a ψ'(a) − 1, for a > 0."""
    if a >= DIGAMMA_SHIFT:
        return _psi_minus_log_series(a), _y_trigamma_minus_one_series(a)
    y = a + DIGAMMA_SHIFT
    inv_sum = 0.0
    sq_sum = 0.0
    for k in range(1, int(DIGAMMA_SHIFT)):
        inv_sum += 1.0 / (a + k)
        sq_sum += a / ((a + k) * (a + k))
    g = math.log1p(DIGAMMA_SHIFT / a) + _psi_minus_log_series(y) - 1.0 / a - inv_sum
    a_gprime = 1.0 / a - 1.0 + sq_sum + a * (1.0 + _y_trigamma_minus_one_series(y)) / y
    return g, a_gprime


@scalar_core
def _initial_guess(x):
    """Minka's approximation of the root for x = −c > 0, in a form free of cancellation and overflow."""
    if x < DIGAMMA_INV_GUESS_SWITCH:
        return (3.0 - x + math.sqrt((x - 3.0) * (x - 3.0) + 24.0 * x)) / (12.0 * x)
    return 2.0 / (math.hypot(x - 3.0, math.sqrt(24.0 * x)) + x - 3.0)


@scalar_core
def digamma_inv_scalar(c):
    """α > 0 with ψ(α) − log α = c; NaN for c >= 0 or NaN, 0 for c = −inf."""
    if not c < 0.0:
        return math.nan
    if c == -math.inf:
        return 0.0
    a = _initial_guess(-c)
    for _ in range(DIGAMMA_INV_NEWTON_STEPS):
        g, a_gprime = psi_minus_log_scalar(a)
        a *= math.exp(-(g - c) / a_gprime)
    return a


@array_kernel(DIGAMMA_INV_SERIAL_MAX_SIZE)
def _digamma_inv_kernel(c, out):
    for i in prange(c.size):
        out[i] = digamma_inv_scalar(c[i])


def digamma_inv(c):
    """Solve ψ(α) − log α = c elementwise for α > 0.

    Parameters
    ----------
    c : array_like
        Right-hand sides; a root exists for c < 0.

    Returns
    -------
    numpy.ndarray
        float64 array of the shape of ``c``: the roots, NaN where c >= 0 or c is NaN,
        0 where c = −inf.  Accurate to ~1e-15 relative for −1e300 <= c <= −1e-300.
    """
    c = np.asarray(c, dtype=np.float64)
    (flat,) = readonly(np.ascontiguousarray(c).ravel())
    out = np.empty_like(flat)
    _digamma_inv_kernel.run(flat.size, flat, out)
    return out.reshape(c.shape)
