"""Gamma variates inside numba kernels: the method of Marsaglia & Tsang (2000).

For shape alpha >= 1, with d = alpha - 1/3 and c = 1/sqrt(9d), a standard normal x gives
the candidate ``d (1 + c x)**3``, accepted when ``1 + c x > 0`` and
``log U < x**2/2 + d (1 - v + log v)``, v = (1 + c x)**3; the squeeze
``U < 1 - 0.0331 x**4`` settles about 92 % of the candidates without a logarithm.  For
alpha < 1, ``Gamma(alpha + 1) * U**(1/alpha)`` is Gamma(alpha).  The method is exact and
its rejection rate is below 5 % for every alpha >= 1.  Normals come in pairs from
:func:`.stream_sampler_cpu.standard_normal_pair`, buffered so that both are used.

Reference
---------
G. Marsaglia and W. W. Tsang (2000), "A simple method for generating gamma variables",
ACM Transactions on Mathematical Software 26:363-372.
"""
import math

import numpy as np

from normix._kernels._numba import scalar_core
from normix._kernels.stream_sampler_cpu import standard_normal_pair, uniform

_NORMALS = 256
"""Normal variates generated per refill of the buffer (even)."""


@scalar_core
def standard_gamma_block(state, alpha, seg):
    """Fill seg with independent Gamma(alpha, 1) variates (alpha > 0) from the stream ``state``."""
    shape = alpha + 1.0 if alpha < 1.0 else alpha
    d = shape - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    normals = np.empty(_NORMALS)
    k = _NORMALS
    for i in range(seg.shape[0]):
        while True:
            if k == _NORMALS:
                for q in range(0, _NORMALS, 2):
                    normals[q], normals[q + 1] = standard_normal_pair(state)
                k = 0
            x = normals[k]
            k += 1
            t = 1.0 + c * x
            if t <= 0.0:
                continue
            v = t * t * t
            u = uniform(state)
            x2 = x * x
            if u < 1.0 - 0.0331 * x2 * x2 or math.log(u) < 0.5 * x2 + d * (1.0 - v + math.log(v)):
                seg[i] = d * v
                break
    if alpha < 1.0:
        for i in range(seg.shape[0]):
            seg[i] *= math.exp(math.log(uniform(state)) / alpha)
