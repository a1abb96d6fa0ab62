"""Parity cases of ``gig_log_partition_moments`` (twins ``gig_posterior_cpu.py`` / ``gig_posterior_jax.py``).

Regular: p in [-5, 5], w = sqrt(ab) in [0.1, 10], a/b in [1/4, 4] (the posteriors of
E-steps with missing entries, p - d_o/2 for several d_o).  Extreme: p from -50 to 50,
a/b from 1e-12 to 1e12, w from 1e-6 to 1e4.  Limits: b = 0 (Gamma), a = 0
(InverseGamma), and improper or invalid inputs (NaN).
"""
import numpy as np

__all__ = ["CASES", "RTOL", "ATOL"]


def _grid(p, ratio, w):
    p, ratio, w = np.meshgrid(np.asarray(p, float), np.asarray(ratio, float), np.asarray(w, float), indexing="ij")
    p, ratio, w = p.ravel(), ratio.ravel(), w.ravel()
    return p, w * np.sqrt(ratio), w / np.sqrt(ratio)


CASES = {
    "gig_log_partition_moments": {
        "regular": _grid(np.linspace(-5.0, 5.0, 21), [0.25, 1.0, 4.0], [0.1, 1.0, 10.0]),
        "extreme": _grid([-50.0, -10.5, -1.0, -0.5, 0.0, 0.5, 1.0, 2.5, 50.0], [1e-12, 1e-6, 1e6, 1e12],
                         [1e-6, 1e-2, 1e2, 1e4]),
        "limits": (np.array([2.0, 0.5, 3.0, -2.0, -0.5, 0.0, 0.0, -1.0, 1.0, np.nan]),
                   np.array([1.0, 2.0, 0.5, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0]),
                   np.array([0.0, 0.0, 0.0, 2.0, 1.0, 0.0, 1.0, 0.0, 1.0, 1.0])),
    },
}

RTOL = {"gig_log_partition_moments": 1e-13}
ATOL = {"gig_log_partition_moments": 1e-14}
