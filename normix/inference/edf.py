"""Statistics of the empirical distribution function of u_i = F(x_i) against the uniform law.

With u_(1) <= ... <= u_(n) the ordered values (Stephens 1974; D'Agostino and Stephens 1986, Ch. 4):

* Kolmogorov-Smirnov  D = max_i max(i/n − u_(i), u_(i) − (i − 1)/n);
* Cramér-von Mises    W² = 1/(12n) + Σ_i (u_(i) − (2i − 1)/(2n))²;
* Anderson-Darling    A² = −n − (1/n) Σ_i (2i − 1) [log u_(i) + log(1 − u_(n+1−i))].

A² is computed from log F and log(1 − F) as given (each exact in its own tail), so
points deep in either tail keep their weight instead of rounding u to 0 or 1.

References
----------
M. A. Stephens (1974), "EDF statistics for goodness of fit and some comparisons", JASA 69:730-737.
R. D'Agostino and M. A. Stephens (1986), "Goodness-of-Fit Techniques", Marcel Dekker.
"""
import numpy as np

TESTS = ("ks", "cvm", "ad")
TEST_NAMES = {"ks": "Kolmogorov-Smirnov", "cvm": "Cramér-von Mises", "ad": "Anderson-Darling"}


def edf_statistics(log_cdf, log_sf):
    """``{'ks', 'cvm', 'ad'}`` of the values u = exp(``log_cdf``) along the first axis.

    Parameters
    ----------
    log_cdf, log_sf : arrays of equal shape (n, ...)
        log F(x_i) and log(1 − F(x_i)) of the n points of each column.

    Returns
    -------
    dict of str to array of shape (...)
    """
    log_cdf = np.asarray(log_cdf, dtype=np.float64)
    log_sf = np.asarray(log_sf, dtype=np.float64)
    if log_cdf.shape != log_sf.shape or log_cdf.ndim < 1 or log_cdf.shape[0] < 1:
        raise ValueError(f"log_cdf and log_sf must have one equal shape (n, ...) with n >= 1, got {log_cdf.shape} "
                         f"and {log_sf.shape}")
    order = np.argsort(log_cdf, axis=0, kind="stable")
    lower = np.take_along_axis(log_cdf, order, axis=0)
    upper = np.take_along_axis(log_sf, order, axis=0)
    n = lower.shape[0]
    i = np.arange(1, n + 1, dtype=np.float64).reshape((n,) + (1,) * (lower.ndim - 1))
    u = np.exp(lower)
    ks = np.maximum(np.max(i / n - u, axis=0), np.max(u - (i - 1) / n, axis=0))
    cvm = 1.0 / (12 * n) + np.sum((u - (2 * i - 1) / (2 * n)) ** 2, axis=0)
    ad = -n - np.sum((2 * i - 1) * (lower + upper[::-1]), axis=0) / n
    return {"ks": ks, "cvm": cvm, "ad": ad}
