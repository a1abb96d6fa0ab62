"""Parity cases of the Bessel kernels (twins ``bessel_cpu.py`` / ``bessel_jax.py``).

Regular: the inputs of the speed floor F(n) (v in [-5, 5], z in [1e-3, 50]) and the
orders and arguments of typical GIG posteriors.  Extreme: the corners of the
documented domain |v| <= 500, 1e-300 <= z <= 1e300, both sides of the switch between
Temme's series and the quadrature (z = LOG_KV_SERIES_MAX_ARG, |v| =
LOG_KV_SERIES_MAX_ORDER), integer and half-integer orders, v = ±0, and the edge
values (NaN, z = 0, z < 0, z = inf, |v| = inf).

The twins evaluate the same formulas with different node bookkeeping (recurrences
in the numba twin, direct evaluation in the JAX twin), so they agree to a few units
in the last place of log K_v, of K_(v+1)/K_v and of ∂/∂v log K_v.  ∂/∂z log K_v and
∂²/∂v² log K_v are compared with an absolute floor as well: ∂/∂z log K_v is a
difference |v|/z - K_(v+1)/K_v, and ∂²/∂v² log K_v a centred second moment, both
exact only to about eps times their larger parts.
"""
import numpy as np

from normix._kernels._constants import LOG_KV_SERIES_MAX_ARG, LOG_KV_SERIES_MAX_ORDER

__all__ = ["CASES", "RTOL", "ATOL"]


def _regular():
    rng = np.random.default_rng(20240607)
    v = np.concatenate([rng.uniform(-5.0, 5.0, 48), rng.uniform(-60.0, 10.0, 16)])
    z = np.concatenate([np.exp(rng.uniform(np.log(1e-3), np.log(50.0), 48)), np.exp(rng.uniform(-5.0, 8.0, 16))])
    return v, z


def _extreme():
    zs = LOG_KV_SERIES_MAX_ARG
    vs = LOG_KV_SERIES_MAX_ORDER
    corners_v = np.repeat([0.0, -0.5, 1.0, 2.5, -7.25, 33.3, -100.0, 499.9, -500.0], 7)
    corners_z = np.tile([1e-300, 1e-150, 1e-10, 1.0, 1e5, 1e150, 1e300], 9)
    boundary_v = np.array([vs, -vs, vs + 1e-9, np.nextafter(vs, 0.0), 3.0, 0.25, -6.0, 6.0, 1e-9, -1e-9])
    boundary_z = np.array([zs, zs, zs, zs, np.nextafter(zs, 3.0), np.nextafter(zs, 0.0), 1e-5, 2.5, 1e-200, 50.0])
    special_v = np.array([0.5, -1.5, 10.5, 3.0, -4.0, 0.0, -0.0, 200.0, 1e-300, -3.5])
    special_z = np.array([0.7, 1e-20, 3e3, 1e-7, 40.0, 1e-300, 1e300, 1e-300, 2.0, 1e10])
    edge_v = np.array([np.nan, 1.0, 1.0, 1.0, 0.0, 2.0, -2.0, np.inf, -np.inf, -0.5, -0.7, np.inf, 0.0, 1.0])
    edge_z = np.array([1.0, np.nan, -1.0, 0.0, 0.0, np.inf, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, np.inf, -np.inf])
    v = np.concatenate([corners_v, boundary_v, special_v, edge_v])
    z = np.concatenate([corners_z, boundary_z, special_z, edge_z])
    return v, z


_REGULAR = _regular()
_EXTREME = _extreme()

CASES = {
    name: {"regular": _REGULAR, "extreme": _EXTREME}
    for name in ("log_kv", "log_kv_derivatives", "kv_ratio")
}

RTOL = {"log_kv": 1e-13, "log_kv_derivatives": 1e-12, "kv_ratio": 1e-13}
ATOL = {"log_kv": 0.0, "log_kv_derivatives": 1e-12, "kv_ratio": 0.0}
