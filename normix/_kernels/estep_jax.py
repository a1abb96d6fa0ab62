"""Fused E-step of the normal variance-mean mixture, pure-JAX twin (twin: ``estep_cpu.py``).

Same formulas, signatures and edge values as the numba twin: with Sigma = L Lᵀ,
z_i = L⁻¹(x_i - mu), g = L⁻¹ gamma, Q_i = |z_i|², A = |g|², lin_i = z_i · g, the
posterior of Y given x_i is GIG(p - d/2, a + A, b + Q_i) and

    log f(x_i) = -(d/2) log 2π - Σ_j log L_jj - ψ(p, a, b) + ψ(p - d/2, a + A, b + Q_i) + lin_i.

The rows are whitened by one triangular solve, the posterior GIG work is one
vectorised call of :func:`normix._kernels.gig_core_jax.first_order` (ψ and the
three moments from one Bessel evaluation), and S6 is one matmul
(X ⊙ w)ᵀ X; nothing of size (n, d, d) is built.  The VG floor on b + Q_i (b below it)
and the improper posterior at x = mu are selected with ``jnp.where`` on safe
stand-in inputs, so values and gradients stay free of NaN.  Branch-free:
jit-able, vmappable over problems (batched models or data sets) and usable inside
``lax.while_loop``.
"""
import jax.numpy as jnp
from jax.scipy.linalg import solve_triangular

from normix._kernels._constants import ESTEP_VG_B_FLOOR, HALF_LOG_2PI
from normix._kernels.gig_core_jax import first_order

__all__ = ["mixture_log_density", "posterior_moments", "estep_statistics", "weighted_estep_statistics"]


def _as_arrays(X, mu, gamma, L_Sigma, p, a, b):
    return tuple(jnp.asarray(x, dtype=jnp.float64) for x in (X, mu, gamma, L_Sigma, p, a, b))


def _posterior(X, mu, gamma, L, p, a, b, floored):
    """(log f rows, E log Y, E 1/Y, E Y) of every row; b + Q raised to the VG floor when ``floored``."""
    d = X.shape[-1]
    g = solve_triangular(L, gamma, lower=True)
    Z = solve_triangular(L, (X - mu).T, lower=True)
    alpha = a + g @ g
    nu = p - 0.5 * d
    beta = b + jnp.sum(Z * Z, axis=0)
    if floored:
        positive = alpha > 0.0
        beta = jnp.where(positive, jnp.maximum(beta, ESTEP_VG_B_FLOOR * d / jnp.where(positive, alpha, 1.0)), beta)
    improper = (beta == 0.0) & (nu <= 0.0)
    psi, _, e_log, e_inv, e_y = first_order(nu, alpha, jnp.where(improper, 1.0, beta))
    psi = jnp.where(improper, jnp.inf, psi)
    const = -d * HALF_LOG_2PI - jnp.sum(jnp.log(jnp.diag(L))) - first_order(p, a, b)[0]
    return const + psi + g @ Z, e_log, e_inv, e_y


def mixture_log_density(X, mu, gamma, L_Sigma, p, a, b):
    """Marginal log-density log f(x_i), shape (n,); twin of :func:`normix._kernels.estep_cpu.mixture_log_density`.

    Exact in the limits: VG at x = mu with p - d/2 <= 0 gives +inf; NInvG with
    gamma = 0 is the multivariate Student t.
    """
    return _posterior(*_as_arrays(X, mu, gamma, L_Sigma, p, a, b), floored=False)[0]


def posterior_moments(X, mu, gamma, L_Sigma, p, a, b):
    """(E[log Y | x_i], E[1/Y | x_i], E[Y | x_i]), each (n,); twin of :func:`normix._kernels.estep_cpu.posterior_moments`.

    The posterior's b + Q_i is raised to ``ESTEP_VG_B_FLOOR * d / (a + A)`` (a change only
    for rows at mu when b is below that floor, as at the VG limit).
    """
    return _posterior(*_as_arrays(X, mu, gamma, L_Sigma, p, a, b), floored=True)[1:]


def estep_statistics(X, mu, gamma, L_Sigma, p, a, b):
    """(s1, s2, s3, s4, s5, S6, mean_log_likelihood); twin of :func:`normix._kernels.estep_cpu.estep_statistics`.

    s1, s2, s3 are the row means of the posterior moments, s4 = mean x,
    s5 = mean x E[1/Y | x], S6 = mean x xᵀ E[1/Y | x] (one matmul), and the mean of
    log f(x_i) on the same (floored, when b is below the floor) posterior.
    """
    X, mu, gamma, L, p, a, b = _as_arrays(X, mu, gamma, L_Sigma, p, a, b)
    log_f, e_log, e_inv, e_y = _posterior(X, mu, gamma, L, p, a, b, floored=True)
    n = X.shape[0]
    weighted = X * e_inv[:, None]
    S6 = weighted.T @ X / n
    S6 = 0.5 * (S6 + S6.T)
    return (jnp.mean(e_log), jnp.mean(e_inv), jnp.mean(e_y), jnp.mean(X, axis=0), jnp.mean(weighted, axis=0),
            S6, jnp.mean(log_f))


def weighted_estep_statistics(X, w, mu, gamma, L_Sigma, p, a, b):
    """Weighted (s1, s2, s3, s4, s5, S6, mean_log_likelihood); twin of
    :func:`normix._kernels.estep_cpu.weighted_estep_statistics`.

    Every row mean of :func:`estep_statistics` becomes Σ_i w_i t(x_i) / Σ_i w_i; a row of
    weight 0 contributes an exact 0 (``jnp.where``), even where its own terms are not
    finite, and Σ w = 0 gives NaN.  Unit weights agree with :func:`estep_statistics` to
    rounding (the sums run in another order).
    """
    X, mu, gamma, L, p, a, b = _as_arrays(X, mu, gamma, L_Sigma, p, a, b)
    w = jnp.asarray(w, dtype=jnp.float64)
    if w.shape != X.shape[:1]:
        raise ValueError(f"w must have shape ({X.shape[0]},) (one weight per row of X), got shape {w.shape}")
    log_f, e_log, e_inv, e_y = _posterior(X, mu, gamma, L, p, a, b, floored=True)
    used = w > 0.0
    total = jnp.sum(w)

    def mean(values):
        return jnp.sum(jnp.where(used, w * values, 0.0)) / total

    weighted = X * jnp.where(used, w * e_inv, 0.0)[:, None]
    S6 = weighted.T @ X / total
    S6 = 0.5 * (S6 + S6.T)
    return (mean(e_log), mean(e_inv), mean(e_y), w @ X / total, jnp.sum(weighted, axis=0) / total, S6,
            mean(log_f))
