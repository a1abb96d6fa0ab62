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
"""
import math

import numpy as np

from normix._kernels._constants import ESTEP_SERIAL_MAX_ROWS, ESTEP_VG_B_FLOOR, HALF_LOG_2PI
from normix._kernels._numba import array_kernel, prange, readonly
from normix._kernels.estep_cpu import part_count, part_rows, posterior_scalar
from normix._kernels.gig_core_cpu import first_order_scalar

__all__ = ["factor_estep_statistics", "factor_m_step"]

# Accumulator slots before the d-vectors: sums of E log Y, E 1/Y, E Y, log f.
N_SCALARS = 4


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


@array_kernel(ESTEP_SERIAL_MAX_ROWS)
def _factor_kernel(X, mu, Gt, C, dinv, gd, vg, beta_mu, const, nu, alpha, b, beta_min, acc):
    """Per-part sums: E log Y, E 1/Y, E Y, log f, then x, w x, w x², and w (βx)_m x for m < k (k rows of d).

    ``Gt`` = (D⁻¹B)ᵀ, shape (k, d): every inner loop runs over d contiguous entries.
    """
    n, d = X.shape
    k = Gt.shape[0]
    parts = acc.shape[0]
    for part in prange(parts):
        r = np.empty(d)
        v = np.empty(k)
        t = np.empty(k)
        local = np.zeros(acc.shape[1])
        start, stop = part_rows(n, parts, part)
        for i in range(start, stop):
            q = 0.0
            lin = 0.0
            for j in range(d):
                r[j] = X[i, j] - mu[j]
                q += r[j] * r[j] * dinv[j]
                lin += r[j] * gd[j]
            for m in range(k):
                s = 0.0
                for j in range(d):
                    s += Gt[m, j] * r[j]
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
            local[0] += e1
            local[1] += e2
            local[2] += e3
            local[3] += const + psi + lin
            for j in range(d):
                x = X[i, j]
                wx = x * e2
                local[N_SCALARS + j] += x
                local[N_SCALARS + d + j] += wx
                local[N_SCALARS + 2 * d + j] += wx * x
            for m in range(k):
                c = e2 * (t[m] + beta_mu[m])
                off = N_SCALARS + (3 + m) * d
                for j in range(d):
                    local[off + j] += c * X[i, j]
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
