"""M-step of the normal part of a variance-mean mixture, numba twin (twin: ``mstep_jax.py``).

The complete-data model X | Y = y ~ N(mu + gamma y, Sigma y) has, given the row
averages of the posterior sufficient statistics (with w = E[1/Y | x])::

    s2 = mean E[1/Y | x],  s3 = mean E[Y | x],  s4 = mean x,  s5 = mean x w,  S6 = mean x x^T w,

the maximiser of the expected complete-data log-likelihood (McNeil, Frey & Embrechts
2005, "Quantitative Risk Management", Sect. 3.2.4)::

    D     = 1 - s2 s3
    mu    = (s4 - s3 s5) / D
    gamma = (s5 - s2 s4) / D
    Sigma = S6 - s5 mu^T - mu s5^T + s2 mu mu^T - s3 gamma gamma^T

returned with the lower Cholesky factor of Sigma.  The work is O(d^3) on one d x d
matrix, done in one compiled serial call: EM calls it once per iteration, and for the
small d of most fits the cost of a call (not the arithmetic) is what counts.
"""
import math

import numpy as np

from normix._kernels._numba import readonly, serial_kernel

__all__ = ["normal_m_step"]


@serial_kernel
def _m_step(s2, s3, s4, s5, S6, mu, gamma, L):
    d = s4.size
    D = 1.0 - s2 * s3
    for j in range(d):
        mu[j] = (s4[j] - s3 * s5[j]) / D
        gamma[j] = (s5[j] - s2 * s4[j]) / D
    ok = True
    for j in range(d):
        for k in range(j + 1):
            sym = 0.5 * (S6[j, k] + S6[k, j])
            s = (sym - s5[j] * mu[k] - mu[j] * s5[k] + s2 * mu[j] * mu[k] - s3 * gamma[j] * gamma[k])
            for m in range(k):
                s -= L[j, m] * L[k, m]
            if j == k:
                if not s > 0.0 or not math.isfinite(s):
                    ok = False
                    break
                L[j, j] = math.sqrt(s)
            else:
                L[j, k] = s / L[k, k]
        if not ok:
            break
    if ok:
        for j in range(d):
            for k in range(j + 1, d):
                L[j, k] = 0.0
            for k in range(j + 1):
                if not math.isfinite(L[j, k]):
                    ok = False
    if not ok:
        L[:, :] = math.nan


def normal_m_step(s2, s3, s4, s5, S6):
    """Closed-form update (mu, gamma, L_Sigma) of the normal part from averaged statistics.

    Parameters
    ----------
    s2, s3 : float or 0-d array
        mean E[1/Y | x] and mean E[Y | x].
    s4, s5 : array, shape (d,)
        mean x and mean x E[1/Y | x].
    S6 : array, shape (d, d)
        mean x x^T E[1/Y | x] (symmetrised before use).

    Returns
    -------
    mu, gamma : ndarray, shape (d,)
    L_Sigma : ndarray, shape (d, d)
        Lower Cholesky factor of Sigma (Cholesky-Banachiewicz, row by row).  When Sigma
        is not positive definite (too few or degenerate rows: a pivot <= 0) every entry
        is NaN, so that a caller testing the iterate for finiteness stops instead of
        continuing from a meaningless factor.  By Cauchy-Schwarz s2 s3 >= 1 for averages
        of posterior moments, so D < 0 except for degenerate data; D = 0 gives
        non-finite mu, gamma and a NaN factor.
    """
    s4 = np.ascontiguousarray(s4, dtype=np.float64)
    s5 = np.ascontiguousarray(s5, dtype=np.float64)
    S6 = np.ascontiguousarray(S6, dtype=np.float64)
    s4, s5, S6 = readonly(s4, s5, S6)
    d = s4.shape[0]
    mu = np.empty(d)
    gamma = np.empty(d)
    L = np.empty((d, d))
    _m_step(float(s2), float(s3), s4, s5, S6, mu, gamma, L)
    return mu, gamma, L
