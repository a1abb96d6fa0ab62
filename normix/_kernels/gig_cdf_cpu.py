"""Distribution function of the GIG law, numba twin (twin: ``gig_cdf_jax.py``).

With w = sqrt(ab), s = sqrt(b/a) and u = log(y/s), GIG(p, a, b) has the density
exp(h(u)) / (2 K_p(w)) in u, h(u) = p u - w cosh u (the integral over the line is
2 K_p(w), DLMF 10.32.9).  h is concave with its maximum at u* = asinh(p/w), so with
U = log(x/s) the probability is computed from the monotone piece that ends at U:

    U <= u*:  F(x) = exp(h(U) - log 2K_p(w)) ∫_{U-T}^{U} exp(h(u) - h(U)) du
    U >  u*:  F(x) = 1 - exp(h(U) - log 2K_p(w)) ∫_{U}^{U+T} exp(h(u) - h(U)) du

T is where h has dropped GIG_CDF_WINDOW_DROP below h(U) (bisection on a bracket
[0, T₀]; T₀ bounds the root from the quadratic minorant of the drop, or from the
overflow of cosh), and the integral is Gauss-Legendre with GIG_CDF_NODES nodes.
The lower tail keeps its relative accuracy however small F is; near 1 the accuracy
is absolute.  The relative error grows like eps (1 + w + |p U|), the rounding of
h(U) - log 2K_p(w).

Edge values: x <= 0 gives 0, x = +inf gives 1; NaN in x, or parameters outside
a, b > 0 finite, p finite, give NaN.
"""
import math

import numpy as np

from normix._kernels._constants import GIG_CDF_BISECTIONS, GIG_CDF_NODES, GIG_CDF_OVERFLOW_REACH, \
    GIG_CDF_SERIAL_MAX_SIZE, GIG_CDF_WINDOW_DROP, LOG_2
from normix._kernels._numba import array_kernel, prange, readonly, scalar_core
from normix._kernels.bessel_cpu import log_kv_scalar

__all__ = ["gig_cdf"]

_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(GIG_CDF_NODES)


@scalar_core
def _drop(p, w, u, h_u, step):
    """h(U) - h(U + step) for the log-density h(u) = p u - w cosh u (inf where cosh overflows)."""
    v = u + step
    return h_u - (p * v - w * math.cosh(v))


@scalar_core
def cdf_scalar(p, a, b, x):
    """P(Y <= x) for Y ~ GIG(p, a, b)."""
    if not (math.isfinite(p) and 0.0 < a < math.inf and 0.0 < b < math.inf) or math.isnan(x):
        return math.nan
    if x <= 0.0:
        return 0.0
    if x == math.inf:
        return 1.0
    sa = math.sqrt(a)
    sb = math.sqrt(b)
    w = sa * sb
    u = math.log(x) - (math.log(sb) - math.log(sa))
    sigma = -1.0 if u <= math.asinh(p / w) else 1.0
    h_u = p * u - w * math.cosh(u)
    slope = -sigma * (p - w * math.sinh(u))
    drop = GIG_CDF_WINDOW_DROP
    hi = min(2.0 * drop / (slope + math.sqrt(slope * slope + 2.0 * w * drop)), abs(u) + GIG_CDF_OVERFLOW_REACH)
    lo = 0.0
    for _ in range(GIG_CDF_BISECTIONS):
        mid = 0.5 * (lo + hi)
        if _drop(p, w, u, h_u, sigma * mid) >= drop:
            hi = mid
        else:
            lo = mid
    total = 0.0
    for k in range(_NODES.size):
        step = sigma * hi * 0.5 * (_NODES[k] + 1.0)
        total += _WEIGHTS[k] * math.exp(-_drop(p, w, u, h_u, step))
    piece = math.exp(h_u - LOG_2 - log_kv_scalar(p, w) + math.log(0.5 * hi * total))
    return piece if sigma < 0.0 else 1.0 - piece


@array_kernel(GIG_CDF_SERIAL_MAX_SIZE)
def _cdf_kernel(p, a, b, x, out):
    for i in prange(p.size):
        out[i] = cdf_scalar(p[i], a[i], b[i], x[i])


def gig_cdf(p, a, b, x):
    """P(Y <= x) for Y ~ GIG(p, a, b), elementwise over the broadcast of the inputs (float64)."""
    arrays = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (p, a, b, x)))
    shape = arrays[0].shape
    p, a, b, x = readonly(*(np.ascontiguousarray(v).ravel() for v in arrays))
    out = np.empty(p.size)
    _cdf_kernel.run(p.size, p, a, b, x, out)
    return out.reshape(shape)
