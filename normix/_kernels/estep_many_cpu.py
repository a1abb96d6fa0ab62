"""E-step statistics of many mixture problems in one call, numba twin (twin: ``estep_many_jax.py``).

A *problem* k is a model (mu_k, gamma_k, L_k, p_k, a_k, b_k) and the data set
``X[index[k]]``: several starting models on one data set (multi-start, ``index`` all
zero), one model per data set (bootstrap resamples, rolling windows), or any mix.
For each problem the result is :func:`normix._kernels.estep_cpu.estep_statistics` of
that model and data set: the same posterior and accumulation cores, the same fixed
partition of the rows into min(n, ``ESTEP_PARTS``) parts and the same order of the final
sums, and the rows whitened by the same forward substitution (multiplying by 1 / L_jj),
so the numbers equal K separate calls (bit for bit while the two whitenings stay alike)
and do not depend on the number of threads.

Work plan.  One ``prange`` loop runs over the K x parts (problem, part) pairs, so the
threads share the work across problems and across the rows of each problem at once (K
fits finish together instead of one after another).  The loop runs serially when each
problem has at most ``ESTEP_SERIAL_MAX_ROWS`` rows, the rule of the single-problem
kernel, so a many-problem call is parallel exactly when one call per problem would be.
Above ``ESTEP_FUSED_MAX_DIM`` the problems run one after another through the blocked
BLAS path of the single-problem kernel.
"""
import numpy as np

from normix._kernels._constants import ESTEP_FUSED_MAX_DIM, ESTEP_SERIAL_MAX_ROWS
from normix._kernels._numba import array_kernel, prange, readonly
from normix._kernels.estep_cpu import (
    N_SCALARS,
    accumulate_row,
    estep_statistics,
    model_setup,
    part_count,
    part_rows,
    posterior_scalar,
    statistics_from_sums,
    weighted_estep_statistics,
    whiten_row,
)

__all__ = ["estep_statistics_many", "weighted_estep_statistics_many"]

# Stand-in for the weights of an unweighted call (the kernel then never reads it).
NO_WEIGHTS = readonly(np.empty((0, 0)))[0]


@array_kernel(ESTEP_SERIAL_MAX_ROWS)
def _many_kernel(X, W, weighted, index, mu, gamma, L, p, a, b, acc):
    """acc[k, part] = sums of every statistic over the rows of ``part`` for problem k.

    When ``weighted`` every row's terms are multiplied by its weight ``W[index[k], i]``
    and rows of weight 0 are skipped.
    """
    K, d = mu.shape
    n = X.shape[1]
    parts = acc.shape[1]
    G = np.empty((K, d))
    inv_diag = np.empty((K, d))
    const = np.empty(K)
    nu = np.empty(K)
    alpha = np.empty(K)
    beta_min = np.empty(K)
    for k in range(K):
        g, c, v, al, bm = model_setup(mu[k], gamma[k], L[k], p[k], a[k], b[k])
        G[k, :] = g
        for j in range(d):
            inv_diag[k, j] = 1.0 / L[k, j, j]
        const[k], nu[k], alpha[k], beta_min[k] = c, v, al, bm
    for job in prange(K * parts):
        k = job // parts
        start, stop = part_rows(n, parts, job - k * parts)
        data = X[index[k]]
        z = np.empty(d)
        local = np.zeros(acc.shape[2])
        for i in range(start, stop):
            wt = W[index[k], i] if weighted else 1.0
            if wt == 0.0:
                continue
            q, lin = whiten_row(data, i, mu[k], L[k], inv_diag[k], G[k], z)
            psi, e1, e2, e3 = posterior_scalar(q, nu[k], alpha[k], b[k], beta_min[k])
            accumulate_row(local, data, i, wt, const[k] + psi + lin, e1, e2, e3, True)
        acc[k, job - k * parts, :] = local


def _inputs(X, index, mu, gamma, L_Sigma, p, a, b):
    X = np.ascontiguousarray(X, dtype=np.float64)
    if X.ndim != 3:
        raise ValueError(f"X must have shape (B, n, d) (B data sets of n rows), got shape {X.shape}")
    B, n, d = X.shape
    index = np.ascontiguousarray(index, dtype=np.int64)
    if index.ndim != 1:
        raise ValueError(f"index must have shape (K,), got shape {index.shape}")
    K = index.shape[0]
    if K and not (index.min() >= 0 and index.max() < B):
        raise ValueError(f"index must hold data set numbers in [0, {B}), got values in [{index.min()}, {index.max()}]")
    arrays = []
    for name, value, shape in (("mu", mu, (K, d)), ("gamma", gamma, (K, d)), ("L_Sigma", L_Sigma, (K, d, d)),
                               ("p", p, (K,)), ("a", a, (K,)), ("b", b, (K,))):
        value = np.ascontiguousarray(value, dtype=np.float64)
        if value.shape != shape:
            raise ValueError(f"{name} must have shape {shape} (one per problem), got shape {value.shape}")
        arrays.append(value)
    return tuple(readonly(X, index, *arrays))


def _fused(X, W, weighted, index, mu, gamma, L, p, a, b):
    K, d = mu.shape
    n = X.shape[1]
    acc = np.empty((K, part_count(n), N_SCALARS + 2 * d + d * (d + 1) // 2))
    _many_kernel.run(n, X, W, weighted, index, mu, gamma, L, p, a, b, acc)
    totals = np.sum(W, axis=1)[index] if weighted else np.full(K, float(n))
    outputs = [np.empty(K), np.empty(K), np.empty(K), np.empty((K, d)), np.empty((K, d)), np.empty((K, d, d)),
               np.empty(K)]
    lower = np.tril_indices(d)
    for k in range(K):
        total = acc[k].sum(axis=0)
        tri = np.zeros((d, d))
        tri[lower] = total[N_SCALARS + 2 * d :]
        for out, value in zip(outputs, statistics_from_sums(total[: N_SCALARS + 2 * d], tri, totals[k], d)):
            out[k] = value
    return tuple(outputs)


def _one_by_one(X, W, weighted, index, mu, gamma, L, p, a, b):
    def one(k):
        if weighted:
            return weighted_estep_statistics(X[index[k]], W[index[k]], mu[k], gamma[k], L[k], p[k], a[k], b[k])
        return estep_statistics(X[index[k]], mu[k], gamma[k], L[k], p[k], a[k], b[k])

    results = [one(k) for k in range(mu.shape[0])]
    return tuple(np.stack([np.asarray(r[j]) for r in results]) for j in range(7))


def _run(X, W, weighted, index, *params):
    run = _fused if X.shape[2] <= ESTEP_FUSED_MAX_DIM else _one_by_one
    return run(X, W, weighted, index, *params)


def estep_statistics_many(X, index, mu, gamma, L_Sigma, p, a, b):
    """E-step statistics and mean log-likelihoods of K problems (models on data sets), in one call.

    Problem k is the model (mu[k], gamma[k], L_Sigma[k], p[k], a[k], b[k]) on the rows of
    the data set ``X[index[k]]``; its results are those of
    :func:`normix._kernels.estep_cpu.estep_statistics` (bit-identical)::

        s1 = mean E[log Y | x]   s2 = mean E[1/Y | x]   s3 = mean E[Y | x]
        s4 = mean x              s5 = mean x E[1/Y | x]  S6 = mean x xᵀ E[1/Y | x]

    with the posterior GIG(p - d/2, a + γᵀΣ⁻¹γ, b + Q(x)) (McNeil, Frey & Embrechts 2005,
    Sect. 3.2.4) and the VG floor on b + Q described there.

    Parameters
    ----------
    X : array, shape (B, n, d)
        B data sets of n rows each (B = 1 for multi-start on one data set).
    index : int array, shape (K,)
        Data set of each problem, in [0, B).
    mu, gamma : array, shape (K, d)
    L_Sigma : array, shape (K, d, d)
        Lower Cholesky factors of the Sigma_k.
    p, a, b : array, shape (K,)
        Subordinators GIG(p_k, a_k, b_k) (b = 0: Gamma, a = 0: InverseGamma).

    Returns
    -------
    s1, s2, s3 : ndarray, shape (K,)
    s4, s5 : ndarray, shape (K, d)
    S6 : ndarray, shape (K, d, d)
    mean_log_likelihood : ndarray, shape (K,)

    Raises
    ------
    ValueError
        If a shape does not match (the message names the argument) or an index is out of range.

    Twin of :func:`normix._kernels.estep_many_jax.estep_statistics_many`.
    """
    X, index, *params = _inputs(X, index, mu, gamma, L_Sigma, p, a, b)
    return _run(X, NO_WEIGHTS, False, index, *params)


def weighted_estep_statistics_many(X, W, index, mu, gamma, L_Sigma, p, a, b):
    """Weighted E-step statistics of K problems in one call: problem k weighs the rows of ``X[index[k]]`` by ``W[index[k]]``.

    Each problem's results are those of
    :func:`normix._kernels.estep_cpu.weighted_estep_statistics` (weighted means
    Σ_i w_i t(x_i) / Σ_i w_i; rows of weight 0 skipped); other arguments and results as
    in :func:`estep_statistics_many`.

    Parameters
    ----------
    W : array, shape (B, n)
        Row weights of each data set, finite and >= 0 with a positive sum (not checked here).

    Twin of :func:`normix._kernels.estep_many_jax.weighted_estep_statistics_many`.
    """
    X, index, *params = _inputs(X, index, mu, gamma, L_Sigma, p, a, b)
    W = np.ascontiguousarray(W, dtype=np.float64)
    if W.shape != X.shape[:2]:
        raise ValueError(f"W must have shape {X.shape[:2]} (one weight per row of each data set), got shape {W.shape}")
    return _run(X, readonly(W)[0], True, index, *params)
