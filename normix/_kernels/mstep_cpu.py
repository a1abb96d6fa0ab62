"""M-step of the normal part of a variance-mean mixture, numpy twin (twin: ``mstep_jax.py``).

The complete-data model X | Y = y ~ N(mu + gamma y, Sigma y) has, given the row
averages of the posterior sufficient statistics (with w = E[1/Y | x])::

    s2 = mean E[1/Y | x],  s3 = mean E[Y | x],  s4 = mean x,  s5 = mean x w,  S6 = mean x x^T w,

the maximiser of the expected complete-data log-likelihood (McNeil, Frey & Embrechts
2005, "Quantitative Risk Management", Sect. 3.2.4)::

    D     = 1 - s2 s3
    mu    = (s4 - s3 s5) / D
    gamma = (s5 - s2 s4) / D
    Sigma = S6 - s5 mu^T - mu s5^T + s2 mu mu^T - s3 gamma gamma^T

returned with the lower Cholesky factor of Sigma.  The work is O(d^3) on d x d
matrices, so numpy's LAPACK calls serve; no numba is involved.
"""
import numpy as np

__all__ = ["normal_m_step"]


def normal_m_step(s2, s3, s4, s5, S6):
    """Closed-form update (mu, gamma, L_Sigma) of the normal part from averaged statistics.

    Parameters
    ----------
    s2, s3 : float or 0-d array
        mean E[1/Y | x] and mean E[Y | x].
    s4, s5 : array, shape (d,)
        mean x and mean x E[1/Y | x].
    S6 : array, shape (d, d)
        mean x x^T E[1/Y | x].

    Returns
    -------
    mu, gamma : ndarray, shape (d,)
    L_Sigma : ndarray, shape (d, d)
        Lower Cholesky factor of the symmetrised Sigma.  When Sigma is not positive
        definite (too few or degenerate rows), including a factor with a zero pivot,
        every entry is NaN, so that a caller
        testing the iterate for finiteness stops instead of continuing from a
        meaningless factor.  By Cauchy-Schwarz s2 s3 >= 1 for averages of posterior
        moments, so D < 0 except for degenerate data; D = 0 gives non-finite mu, gamma.
    """
    s2 = np.asarray(s2, dtype=np.float64)
    s3 = np.asarray(s3, dtype=np.float64)
    s4 = np.asarray(s4, dtype=np.float64)
    s5 = np.asarray(s5, dtype=np.float64)
    S6 = np.asarray(S6, dtype=np.float64)
    D = 1.0 - s2 * s3
    mu = (s4 - s3 * s5) / D
    gamma = (s5 - s2 * s4) / D
    cross = np.outer(s5, mu)
    sigma = S6 - cross - cross.T + s2 * np.outer(mu, mu) - s3 * np.outer(gamma, gamma)
    sigma = 0.5 * (sigma + sigma.T)
    try:
        L_Sigma = np.linalg.cholesky(sigma)
    except np.linalg.LinAlgError:
        L_Sigma = np.full_like(sigma, np.nan)
    if not (np.all(np.isfinite(L_Sigma)) and np.all(np.diagonal(L_Sigma) > 0.0)):
        L_Sigma = np.full_like(sigma, np.nan)
    return mu, gamma, L_Sigma
