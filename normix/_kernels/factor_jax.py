"""E-step and M-step of a mixture with factor-structured Sigma, pure-JAX twin (twin: ``factor_cpu.py``).

Sigma = B Bᵀ + diag(D).  Same formulas, signatures and edge values as the numba twin:
with G = D⁻¹B, M = I + BᵀG = C Cᵀ, V = C⁻¹Gᵀ(X - mu)ᵀ and v_g = C⁻¹Gᵀgamma (Woodbury and
the determinant lemma)::

    Q_i = Σ_j r_ij² / D_j - |V_i|²,   A = gammaᵀD⁻¹gamma - |v_g|²,
    lin_i = r_iᵀD⁻¹gamma - v_g · V_i,  log|Sigma| = 2 Σ log C_ll + Σ log D_j.

Every product is (n, d) x (d, k) or smaller; nothing of size d x d is formed.  The VG
floor on b + Q and the improper posterior at x = mu use ``jnp.where`` on safe stand-ins,
as in :mod:`normix._kernels.estep_jax`.  Branch-free: jit-able, vmappable, usable inside
``lax.while_loop``.
"""
import jax.numpy as jnp
from jax.scipy.linalg import cho_solve, solve_triangular

from normix._kernels._constants import ESTEP_VG_B_FLOOR, HALF_LOG_2PI
from normix._kernels.gig_core_jax import first_order

__all__ = ["factor_estep_statistics", "factor_m_step"]


def _f64(*values):
    return tuple(jnp.asarray(v, dtype=jnp.float64) for v in values)


def factor_estep_statistics(X, mu, gamma, B, D, p, a, b):
    """(s1, s2, s3, s4, s5, S6_beta, S6_diag, mean_log_likelihood); twin of
    :func:`normix._kernels.factor_cpu.factor_estep_statistics`.

    S6_beta = mean w x (βx)ᵀ with β = BᵀSigma⁻¹ (one (d, n) x (n, k) product),
    S6_diag = mean w x∘x.
    """
    X, mu, gamma, B, D, p, a, b = _f64(X, mu, gamma, B, D, p, a, b)
    n, d = X.shape
    k = B.shape[1]
    G = B / D[:, None]
    C = jnp.linalg.cholesky(jnp.eye(k) + B.T @ G)
    R = X - mu
    V = solve_triangular(C, (R @ G).T, lower=True)
    vg = solve_triangular(C, G.T @ gamma, lower=True)
    q = jnp.maximum(jnp.sum(R * R / D, axis=1) - jnp.sum(V * V, axis=0), 0.0)
    alpha = a + jnp.sum(gamma * gamma / D) - vg @ vg
    lin = R @ (gamma / D) - vg @ V
    nu = p - 0.5 * d
    vg_case = b == 0.0
    beta = b + q
    beta = jnp.where(vg_case, jnp.maximum(beta, ESTEP_VG_B_FLOOR * d / jnp.where(vg_case, alpha, 1.0)), beta)
    improper = (beta == 0.0) & (nu <= 0.0)
    psi, _, e_log, e_inv, e_y = first_order(nu, alpha, jnp.where(improper, 1.0, beta))
    psi = jnp.where(improper, jnp.inf, psi)
    log_det = 2.0 * jnp.sum(jnp.log(jnp.diag(C))) + jnp.sum(jnp.log(D))
    const = -d * HALF_LOG_2PI - 0.5 * log_det - first_order(p, a, b)[0]
    beta_x = cho_solve((C, True), G.T @ X.T)
    weighted = X * e_inv[:, None]
    return (jnp.mean(e_log), jnp.mean(e_inv), jnp.mean(e_y), jnp.mean(X, axis=0), jnp.mean(weighted, axis=0),
            weighted.T @ beta_x.T / n, jnp.mean(weighted * X, axis=0), jnp.mean(const + psi + lin))


def factor_m_step(s2, s3, s4, s5, S6_beta, S6_diag, B, D):
    """ECM update (mu, gamma, B, D); twin of :func:`normix._kernels.factor_cpu.factor_m_step` (formulas there).

    All NaN where some D' <= 0 or an entry is not finite.
    """
    s2, s3, s4, s5, S6_beta, S6_diag, B, D = _f64(s2, s3, s4, s5, S6_beta, S6_diag, B, D)
    k = B.shape[1]
    denom = 1.0 - s2 * s3
    mu = (s4 - s3 * s5) / denom
    gamma = (s5 - s2 * s4) / denom
    G = B / D[:, None]
    beta = jnp.linalg.solve(jnp.eye(k) + B.T @ G, G.T)
    b_mu, b_s5, b_gamma = beta @ mu, beta @ s5, beta @ gamma
    SB = (S6_beta - jnp.outer(s5, b_mu) - jnp.outer(mu, b_s5) + s2 * jnp.outer(mu, b_mu)
          - s3 * jnp.outer(gamma, b_gamma))
    S_diag = S6_diag - 2.0 * s5 * mu + s2 * mu * mu - s3 * gamma * gamma
    E_ff = jnp.eye(k) - beta @ B + beta @ SB
    E_ff = 0.5 * (E_ff + E_ff.T)
    B_new = jnp.linalg.solve(E_ff, SB.T).T
    D_new = S_diag - jnp.sum(B_new * SB, axis=1)
    ok = jnp.all(D_new > 0.0) & jnp.all(jnp.isfinite(B_new)) & jnp.all(jnp.isfinite(D_new))
    return mu, gamma, jnp.where(ok, B_new, jnp.nan), jnp.where(ok, D_new, jnp.nan)
