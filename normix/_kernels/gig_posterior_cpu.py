"""Log-partition and moments of GIG laws, elementwise, numba twin (twin: ``gig_posterior_jax.py``).

``gig_log_partition_moments(p, a, b)`` gives, broadcast over the inputs,

    (ψ(p, a, b), E log Y, E 1/Y, E Y),   ψ = log 2 + log K_p(√(ab)) + (p/2) log(b/a),

from one Bessel evaluation per element (:func:`normix._kernels.gig_core_cpu.first_order_scalar`),
with the Gamma (b = 0, p > 0) and InverseGamma (a = 0, p < 0) limits and NaN outside
the domain, as :func:`normix._kernels.gig_cpu.gig_moments`.  It serves E-steps whose
rows have posteriors of different orders and rates, e.g. rows with missing entries
(posterior GIG(p - d_o/2, a + A_o, b + Q_o), d_o the number of observed entries).
"""
import numpy as np

from normix._kernels._constants import LOG_KV_SERIAL_MAX_SIZE
from normix._kernels._numba import array_kernel, prange, readonly
from normix._kernels.gig_core_cpu import first_order_scalar

__all__ = ["gig_log_partition_moments"]


@array_kernel(LOG_KV_SERIAL_MAX_SIZE)
def _kernel(p, a, b, out):
    for i in prange(p.size):
        psi, _, e1, e2, e3, _, _, _ = first_order_scalar(p[i], a[i], b[i])
        out[0, i], out[1, i], out[2, i], out[3, i] = psi, e1, e2, e3


def gig_log_partition_moments(p, a, b):
    """(ψ, E log Y, E 1/Y, E Y) of GIG(p, a, b), each of the broadcast shape of the inputs.

    Edge values as :func:`normix._kernels.gig_cpu.gig_moments` (ψ is +inf-free: NaN where
    the law is improper or invalid).  Twin of
    :func:`normix._kernels.gig_posterior_jax.gig_log_partition_moments`.
    """
    p, a, b = np.broadcast_arrays(*(np.asarray(x, dtype=np.float64) for x in (p, a, b)))
    shape = p.shape
    p, a, b = readonly(*(np.ascontiguousarray(x).ravel() for x in (p, a, b)))
    out = np.empty((4, p.size))
    _kernel.run(p.size, p, a, b, out)
    return tuple(row.reshape(shape) for row in out)
