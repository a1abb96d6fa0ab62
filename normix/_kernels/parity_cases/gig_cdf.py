"""Parity cases of ``gig_cdf`` (twins ``gig_cdf_cpu.py`` / ``gig_cdf_jax.py``).

Regular: p in [-3, 3], a, b near 1, x from the lower tail to the upper tail.
Extreme: p = ±50, a/b from 1e-12 to 1e12, w = sqrt(ab) from 1e-6 to 1e4, x from
1e-6 to 1e6 times the scale sqrt(b/a) (deep tails included).  Edges: x <= 0 (0),
x = inf (1), NaN and invalid parameters (NaN).  The twins agree to about eps * w.
"""
import numpy as np

__all__ = ["CASES", "RTOL", "ATOL"]


def _grid(p, a, b, x_over_scale):
    p, a, b, t = (v.ravel() for v in np.meshgrid(*(np.asarray(v, float) for v in (p, a, b, x_over_scale)),
                                                   indexing="ij"))
    return p, a, b, t * np.sqrt(b / a)


_EDGES = (
    np.array([1.0, 1.0, 1.0, 1.0, np.nan, 1.0, 1.0, 1.0]),
    np.array([1.0, 1.0, 1.0, 1.0, 1.0, -1.0, 1.0, 0.0]),
    np.array([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, np.inf, 1.0]),
    np.array([0.0, -2.0, np.inf, np.nan, 1.0, 1.0, 1.0, 1.0]),
)

CASES = {
    "gig_cdf": {
        "regular": _grid([-3.0, -0.5, 0.0, 1.5, 3.0], [0.5, 2.0], [1.0, 3.0], [0.1, 0.5, 1.0, 2.0, 10.0]),
        "extreme": _grid([-50.0, -2.0, 0.5, 50.0], [1e-6, 1e4], [1e-6, 1e4], [1e-6, 0.9, 1.1, 1e6]),
        "edges": _EDGES,
    },
}

RTOL = {"gig_cdf": 1e-11}
ATOL = {"gig_cdf": 1e-15}
