"""E-step and M-step of a mixture with factor-structured Sigma, numba twin (twin: ``factor_jax.py``).

The mixture is X = mu + gamma Y + sqrt(Y) Z with Z ~ N(0, Sigma), Sigma = B Bᵀ + diag(D),
B of shape (d, k), D > 0, and the subordinator Y ~ GIG(p, a, b).  With G = D⁻¹B,
M = I_k + BᵀD⁻¹B = C Cᵀ (Cholesky) and r_i = x_i - mu, the Woodbury identity
Sigma⁻¹ = D⁻¹ - G M⁻¹ Gᵀ and the matrix determinant lemma give, with v_i = C⁻¹Gᵀr_i
and v_g = C⁻¹Gᵀgamma,

    Q_i   = r_iᵀ D⁻¹ r_i - |v_i|²,        A = gammaᵀD⁻¹gamma - |v_g|²,
    lin_i = gammaᵀD⁻¹ r_i - v_g · v_i,     log|Sigma| = 2 Σ_l log C_ll + Σ_j log D_j,

so that one row costs O(d k) and nothing of size d x d is formed.  The posterior of Y
given x_i is GIG(p - d/2, a + A, b + Q_i) and log f(x_i) is that of
:mod:`normix._kernels.estep_cpu` (same GIG core, same VG floor on b + Q_i).

The M-step of the factor structure needs S6 = mean w x xᵀ (w = E[1/Y | x]) only through
S6 βᵀ and diag(S6), where β = M⁻¹Gᵀ = BᵀSigma⁻¹ (k x d) is the regression of the
factors on a row; since βx_i = C⁻ᵀ v_i + β mu, both are accumulated in O(d k) per row.

Work plan as in the fused E-step: min(n, ``ESTEP_PARTS``) contiguous parts of the rows, each
summed serially into its own accumulator in a ``prange`` loop and the parts added in order
(bit-identical for any thread count); the serial variant up to ``ESTEP_SERIAL_MAX_ROWS``.
Inside a part the rows go in tiles of ``TILE_ROWS``: the tile's sums over j (r'D⁻¹r,
gamma'D⁻¹r, Gᵀr) run side by side as independent scalars, and each d-vector of the part's
sums is updated once per tile.  The products are (rows, d) x (d, k + 1) with k + 1 small,
too thin for BLAS to beat this loop (the dense E-step's BLAS path pays off through its
d x d products).  At d = 500, k = 5 the E-step costs about as much as the GIG work of its
rows (``benchmarks/em_factor.py``).
"""
import math

import numpy as np

from normix._kernels._constants import ESTEP_SERIAL_MAX_ROWS, ESTEP_VG_B_FLOOR, HALF_LOG_2PI
from normix._kernels._numba import array_kernel, prange, readonly, scalar_core
from normix._kernels.estep_cpu import part_count, part_rows, posterior_scalar
from normix._kernels.gig_core_cpu import first_order_scalar

__all__ = ["factor_estep_statistics", "factor_m_step"]

# Accumulator slots before the d-vectors: sums of E log Y, E 1/Y, E Y, log f.
N_SCALARS = 4
# Rows per tile of the E-step kernel; ``_project_tile`` and ``_accumulate_tile`` are written out for four.
TILE_ROWS = 4


def factor_setup(mu, gamma, B, D, p, a, b):
    """(G, C, gd, vg, beta_mu, const, nu, alpha, beta_min): the row-free quantities of the module docstring.

    ``gd`` = D⁻¹gamma, ``beta_mu`` = β mu, ``const`` = -(d/2) log 2π - ½ log|Sigma| - ψ(p, a, b);
    ``beta_min`` is the VG floor of b + Q (0 unless b = 0).  O(d k²).
    """
    d, k = B.shape
    G = B / D[:, None]
    C = np.linalg.cholesky(np.eye(k) + B.T @ G)
    vg = np.linalg.solve(C, G.T @ gamma)
    gd = gamma / D
    alpha = a + float(gamma @ gd) - float(vg @ vg)
    beta_mu = np.linalg.solve(C.T, np.linalg.solve(C, G.T @ mu))
    log_det = 2.0 * float(np.sum(np.log(np.diagonal(C)))) + float(np.sum(np.log(D)))
    const = -d * HALF_LOG_2PI - 0.5 * log_det - first_order_scalar(p, a, b)[0]
    beta_min = ESTEP_VG_B_FLOOR * d / alpha if b == 0.0 else 0.0
    return G, C, gd, vg, beta_mu, const, p - 0.5 * d, alpha, beta_min


@scalar_core
def _load_tile(X, i0, rows, mu, xb, r):
    """Rows i0 .. i0 + rows - 1 of X into xb and r = x - mu; the unused rows of the tile are 0."""
    d = X.shape[1]
    for a in range(TILE_ROWS):
        for j in range(d):
            x = X[i0 + a, j] if a < rows else 0.0
            xb[a, j] = x
            r[a, j] = x - mu[j] if a < rows else 0.0


@scalar_core
def _project_tile(r, Gt, dinv, gd, q, lin, pv):
    """q = r'D⁻¹r, lin = gamma'D⁻¹r and pv = Gᵀr of the tile's four rows.

    Each sum runs over j in order; the four rows' sums are independent scalars, so they
    proceed side by side (the sums of one row alone would wait on each other's additions).
    """
    d = r.shape[1]
    k = Gt.shape[0]
    q0 = q1 = q2 = q3 = 0.0
    l0 = l1 = l2 = l3 = 0.0
    for j in range(d):
        r0, r1, r2, r3 = r[0, j], r[1, j], r[2, j], r[3, j]
        dj = dinv[j]
        gj = gd[j]
        q0 += r0 * r0 * dj
        q1 += r1 * r1 * dj
        q2 += r2 * r2 * dj
        q3 += r3 * r3 * dj
        l0 += r0 * gj
        l1 += r1 * gj
        l2 += r2 * gj
        l3 += r3 * gj
    q[0], q[1], q[2], q[3] = q0, q1, q2, q3
    lin[0], lin[1], lin[2], lin[3] = l0, l1, l2, l3
    for m in range(k):
        s0 = s1 = s2 = s3 = 0.0
        for j in range(d):
            g = Gt[m, j]
            s0 += g * r[0, j]
            s1 += g * r[1, j]
            s2 += g * r[2, j]
            s3 += g * r[3, j]
        pv[0, m], pv[1, m], pv[2, m], pv[3, m] = s0, s1, s2, s3


@scalar_core
def _posterior_row(v, t, q, lin, C, vg, beta_mu, nu, alpha, b, beta_min, coef):
    """Solve v <- C⁻¹v (v = Gᵀr on entry), t = C⁻ᵀv; the posterior of the row.

    Returns (ψ + lin - v_g·v, E log Y, E 1/Y, E Y) and sets coef[m] = E[1/Y] (t_m + (β mu)_m) = w (βx)_m.
    """
    k = C.shape[0]
    for m in range(k):
        s = v[m]
        for l in range(m):
            s -= C[m, l] * v[l]
        v[m] = s / C[m, m]
        q -= v[m] * v[m]
        lin -= v[m] * vg[m]
    for m in range(k - 1, -1, -1):
        s = v[m]
        for l in range(m + 1, k):
            s -= C[l, m] * t[l]
        t[m] = s / C[m, m]
    psi, e1, e2, e3 = posterior_scalar(max(q, 0.0), nu, alpha, b, beta_min)
    for m in range(k):
        coef[m] = e2 * (t[m] + beta_mu[m])
    return psi + lin, e1, e2, e3


@scalar_core
def _accumulate_tile(local, xb, w, coef):
    """Add the tile's x, w x, w x² and w (βx)_m x to the part's sums (a row of weight 0 adds exact zeros)."""
    d = xb.shape[1]
    k = coef.shape[1]
    w0, w1, w2, w3 = w[0], w[1], w[2], w[3]
    for j in range(d):
        x0, x1, x2, x3 = xb[0, j], xb[1, j], xb[2, j], xb[3, j]
        local[N_SCALARS + j] += (x0 + x1) + (x2 + x3)
        local[N_SCALARS + d + j] += (w0 * x0 + w1 * x1) + (w2 * x2 + w3 * x3)
        local[N_SCALARS + 2 * d + j] += (w0 * x0 * x0 + w1 * x1 * x1) + (w2 * x2 * x2 + w3 * x3 * x3)
    for m in range(k):
        c0, c1, c2, c3 = coef[0, m], coef[1, m], coef[2, m], coef[3, m]
        off = N_SCALARS + (3 + m) * d
        for j in range(d):
            local[off + j] += (c0 * xb[0, j] + c1 * xb[1, j]) + (c2 * xb[2, j] + c3 * xb[3, j])


@array_kernel(ESTEP_SERIAL_MAX_ROWS)
def _factor_kernel(X, mu, Gt, C, dinv, gd, vg, beta_mu, const, nu, alpha, b, beta_min, acc):
    """Per-part sums: E log Y, E 1/Y, E Y, log f, then x, w x, w x², and w (βx)_m x for m < k (k rows of d).

    ``Gt`` = (D⁻¹B)ᵀ, shape (k, d).  Each part runs over tiles of ``TILE_ROWS`` rows: the
    projections of a tile are TILE_ROWS independent sums per step of j, and each d-vector of
    the part's sums is read and written once per tile instead of once per row.
    """
    n, d = X.shape
    k = Gt.shape[0]
    parts = acc.shape[0]
    for part in prange(parts):
        xb = np.empty((TILE_ROWS, d))
        r = np.empty((TILE_ROWS, d))
        q = np.empty(TILE_ROWS)
        lin = np.empty(TILE_ROWS)
        pv = np.empty((TILE_ROWS, k))
        t = np.empty(k)
        w = np.zeros(TILE_ROWS)
        coef = np.zeros((TILE_ROWS, k))
        local = np.zeros(acc.shape[1])
        start, stop = part_rows(n, parts, part)
        for i0 in range(start, stop, TILE_ROWS):
            rows = min(TILE_ROWS, stop - i0)
            _load_tile(X, i0, rows, mu, xb, r)
            _project_tile(r, Gt, dinv, gd, q, lin, pv)
            for a in range(rows):
                psi_lin, e1, e2, e3 = _posterior_row(pv[a], t, q[a], lin[a], C, vg, beta_mu, nu, alpha, b, beta_min,
                                                     coef[a])
                local[0] += e1
                local[1] += e2
                local[2] += e3
                local[3] += const + psi_lin
                w[a] = e2
            for a in range(rows, TILE_ROWS):
                w[a] = 0.0
                coef[a, :] = 0.0
            _accumulate_tile(local, xb, w, coef)
        acc[part, :] = local


def factor_estep_statistics(X, mu, gamma, B, D, p, a, b):
    """Row averages of the factor E-step statistics and the mean log-likelihood, in one O(n d k) pass.

    With w_i = E[1/Y | x_i] under the posterior GIG(p - d/2, a + A, b + Q_i) (Q and A by
    the Woodbury identity, module docstring) and β = BᵀSigma⁻¹::

        s1 = mean E[log Y | x]   s2 = mean w   s3 = mean E[Y | x]
        s4 = mean x              s5 = mean w x
        S6_beta = mean w x (βx)ᵀ = S6 βᵀ (d, k)    S6_diag = mean w x∘x = diag(S6) (d,)

    Parameters
    ----------
    X : array, shape (n, d)
    mu, gamma : array, shape (d,)
    B : array, shape (d, k)
        Loadings.
    D : array, shape (d,)
        Specific variances, > 0.
    p, a, b : float
        Subordinator GIG(p, a, b) (a = 0: InverseGamma, b = 0: Gamma).

    Returns
    -------
    s1, s2, s3 : float64
    s4, s5, S6_diag : ndarray, shape (d,)
    S6_beta : ndarray, shape (d, k)
    mean_log_likelihood : float64
        Mean of log f(x_i) (on the VG-floored posterior when b = 0, as
        :func:`normix._kernels.estep_cpu.estep_statistics`).

    Twin of :func:`normix._kernels.factor_jax.factor_estep_statistics`; equals the dense
    ``estep_statistics`` with L_Sigma = chol(B Bᵀ + diag(D)) (s1-s5, the log-likelihood,
    S6 βᵀ and diag(S6)).
    """
    X = np.ascontiguousarray(X, dtype=np.float64)
    mu, gamma, D = (np.ascontiguousarray(v, dtype=np.float64) for v in (mu, gamma, D))
    B = np.ascontiguousarray(B, dtype=np.float64)
    p, a, b = float(p), float(a), float(b)
    n, d = X.shape
    k = B.shape[1]
    G, C, gd, vg, beta_mu, const, nu, alpha, beta_min = factor_setup(mu, gamma, B, D, p, a, b)
    acc = np.empty((part_count(n), N_SCALARS + 3 * d + d * k))
    args = readonly(X, mu, np.ascontiguousarray(G.T), np.ascontiguousarray(C), 1.0 / D, gd, vg, beta_mu)
    _factor_kernel.run(n, *args, const, nu, alpha, b, beta_min, acc)
    total = acc.sum(axis=0) / n
    s4 = total[N_SCALARS : N_SCALARS + d]
    s5 = total[N_SCALARS + d : N_SCALARS + 2 * d]
    S6_diag = total[N_SCALARS + 2 * d : N_SCALARS + 3 * d]
    S6_beta = total[N_SCALARS + 3 * d :].reshape(k, d).T
    return total[0], total[1], total[2], s4, s5, S6_beta, S6_diag, total[3]


def factor_m_step(s2, s3, s4, s5, S6_beta, S6_diag, B, D):
    """ECM update (mu, gamma, B, D) of the normal part with Sigma = B Bᵀ + diag(D).

    CM-step 1 (any fixed Sigma; the regressors are common to every coordinate, so the
    generalised least-squares solution does not depend on Sigma), as in
    :func:`normix._kernels.mstep_cpu.normal_m_step`::

        mu = (s4 - s3 s5) / (1 - s2 s3),   gamma = (s5 - s2 s4) / (1 - s2 s3).

    CM-step 2: one factor-analysis EM step (Rubin & Thayer 1982) on the expected scatter
    S = mean E[(x - mu - gamma Y)(x - mu - gamma Y)ᵀ / Y | x]
    = S6 - s5 muᵀ - mu s5ᵀ + s2 mu muᵀ - s3 gamma gammaᵀ, from the current (B, D) with
    β = Bᵀ(B Bᵀ + D)⁻¹::

        E_ff = I - β B + β S βᵀ,   B' = S βᵀ E_ff⁻¹,   D' = diag(S) - rowsum(B' ∘ S βᵀ),

    which needs S only through S βᵀ (from ``S6_beta`` = S6 βᵀ) and diag(S) (from
    ``S6_diag``): O(d k²).  The step does not decrease -log|Sigma| - tr(Sigma⁻¹S) (it is
    an EM step for that objective), so together with CM-step 1 it is an ECM step
    (Meng & Rubin 1993) and the mixture's likelihood does not decrease.

    Returns
    -------
    mu, gamma : ndarray, shape (d,)
    B : ndarray, shape (d, k)
    D : ndarray, shape (d,)
        All NaN when the update is not valid (some D' <= 0 or a non-finite entry: too few
        or degenerate rows), so that a caller testing the iterate for finiteness stops.

    Twin of :func:`normix._kernels.factor_jax.factor_m_step`.
    """
    s2, s3 = float(s2), float(s3)
    s4, s5, S6_diag, D = (np.asarray(v, dtype=np.float64) for v in (s4, s5, S6_diag, D))
    S6_beta, B = np.asarray(S6_beta, dtype=np.float64), np.asarray(B, dtype=np.float64)
    k = B.shape[1]
    denom = 1.0 - s2 * s3
    mu = (s4 - s3 * s5) / denom
    gamma = (s5 - s2 * s4) / denom
    G = B / D[:, None]
    with np.errstate(all="ignore"):
        beta = np.linalg.solve(np.eye(k) + B.T @ G, G.T)
        b_mu, b_s5, b_gamma = beta @ mu, beta @ s5, beta @ gamma
        SB = (S6_beta - np.outer(s5, b_mu) - np.outer(mu, b_s5) + s2 * np.outer(mu, b_mu)
              - s3 * np.outer(gamma, b_gamma))
        S_diag = S6_diag - 2.0 * s5 * mu + s2 * mu * mu - s3 * gamma * gamma
        E_ff = np.eye(k) - beta @ B + beta @ SB
        E_ff = 0.5 * (E_ff + E_ff.T)
        try:
            B_new = np.linalg.solve(E_ff, SB.T).T
        except np.linalg.LinAlgError:
            B_new = np.full_like(B, math.nan)
        D_new = S_diag - np.sum(B_new * SB, axis=1)
    ok = bool(np.all(D_new > 0.0) and np.all(np.isfinite(B_new)) and np.all(np.isfinite(D_new)))
    if not ok:
        B_new = np.full_like(B, math.nan)
        D_new = np.full_like(D, math.nan)
    return mu, gamma, B_new, D_new
