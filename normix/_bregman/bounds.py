"""Open boxes of natural parameters and the reparameterisation that removes them.

``bounds`` is a sequence of ``(lo, hi)`` pairs, one per coordinate, ``None``
meaning unbounded on that side; the constraint is the *open* box lo < θ < hi
(log-partitions are usually infinite or undefined on the boundary).

Unconstrained solvers work in u with θ = T(u), coordinatewise:

* no bound:            θ = u
* lower bound only:    θ = lo + exp(u)
* upper bound only:    θ = hi − exp(u)
* both:                θ = lo + (hi − lo) σ(u),  σ(u) = (1 + tanh(u/2))/2

Every function takes the array module ``xp`` (``numpy`` or ``jax.numpy``) so the
scipy and the JAX solvers share one definition.  Unused branches get safe dummy
inputs, so the JAX versions differentiate without NaN.
"""
import math

import numpy as np

from normix._kernels._constants import BREGMAN_BOUND_MARGIN


def box(bounds, size):
    """Lower and upper bound arrays (±inf where unbounded) of ``bounds`` for a θ of length ``size``."""
    lo = np.full(size, -math.inf)
    hi = np.full(size, math.inf)
    if bounds is None:
        return lo, hi
    if len(bounds) != size:
        raise ValueError(f"bounds must have one (lo, hi) pair per coordinate ({size}), got {len(bounds)}")
    for i, pair in enumerate(bounds):
        if len(pair) != 2:
            raise ValueError(f"bounds[{i}] must be a (lo, hi) pair, got {pair!r}")
        low, high = pair
        lo[i] = -math.inf if low is None else float(low)
        hi[i] = math.inf if high is None else float(high)
        if not lo[i] < hi[i]:
            raise ValueError(f"bounds[{i}] must satisfy lo < hi, got {pair!r}")
    return lo, hi


def is_unbounded(lo, hi):
    """Whether the box is the whole space."""
    return bool(np.all(np.isinf(lo)) and np.all(np.isinf(hi)))


def closed_box(lo, hi):
    """The closed box [lo + m, hi − m] inside the open one, m = BREGMAN_BOUND_MARGIN · max(1, |bound|).

    For solvers (L-BFGS-B) that may step exactly onto a bound.
    """
    lo0 = np.where(np.isfinite(lo), lo, 0.0)
    hi0 = np.where(np.isfinite(hi), hi, 0.0)
    lower = np.where(np.isfinite(lo), lo0 + BREGMAN_BOUND_MARGIN * np.maximum(1.0, np.abs(lo0)), lo)
    upper = np.where(np.isfinite(hi), hi0 - BREGMAN_BOUND_MARGIN * np.maximum(1.0, np.abs(hi0)), hi)
    return lower, upper


def _kinds(lo, hi):
    has_lo = np.isfinite(lo)
    has_hi = np.isfinite(hi)
    return has_lo & ~has_hi, ~has_lo & has_hi, has_lo & has_hi


def to_unconstrained(theta, lo, hi, xp):
    """u = T⁻¹(θ) for θ strictly inside the box."""
    lower, upper, both = _kinds(lo, hi)
    lo0 = np.where(np.isfinite(lo), lo, 0.0)
    hi0 = np.where(np.isfinite(hi), hi, 0.0)
    width = np.where(both, hi0 - lo0, 1.0)
    gap_lo = xp.where(lower, theta - lo0, 1.0)
    gap_hi = xp.where(upper, hi0 - theta, 1.0)
    frac = xp.where(both, (theta - lo0) / width, 0.5)
    return xp.where(
        lower, xp.log(gap_lo), xp.where(upper, xp.log(gap_hi), xp.where(both, xp.log(frac / (1.0 - frac)), theta))
    )


def from_unconstrained(u, lo, hi, xp):
    """θ = T(u) and the diagonal of its Jacobian, T'(u)."""
    lower, upper, both = _kinds(lo, hi)
    lo0 = np.where(np.isfinite(lo), lo, 0.0)
    hi0 = np.where(np.isfinite(hi), hi, 0.0)
    width = np.where(both, hi0 - lo0, 0.0)
    e = xp.exp(xp.where(lower | upper, u, 0.0))
    s = 0.5 * (1.0 + xp.tanh(0.5 * xp.where(both, u, 0.0)))
    ds = width * s * (1.0 - s)
    theta = xp.where(lower, lo0 + e, xp.where(upper, hi0 - e, xp.where(both, lo0 + width * s, u)))
    d1 = xp.where(lower, e, xp.where(upper, -e, xp.where(both, ds, 1.0)))
    return theta, d1


def strictly_inside(theta, lo, hi):
    """Elementwise lo < θ < hi (false for NaN); works on numpy arrays and JAX values."""
    return (theta > lo) & (theta < hi)
