"""Fused E-step of the normal variance-mean mixture, numba twin (twin: ``estep_jax.py``).

The mixture is X = mu + gamma Y + sqrt(Y) Z with Z ~ N(0, Sigma) and the
subordinator Y ~ GIG(p, a, b) (a = 0: InverseGamma, b = 0: Gamma).  With
Sigma = L Lᵀ, z_i = L⁻¹(x_i - mu), g = L⁻¹ gamma and

    Q_i = |z_i|²,   A = |g|²,   lin_i = z_i · g,

the posterior of Y given x_i is GIG(nu, alpha, beta_i) with nu = p - d/2,
alpha = a + A, beta_i = b + Q_i, and (McNeil, Frey & Embrechts 2005, Sect. 3.2)

    log f(x_i) = -(d/2) log 2π - Σ_j log L_jj - ψ(p, a, b) + ψ(nu, alpha, beta_i) + lin_i,

where ψ(p, a, b) = log ∫ y^(p-1) exp(-(a y + b/y)/2) dy is the GIG log-partition
(with its Gamma and InverseGamma limits).  One GIG evaluation per row
(:func:`normix._kernels.gig_core_cpu.first_order_scalar`, one Bessel call) gives
ψ and the posterior moments E[log Y | x], E[1/Y | x], E[Y | x] together.

The VG singularity.  With b = 0 a row at x = mu has beta = 0: the posterior is
Gamma(nu, alpha/2), improper for nu <= 0 (then f(mu) = +inf, which
:func:`mixture_log_density` returns) and without E[1/Y] for nu <= 1.  The
statistics (:func:`posterior_moments`, :func:`estep_statistics`) raise beta to
``ESTEP_VG_B_FLOOR * d / alpha`` (see :mod:`normix._kernels._constants`), which changes
nothing unless b is below that floor: VG, and GH or NIG fits that approach the VG
limit (b ~ 1e-100), where mu can move onto a data row and E[1/Y | x] of that row would
overflow; they are exact everywhere else.

Work plan.  For d <= ``ESTEP_FUSED_MAX_DIM`` one ``prange`` pass whitens each row by
forward substitution, runs the GIG core and accumulates every statistic, S6's lower
triangle included.  For larger d three passes: BLAS whitens blocks of
``ESTEP_BLOCK_ROWS`` rows (trsm) and stores Q and lin, one ``prange`` pass does the
GIG work, and BLAS adds S6 block by block (syrk of sqrt(w) ⊙ X); in separate passes,
OpenBLAS's idle threads compete with numba's once per call rather than on every block.
The ``prange`` loops run over min(n, ``ESTEP_PARTS``) contiguous parts of the rows, each
summed serially into its own accumulator and the parts added in order, so results are
bit-identical for any ``NUMBA_NUM_THREADS``; up to ``ESTEP_SERIAL_MAX_ROWS`` rows the
serial variant of each kernel runs them (:func:`normix._kernels._numba.array_kernel`).
Nothing of size (n, d, d) is built; the extra memory is the part accumulators and,
above ``ESTEP_FUSED_MAX_DIM``, one (``ESTEP_BLOCK_ROWS``, d) buffer and three n-vectors.
"""
import math

import numpy as np
from scipy.linalg.blas import dsyrk, dtrsm

from normix._kernels._constants import (
    ESTEP_BLOCK_ROWS,
    ESTEP_FUSED_MAX_DIM,
    ESTEP_PARTS,
    ESTEP_SERIAL_MAX_ROWS,
    ESTEP_VG_B_FLOOR,
    HALF_LOG_2PI,
)
from normix._kernels._numba import array_kernel, prange, readonly, scalar_core
from normix._kernels.gig_core_cpu import first_order_scalar

__all__ = ["mixture_log_density", "posterior_moments", "estep_statistics", "weighted_estep_statistics"]

# Accumulator slots before the d-vectors: sums of E log Y, E 1/Y, E Y, log f.
N_SCALARS = 4


@scalar_core
def model_setup(mu, gamma, L, p, a, b):
    """(g, const, nu, alpha, beta_min): whitened gamma, log f's row-free part, posterior order and a, stats floor."""
    d = mu.size
    g = np.empty(d)
    log_det = 0.0
    alpha = a
    for j in range(d):
        s = gamma[j]
        for k in range(j):
            s -= L[j, k] * g[k]
        g[j] = s / L[j, j]
        alpha += g[j] * g[j]
        log_det += math.log(L[j, j])
    const = -d * HALF_LOG_2PI - log_det - first_order_scalar(p, a, b)[0]
    beta_min = ESTEP_VG_B_FLOOR * d / alpha if alpha > 0.0 else 0.0
    return g, const, p - 0.5 * d, alpha, beta_min


@scalar_core
def posterior_scalar(q, nu, alpha, b, beta_min):
    """(ψ, E log Y, E 1/Y, E Y) of the posterior GIG(nu, alpha, max(b + q, beta_min)).

    beta = 0 with nu <= 0 is an improper posterior: ψ = +inf, the true log-partition.
    """
    beta = max(b + q, beta_min)
    psi, _, e1, e2, e3, _, _, _ = first_order_scalar(nu, alpha, beta)
    if beta == 0.0 and nu <= 0.0:
        psi = math.inf
    return psi, e1, e2, e3


@scalar_core
def part_rows(n, parts, k):
    """Rows [start, stop) of part k when n rows are cut into ``parts`` contiguous parts."""
    return k * n // parts, (k + 1) * n // parts


@scalar_core
def _inverse_diagonal(L):
    """1 / L_jj, so that the forward substitution of every row multiplies instead of dividing."""
    inv = np.empty(L.shape[0])
    for j in range(L.shape[0]):
        inv[j] = 1.0 / L[j, j]
    return inv


@scalar_core
def whiten_row(X, i, mu, L, inv_diag, g, z):
    """(Q, lin) of row i by forward substitution L z = x_i - mu (z is scratch; inv_diag = 1 / diag(L))."""
    q = 0.0
    lin = 0.0
    for j in range(mu.size):
        s = X[i, j] - mu[j]
        for k in range(j):
            s -= L[j, k] * z[k]
        z[j] = s * inv_diag[j]
        q += z[j] * z[j]
        lin += z[j] * g[j]
    return q, lin


@array_kernel(ESTEP_SERIAL_MAX_ROWS)
def _rows_kernel(X, mu, L, gamma, p, a, b, floored, parts, out):
    """Per-row (log f or moments): out[0] = log f (``floored`` False) or out[0:3] = moments."""
    g, const, nu, alpha, beta_min = model_setup(mu, gamma, L, p, a, b)
    if not floored:
        beta_min = 0.0
    inv_diag = _inverse_diagonal(L)
    n = X.shape[0]
    for k in prange(parts):
        z = np.empty(mu.size)
        start, stop = part_rows(n, parts, k)
        for i in range(start, stop):
            q, lin = whiten_row(X, i, mu, L, inv_diag, g, z)
            psi, e1, e2, e3 = posterior_scalar(q, nu, alpha, b, beta_min)
            if floored:
                out[0, i], out[1, i], out[2, i] = e1, e2, e3
            else:
                out[0, i] = const + psi + lin


@scalar_core
def row_weight(w, weighted, i):
    """Weight of row i: ``w[i]`` when ``weighted``, else 1 (multiplying by it then changes no bit)."""
    return w[i] if weighted else 1.0


@scalar_core
def accumulate_row(acc, X, i, wt, psi_lin, e1, e2, e3, with_gram):
    """Add row i's terms, times its weight ``wt``, to one part's accumulator ``acc``.

    Scalars, s4, s5 and, if asked, S6's lower triangle by rows.
    """
    d = X.shape[1]
    we2 = wt * e2
    acc[0] += wt * e1
    acc[1] += we2
    acc[2] += wt * e3
    acc[3] += wt * psi_lin
    for j in range(d):
        x = X[i, j]
        acc[N_SCALARS + j] += wt * x
        acc[N_SCALARS + d + j] += x * we2
    if with_gram:
        off = N_SCALARS + 2 * d
        for j in range(d):
            wx = X[i, j] * we2
            row = off + j * (j + 1) // 2
            for k in range(j + 1):
                acc[row + k] += wx * X[i, k]


@array_kernel(ESTEP_SERIAL_MAX_ROWS)
def _fused_kernel(X, w, weighted, mu, L, gamma, p, a, b, acc):
    """Per-part sums of every statistic (times the row weights when ``weighted``), whitening and S6 in one pass.

    A row of weight 0 is skipped: it adds nothing, even where its own terms are not finite.
    """
    g, const, nu, alpha, beta_min = model_setup(mu, gamma, L, p, a, b)
    inv_diag = _inverse_diagonal(L)
    n = X.shape[0]
    parts = acc.shape[0]
    for k in prange(parts):
        z = np.empty(mu.size)
        local = np.zeros(acc.shape[1])
        start, stop = part_rows(n, parts, k)
        for i in range(start, stop):
            wt = row_weight(w, weighted, i)
            if wt == 0.0:
                continue
            q, lin = whiten_row(X, i, mu, L, inv_diag, g, z)
            psi, e1, e2, e3 = posterior_scalar(q, nu, alpha, b, beta_min)
            accumulate_row(local, X, i, wt, const + psi + lin, e1, e2, e3, True)
        acc[k, :] = local


@array_kernel(ESTEP_SERIAL_MAX_ROWS)
def _whitened_kernel(X, w, weighted, q, lin, const, nu, alpha, b, beta_min, acc, ew):
    """Per-part sums (without S6) from precomputed Q and lin; ew[i] = w_i E[1/Y | x_i] for the BLAS update of S6.

    Row weights as in :func:`_fused_kernel` (a row of weight 0 adds nothing and gets ew = 0).
    """
    n = X.shape[0]
    parts = acc.shape[0]
    for k in prange(parts):
        local = np.zeros(acc.shape[1])
        start, stop = part_rows(n, parts, k)
        for i in range(start, stop):
            wt = row_weight(w, weighted, i)
            if wt == 0.0:
                ew[i] = 0.0
                continue
            psi, e1, e2, e3 = posterior_scalar(q[i], nu, alpha, b, beta_min)
            ew[i] = wt * e2
            accumulate_row(local, X, i, wt, const + psi + lin[i], e1, e2, e3, False)
        acc[k, :] = local


def _inputs(X, mu, gamma, L_Sigma, p, a, b):
    X = np.ascontiguousarray(X, dtype=np.float64)
    mu = np.ascontiguousarray(mu, dtype=np.float64)
    gamma = np.ascontiguousarray(gamma, dtype=np.float64)
    L = np.ascontiguousarray(L_Sigma, dtype=np.float64)
    return *readonly(X, mu, gamma, L), float(p), float(a), float(b)


def part_count(n):
    return max(1, min(n, ESTEP_PARTS))


# Stand-in for the weights of an unweighted call (the kernels then never read it).
NO_WEIGHTS = readonly(np.empty(0))[0]


def _statistics_fused(X, w, weighted, mu, gamma, L, p, a, b):
    d = X.shape[1]
    acc = np.empty((part_count(X.shape[0]), N_SCALARS + 2 * d + d * (d + 1) // 2))
    _fused_kernel.run(X.shape[0], X, w, weighted, mu, L, gamma, p, a, b, acc)
    total = acc.sum(axis=0)
    tri = np.zeros((d, d))
    tri[np.tril_indices(d)] = total[N_SCALARS + 2 * d :]
    return total[: N_SCALARS + 2 * d], tri


def _statistics_blocked(X, w, weighted, mu, gamma, L, p, a, b):
    """Three passes, so that BLAS and the numba threads do not alternate block by block."""
    n, d = X.shape
    g, const, nu, alpha, beta_min = model_setup(mu, gamma, L, p, a, b)
    L_f = np.asfortranarray(L)
    buf = np.empty((min(n, ESTEP_BLOCK_ROWS), d))
    q = np.empty(n)
    lin = np.empty(n)
    for start in range(0, n, ESTEP_BLOCK_ROWS):
        Zb = buf[: min(ESTEP_BLOCK_ROWS, n - start)]
        np.subtract(X[start : start + ESTEP_BLOCK_ROWS], mu, out=Zb)
        dtrsm(1.0, L_f, Zb.T, lower=1, overwrite_b=1)
        np.einsum("ij,ij->i", Zb, Zb, out=q[start : start + Zb.shape[0]])
        np.dot(Zb, g, out=lin[start : start + Zb.shape[0]])
    ew = np.empty(n)
    acc = np.empty((part_count(n), N_SCALARS + 2 * d))
    _whitened_kernel.run(n, X, w, weighted, q, lin, const, nu, alpha, b, beta_min, acc, ew)
    np.sqrt(ew, out=ew)
    gram = np.zeros((d, d), order="F")
    for start in range(0, n, ESTEP_BLOCK_ROWS):
        Wb = buf[: min(ESTEP_BLOCK_ROWS, n - start)]
        np.multiply(X[start : start + ESTEP_BLOCK_ROWS], ew[start : start + Wb.shape[0], None], out=Wb)
        gram = dsyrk(1.0, Wb.T, beta=1.0, c=gram, lower=1, overwrite_c=1)
    return acc.sum(axis=0), np.tril(gram)


def statistics_from_sums(sums, tri, total, d):
    """(s1, s2, s3, s4, s5, S6, mean log-likelihood) from the summed accumulator and S6's lower triangle."""
    sums = sums / total
    S6 = tri / total
    S6 += np.tril(S6, -1).T
    return sums[0], sums[1], sums[2], sums[N_SCALARS : N_SCALARS + d], sums[N_SCALARS + d :], S6, sums[3]


def check_weights(w, n):
    """Row weights as a read-only float64 (n,) array, or ``ValueError`` naming ``w`` and the shape it needs."""
    w = np.ascontiguousarray(w, dtype=np.float64)
    if w.shape != (n,):
        raise ValueError(f"w must have shape ({n},) (one weight per row of X), got shape {w.shape}")
    return readonly(w)[0]


def _statistics(X, w, weighted, mu, gamma, L, p, a, b):
    run = _statistics_fused if X.shape[1] <= ESTEP_FUSED_MAX_DIM else _statistics_blocked
    return run(X, w, weighted, mu, gamma, L, p, a, b)


def _rows(X, mu, gamma, L_Sigma, p, a, b, floored, n_out):
    X, mu, gamma, L, p, a, b = _inputs(X, mu, gamma, L_Sigma, p, a, b)
    out = np.empty((n_out, X.shape[0]))
    _rows_kernel.run(X.shape[0], X, mu, L, gamma, p, a, b, floored, part_count(X.shape[0]), out)
    return out


def mixture_log_density(X, mu, gamma, L_Sigma, p, a, b):
    """Marginal log-density log f(x_i) of the GIG normal variance-mean mixture, shape (n,).

    Parameters
    ----------
    X : array, shape (n, d)
    mu, gamma : array, shape (d,)
    L_Sigma : array, shape (d, d)
        Lower Cholesky factor of Sigma.
    p, a, b : float
        Subordinator GIG(p, a, b); b = 0 is Gamma(p, rate a/2) (VG), a = 0 is
        InverseGamma(-p, rate b/2) (NInvG), p = -1/2 the InverseGaussian (NIG).

    Returns
    -------
    ndarray, shape (n,)
        Exact in the limits: VG at x = mu with p - d/2 <= 0 gives +inf (the density is
        unbounded there); NInvG with gamma = 0 is the multivariate Student t.  Twin of
        :func:`normix._kernels.estep_jax.mixture_log_density`.
    """
    return _rows(X, mu, gamma, L_Sigma, p, a, b, False, 1)[0]


def posterior_moments(X, mu, gamma, L_Sigma, p, a, b):
    """(E[log Y | x_i], E[1/Y | x_i], E[Y | x_i]), each shape (n,): moments of GIG(p - d/2, a + A, b + Q_i).

    Arguments as in :func:`mixture_log_density`.  The posterior's b + Q_i is raised to
    ``ESTEP_VG_B_FLOOR * d / (a + A)`` (the VG singularity at x = mu, module docstring),
    which matters only for rows at mu when b is below the floor; otherwise the moments
    are exact.  Twin of
    :func:`normix._kernels.estep_jax.posterior_moments`.
    """
    out = _rows(X, mu, gamma, L_Sigma, p, a, b, True, 3)
    return out[0], out[1], out[2]


def estep_statistics(X, mu, gamma, L_Sigma, p, a, b):
    """Row averages of the E-step sufficient statistics and the mean log-likelihood, in one pass.

    With w_i = E[1/Y | x_i] (moments as in :func:`posterior_moments`)::

        s1 = mean E[log Y | x]   s2 = mean w   s3 = mean E[Y | x]
        s4 = mean x              s5 = mean w x  S6 = mean w x xᵀ

    Arguments as in :func:`mixture_log_density`.

    Returns
    -------
    s1, s2, s3 : float64
    s4, s5 : ndarray, shape (d,)
    S6 : ndarray, shape (d, d), symmetric
    mean_log_likelihood : float64
        Mean of log f(x_i), evaluated on the same (floored, when b is below the floor) posterior as the
        statistics, so it equals the mean of :func:`mixture_log_density` except at rows
        closer to mu than the floor, where that density is unbounded.

    Twin of :func:`normix._kernels.estep_jax.estep_statistics`.
    """
    X, mu, gamma, L, p, a, b = _inputs(X, mu, gamma, L_Sigma, p, a, b)
    sums, tri = _statistics(X, NO_WEIGHTS, False, mu, gamma, L, p, a, b)
    return statistics_from_sums(sums, tri, X.shape[0], X.shape[1])


def weighted_estep_statistics(X, w, mu, gamma, L_Sigma, p, a, b):
    """Weighted row averages of the E-step sufficient statistics and the weighted mean log-likelihood.

    With row weights w_i >= 0 of total W = Σ_i w_i > 0 every average of
    :func:`estep_statistics` becomes a weighted one, s = Σ_i w_i t(x_i) / W::

        s1 = Σ w E[log Y | x] / W   s2 = Σ w E[1/Y | x] / W   s3 = Σ w E[Y | x] / W
        s4 = Σ w x / W              s5 = Σ w x E[1/Y | x] / W  S6 = Σ w x xᵀ E[1/Y | x] / W

    and the log-likelihood is Σ_i w_i log f(x_i) / W.  These are the averages of the
    complete-data statistics under the empirical law that puts mass w_i / W on row i, so
    EM on them maximises the weighted log-likelihood Σ_i w_i log f(x_i); integer weights
    give the statistics of the data with row i repeated w_i times.  A row of weight 0 is
    skipped (its terms are never added, even where they are not finite).  W = 0 gives
    NaN.  Other arguments as in :func:`mixture_log_density`.

    Parameters
    ----------
    w : array, shape (n,)
        Row weights, finite and >= 0 (not checked here: the fitters check them).

    Returns
    -------
    As :func:`estep_statistics`, with weighted means.

    Unit weights (w_i = 1) give the bits of :func:`estep_statistics`.  Twin of
    :func:`normix._kernels.estep_jax.weighted_estep_statistics`.
    """
    X, mu, gamma, L, p, a, b = _inputs(X, mu, gamma, L_Sigma, p, a, b)
    w = check_weights(w, X.shape[0])
    sums, tri = _statistics(X, w, True, mu, gamma, L, p, a, b)
    return statistics_from_sums(sums, tri, np.sum(w), X.shape[1])
