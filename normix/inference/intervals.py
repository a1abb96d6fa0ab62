"""Bootstrap confidence intervals: percentile and BCa (bias-corrected and accelerated).

For replicates θ*_1..θ*_B of an estimate θ̂ and a level 1 − α:

* percentile: the α/2 and 1 − α/2 quantiles of the replicates;
* BCa (Efron 1987): the quantiles at the adjusted levels

      α_j = Φ(z₀ + (z₀ + z_j) / (1 − a (z₀ + z_j))),   z_j = Φ⁻¹(α/2), Φ⁻¹(1 − α/2),

  with the bias correction z₀ = Φ⁻¹(#{θ*_b < θ̂} / B) and the acceleration from
  jackknife values θ_(1)..θ_(G) with mean θ_(·),

      a = Σ (θ_(·) − θ_(g))³ / (6 [Σ (θ_(·) − θ_(g))²]^(3/2)).

Quantiles are ``numpy.quantile`` with its default (linear) interpolation.  Every function
works elementwise on arrays whose first axis runs over the replicates.

References
----------
B. Efron (1987), "Better bootstrap confidence intervals", JASA 82:171-185.
B. Efron and R. Tibshirani (1993), "An Introduction to the Bootstrap", Ch. 13-14.
"""
import numpy as np
from scipy.special import ndtr, ndtri


def check_level(level):
    """``level`` as a float in (0, 1), else ``ValueError``."""
    if isinstance(level, (bool, np.bool_)) or not isinstance(level, (int, float, np.integer, np.floating)) \
            or not 0 < float(level) < 1:
        raise ValueError(f"level must be a number in (0, 1), got {level!r}")
    return float(level)


def percentile_interval(replicates, level):
    """The (α/2, 1 − α/2) quantiles of ``replicates`` (shape (B, ...)), stacked: shape (2, ...)."""
    alpha = 1.0 - check_level(level)
    return np.quantile(np.asarray(replicates, dtype=np.float64), [alpha / 2, 1 - alpha / 2], axis=0)


def bias_correction(replicates, estimate):
    """z₀ = Φ⁻¹(#{θ*_b < θ̂} / B), elementwise.

    The share is kept in [1/(2B), 1 − 1/(2B)], so that z₀ stays finite when every
    replicate lies on one side of the estimate (the interval then reaches the extreme
    replicate on that side).
    """
    replicates = np.asarray(replicates, dtype=np.float64)
    B = replicates.shape[0]
    share = np.mean(replicates < np.asarray(estimate, dtype=np.float64), axis=0)
    return ndtri(np.clip(share, 0.5 / B, 1 - 0.5 / B))


def jackknife_acceleration(values):
    """a = Σ (θ_(·) − θ_(g))³ / (6 [Σ (θ_(·) − θ_(g))²]^(3/2)) over the first axis; 0 where the values agree."""
    values = np.asarray(values, dtype=np.float64)
    deviation = values.mean(axis=0) - values
    squares = np.sum(deviation ** 2, axis=0)
    cubes = np.sum(deviation ** 3, axis=0)
    safe = np.where(squares > 0, squares, 1.0)
    return np.where(squares > 0, cubes / (6.0 * safe ** 1.5), 0.0)


def bca_levels(z0, acceleration, level):
    """The adjusted levels (α₁, α₂), shape (2, ...), of the BCa interval.

    Where 1 − a (z₀ + z_j) <= 0 the formula has passed its pole and the level is its
    limit there, 1 if z₀ + z_j > 0 and 0 otherwise.
    """
    alpha = 1.0 - check_level(level)
    z0 = np.asarray(z0, dtype=np.float64)
    acceleration = np.asarray(acceleration, dtype=np.float64)
    levels = []
    for z in (ndtri(alpha / 2), ndtri(1 - alpha / 2)):
        shifted = z0 + z
        denominator = 1.0 - acceleration * shifted
        safe = np.where(denominator > 0, denominator, 1.0)
        levels.append(np.where(denominator > 0, ndtr(z0 + shifted / safe), np.where(shifted > 0, 1.0, 0.0)))
    return np.stack(levels)


def bca_interval(replicates, estimate, jackknife, level):
    """The BCa interval, shape (2, ...): quantiles of ``replicates`` at :func:`bca_levels`.

    Parameters
    ----------
    replicates : array, shape (B, ...)
    estimate : array, shape (...)
        θ̂ on the data.
    jackknife : array, shape (G, ...)
        Jackknife values θ_(g) (leave-one-out or grouped), for the acceleration.
    level : float
        Confidence level in (0, 1).
    """
    replicates = np.asarray(replicates, dtype=np.float64)
    levels = bca_levels(bias_correction(replicates, estimate), jackknife_acceleration(jackknife), level)
    flat = replicates.reshape(replicates.shape[0], -1)
    flat_levels = levels.reshape(2, -1)
    bounds = np.stack([np.quantile(flat[:, k], flat_levels[:, k]) for k in range(flat.shape[1])], axis=1)
    return bounds.reshape((2,) + replicates.shape[1:])
