"""Parity cases of the univariate-law kernels (twins ``univariate_cdf_cpu.py`` / ``univariate_cdf_jax.py``).

Laws (m, g, s, p, a, b): a real-data-like NIG (m = 5e-4, s = 1e-2), a unit NIG, VG with
shape below 1 (b = 0), NInvG with p = -1.05 (a = 0), GH with p = ±50.
Regular: x within a few scales of the centre, q in [1e-3, 1 - 1e-3].
Extreme: x out to 300 scales (log-probabilities down to ~-1e3), q from 1e-300 to
1 - 1e-16 (1e-12 to 1 - 1e-12 for NInvG, case "heavy").  Edges: x = ±inf, NaN, q = 0, 1, outside [0, 1], invalid laws (s = 0, a = b = 0,
Gamma with p <= 0).
"""
import numpy as np

__all__ = ["CASES", "RTOL", "ATOL"]

_LAWS = np.array([
    [5e-4, -2e-3, 1e-2, -0.5, 1.0, 1.0],
    [0.0, 0.5, 1.0, -0.5, 1.0, 1.0],
    [0.0, 0.3, 1.0, 0.6, 1.2, 0.0],
    [0.0, 0.2, 1.0, -1.05, 0.0, 2.0],
    [0.0, 1.0, 1.0, 50.0, 3.0, 2.0],
    [0.0, -1.0, 1.0, -50.0, 2.0, 30.0],
])


def _grid(points, relative, laws=_LAWS):
    """(point, m, g, s, p, a, b) over every law and point; x points are scaled by s (relative)."""
    law = np.repeat(laws, len(points), axis=0)
    v = np.tile(np.asarray(points, float), len(laws))
    if relative:
        v = law[:, 0] + v * law[:, 2]
    return (v,) + tuple(law.T.copy())


_EDGE_LAWS = np.array([
    [0.0, 0.5, 1.0, -0.5, 1.0, 1.0],
    [0.0, 0.5, 1.0, -0.5, 1.0, 1.0],
    [0.0, 0.5, 1.0, -0.5, 1.0, 1.0],
    [0.0, 0.5, 0.0, -0.5, 1.0, 1.0],
    [0.0, 0.5, 1.0, -0.5, 0.0, 0.0],
    [0.0, 0.5, 1.0, -0.5, 1.0, 0.0],
    [np.nan, 0.5, 1.0, -0.5, 1.0, 1.0],
])
_EDGE_X = (np.array([-np.inf, np.inf, np.nan, 0.0, 0.0, 0.0, 0.0]),) + tuple(_EDGE_LAWS.T.copy())
_EDGE_Q = (np.array([0.0, 1.0, np.nan, 0.5, 0.5, 0.5, 0.5]),) + tuple(_EDGE_LAWS.T.copy())
_EDGE_Q_OUT = (np.array([-0.1, 1.1, 2.0, 0.5, 0.5, 0.5, 0.5]),) + tuple(_EDGE_LAWS.T.copy())

_X_REGULAR = [-3.0, -1.0, -0.2, 0.0, 0.3, 1.0, 4.0]
_X_EXTREME = [-300.0, -40.0, -10.0, 10.0, 40.0, 300.0]
_Q_REGULAR = [1e-3, 0.1, 0.4, 0.5, 0.7, 0.999]
_Q_EXTREME = [1e-300, 1e-100, 1e-12, 1.0 - 1e-12, 1.0 - 1e-16]
# NInvG (a = 0) has a power-law tail on the side of g: beyond probabilities ~1e-12 there the
# normal factor is a step of width ~1/sqrt(x' g') in t that the trapezoid does not resolve
# (module docstring of univariate_cdf_cpu, "Limits"), so its extreme quantiles stop at 1e-12.
_LIGHT = _LAWS[:, 4] > 0.0
_Q_HEAVY = [1e-12, 1e-6, 1.0 - 1e-6, 1.0 - 1e-12]

CASES = {}
for _name in ("univariate_logcdf", "univariate_logsf"):
    CASES[_name] = {"regular": _grid(_X_REGULAR, True), "extreme": _grid(_X_EXTREME, True), "edges": _EDGE_X}
for _name in ("univariate_ppf", "univariate_isf"):
    CASES[_name] = {"regular": _grid(_Q_REGULAR, False), "extreme": _grid(_Q_EXTREME, False, _LAWS[_LIGHT]),
                    "heavy": _grid(_Q_HEAVY, False, _LAWS[~_LIGHT]), "edges": _EDGE_Q, "outside": _EDGE_Q_OUT}

RTOL = {"univariate_logcdf": 1e-11, "univariate_logsf": 1e-11, "univariate_ppf": 1e-11, "univariate_isf": 1e-11}
ATOL = {"univariate_logcdf": 1e-300, "univariate_logsf": 1e-300, "univariate_ppf": 1e-300, "univariate_isf": 1e-300}
