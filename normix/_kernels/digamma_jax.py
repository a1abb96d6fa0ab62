"""Inverse of ψ(α) − log α, pure-JAX twin (twin: ``digamma_cpu.py``).

Same algorithm as the numba twin: g(α) = ψ(α) − log α and α g'(α) from the
recurrence up to α + DIGAMMA_SHIFT and the asymptotic series DLMF 5.11.2
(directly from the series for α >= DIGAMMA_SHIFT), Newton's method in log α
from Minka's approximation for a fixed DIGAMMA_INV_NEWTON_STEPS steps
(applied as α ← α exp(−Δs)).
Branch-free: both regimes are evaluated with safe dummy inputs in the unused one,
so no NaN reaches values or derivatives; jit-able and vmappable.

The derivative is implicit (a custom JVP): dα/dc = 1/g'(α) = α / (α g'(α)),
exact at the root instead of differentiating through the iterations.  Where there
is no root (c >= 0, NaN, −inf) the derivative is 0, so that a caller masking those
points with ``jnp.where`` gets clean gradients.
"""
import jax
import jax.numpy as jnp

from normix._kernels._constants import DIGAMMA_INV_GUESS_SWITCH, DIGAMMA_INV_NEWTON_STEPS, DIGAMMA_SHIFT

__all__ = ["digamma_inv"]

_SHIFT_TERMS = int(DIGAMMA_SHIFT)


def _psi_minus_log_series(y):
    z = 1.0 / (y * y)
    series = z * (1.0 / 12.0 - z * (1.0 / 120.0 - z * (1.0 / 252.0 - z * (
        1.0 / 240.0 - z * (1.0 / 132.0 - z * (691.0 / 32760.0 - z / 12.0))))))
    return -0.5 / y - series


def _y_trigamma_minus_one_series(y):
    z = 1.0 / (y * y)
    series = z * (1.0 / 6.0 - z * (1.0 / 30.0 - z * (1.0 / 42.0 - z * (
        1.0 / 30.0 - z * (5.0 / 66.0 - z * (691.0 / 2730.0 - z * 7.0 / 6.0))))))
    return 0.5 / y + series


def _psi_minus_log(a):
    """(g, a g') for a > 0, as in ``digamma_cpu.psi_minus_log_scalar``."""
    large = a >= DIGAMMA_SHIFT
    a_large = jnp.where(large, a, DIGAMMA_SHIFT)
    a_small = jnp.where(large, 1.0, a)
    y = a_small + DIGAMMA_SHIFT
    inv_sum = jnp.zeros_like(a_small)
    sq_sum = jnp.zeros_like(a_small)
    for k in range(1, _SHIFT_TERMS):
        inv_sum = inv_sum + 1.0 / (a_small + k)
        sq_sum = sq_sum + a_small / ((a_small + k) * (a_small + k))
    g_small = jnp.log1p(DIGAMMA_SHIFT / a_small) + _psi_minus_log_series(y) - 1.0 / a_small - inv_sum
    ag_small = 1.0 / a_small - 1.0 + sq_sum + a_small * (1.0 + _y_trigamma_minus_one_series(y)) / y
    g = jnp.where(large, _psi_minus_log_series(a_large), g_small)
    a_gprime = jnp.where(large, _y_trigamma_minus_one_series(a_large), ag_small)
    return g, a_gprime


def _initial_guess(x):
    small = x < DIGAMMA_INV_GUESS_SWITCH
    xs = jnp.where(small, x, 1.0)
    xl = jnp.where(small, DIGAMMA_INV_GUESS_SWITCH, x)
    guess_small = (3.0 - xs + jnp.sqrt((xs - 3.0) * (xs - 3.0) + 24.0 * xs)) / (12.0 * xs)
    guess_large = 2.0 / (jnp.hypot(xl - 3.0, jnp.sqrt(24.0 * xl)) + xl - 3.0)
    return jnp.where(small, guess_small, guess_large)


def _solve(c):
    valid = (c < 0.0) & (c > -jnp.inf)
    c_safe = jnp.where(valid, c, -1.0)
    a = _initial_guess(-c_safe)
    for _ in range(DIGAMMA_INV_NEWTON_STEPS):
        g, a_gprime = _psi_minus_log(a)
        a = a * jnp.exp(-(g - c_safe) / a_gprime)
    return jnp.where(valid, a, jnp.where(c == -jnp.inf, 0.0, jnp.nan)), valid


@jax.custom_jvp
def _digamma_inv(c):
    return _solve(c)[0]


@_digamma_inv.defjvp
def _digamma_inv_jvp(primals, tangents):
    (c,), (dc,) = primals, tangents
    a, valid = _solve(c)
    a_safe = jnp.where(valid, a, 1.0)
    _, a_gprime = _psi_minus_log(a_safe)
    slope = jnp.where(valid, a_safe / a_gprime, 0.0)
    return a, slope * dc


@jax.jit
def digamma_inv(c):
    """Solve ψ(α) − log α = c elementwise for α > 0.

    Parameters
    ----------
    c : array_like
        Right-hand sides; a root exists for c < 0.

    Returns
    -------
    jax.Array
        float64 array of the shape of ``c``: the roots, NaN where c >= 0 or c is NaN,
        0 where c = −inf.  Accurate to ~1e-15 relative for −1e300 <= c <= −1e-300.
        Differentiable (implicit derivative dα/dc = 1/(ψ'(α) − 1/α); 0 where there is
        no root).
    """
    return _digamma_inv(jnp.asarray(c, dtype=jnp.float64))
