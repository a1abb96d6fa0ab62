"""Observed information of the marginal log-likelihood in the free parametrisation θ.

Two independent computations of the same matrix I(θ) = -∇²ℓ(θ), ℓ = Σᵢ log f(xᵢ; θ),
and the per-row scores sᵢ = ∇ log f(xᵢ; θ), all in the gauge of
:mod:`normix.inference.parametrization`:

* :func:`autodiff_information`: ``jax.hessian`` of Σᵢ of the JAX
  ``mixture_log_density`` kernel, differentiated through its Bessel functions (one
  compilation per family, dimension and number of rows; slow the first time).
* :func:`louis_information`: Louis's formula (Louis 1982) from the E-step.  The
  complete-data log-density of a row is::

      ℓ_c(θ; x, y) = hᵢ(θ) - ψ(p, a, b) + t(y)·ηᵢ(θ),  t(y) = (log y, 1/y, y),
      hᵢ = -(d/2) log 2π - Σⱼ log Lⱼⱼ + zᵢ·g,
      ηᵢ = (p - 1 - d/2, -(Qᵢ + b)/2, -(A + a)/2),

  with zᵢ = L⁻¹(xᵢ - μ), g = L⁻¹γ, Qᵢ = ‖zᵢ‖², A = ‖g‖², and the posterior of Y given
  xᵢ is GIG(p - d/2, a + A, b + Qᵢ), so that::

      I(θ) = Σᵢ (E[-∇²ℓ_c | xᵢ] - Cov[∇ℓ_c | xᵢ])
           = -∇²_θ Σᵢ (hᵢ + mᵢ·ηᵢ) + n (∇²ψ)(θ) - Σᵢ Jᵢᵀ Cᵢ Jᵢ,

  mᵢ and Cᵢ the posterior mean and covariance of t(Y) (``gig_moments``,
  ``gig_fisher``), Jᵢ = ∂ηᵢ/∂θ.  ψ is differentiated by the exponential-family
  identities ∇_ν ψ = E t(Y), ∇²_ν ψ = Cov t(Y) in the natural coordinates
  ν = (p - 1, -b/2, -a/2); only hᵢ, ηᵢ and ν (no Bessel function) are differentiated
  by JAX.  Exact, not an approximation: it equals -∇²ℓ at every θ.
* :func:`row_scores`: sᵢ = E[∇ℓ_c | xᵢ] = ∇hᵢ + Jᵢᵀmᵢ - ∇ν ᵀ E t(Y) (Fisher's identity).

For the multivariate normal there is no latent variable: both informations are the
Hessian of its closed-form log-density, and the scores its gradient rows.

References
----------
T. A. Louis (1982), "Finding the observed information matrix when using the EM
algorithm", J. R. Statist. Soc. B 44:226-233.
"""
import functools

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.linalg import solve_triangular

from normix._kernels import dispatch
from normix._kernels._constants import HALF_LOG_2PI
from normix.inference.parametrization import is_mixture, kernel_args, unpack

# The natural coordinates ν = (p - 1, -b/2, -a/2) that each family's θ moves: VG has
# b = 0 and NInvG a = 0 fixed, and their prior moments E[1/Y] (VG) and E[Y] (NInvG)
# may be infinite, so those coordinates are left out.
_ACTIVE = {"GH": (0, 1, 2), "NIG": (0, 1, 2), "VG": (0, 2), "NInvG": (0, 1)}


def _normal_rows(theta, X, family, d):
    mu, _, L, _ = unpack(family, d, theta)
    z = solve_triangular(L, (X - mu).T, lower=True)
    return -0.5 * jnp.sum(z * z, axis=0) - jnp.sum(jnp.log(jnp.diagonal(L))) - d * HALF_LOG_2PI


def log_density_rows(theta, X, family, d):
    """log f(xᵢ; θ) of every row (JAX, differentiable in θ)."""
    if not is_mixture(family):
        return _normal_rows(theta, X, family, d)
    return dispatch.kernels("jax").mixture_log_density(X, *kernel_args(family, d, theta))


def _total(theta, X, family, d):
    return jnp.sum(log_density_rows(theta, X, family, d))


@functools.partial(jax.jit, static_argnums=(2, 3))
def _hessian(theta, X, family, d):
    return jax.hessian(_total)(theta, X, family, d)


def autodiff_information(theta, X, family, d):
    """-∇²ℓ(θ) by ``jax.hessian`` of the summed log-density kernel, shape (k, k)."""
    return -np.asarray(_hessian(jnp.asarray(theta), jnp.asarray(X), family, d))


def _complete_parts(theta, X, family, d):
    """(hᵢ (n,), ηᵢ (n, 3)) of the complete-data log-density (module docstring)."""
    mu, gamma, L, p, a, b = kernel_args(family, d, theta)
    Z = solve_triangular(L, (X - mu).T, lower=True)
    g = solve_triangular(L, gamma, lower=True)
    Q = jnp.sum(Z * Z, axis=0)
    A = g @ g
    h = -d * HALF_LOG_2PI - jnp.sum(jnp.log(jnp.diagonal(L))) + g @ Z
    ones = jnp.ones_like(Q)
    eta = jnp.stack([(p - 1.0 - 0.5 * d) * ones, -0.5 * (Q + b), -0.5 * (A + a) * ones], axis=-1)
    return h, eta


def _natural(theta, family, d):
    _, _, _, p, a, b = kernel_args(family, d, theta)
    return jnp.stack([p - 1.0, -0.5 * b, -0.5 * a])


def _expected_part(theta, X, M, e, family, d):
    h, eta = _complete_parts(theta, X, family, d)
    return jnp.sum(h) + jnp.sum(M * eta) - X.shape[0] * (e @ _natural(theta, family, d))


@functools.partial(jax.jit, static_argnums=(4, 5))
def _louis_terms(theta, X, M, e, family, d):
    expected = jax.hessian(_expected_part)(theta, X, M, e, family, d)
    J_rows = jax.jacfwd(lambda t: _complete_parts(t, X, family, d)[1])(theta)
    J_nat = jax.jacfwd(_natural)(theta, family, d)
    scores = (jax.jacfwd(lambda t: _complete_parts(t, X, family, d)[0])(theta)
              + jnp.einsum("nkp,nk->np", J_rows, M) - (J_nat.T @ e)[None, :])
    return expected, J_rows, J_nat, scores


def _posterior(theta, X, family, d):
    """Posterior GIG parameters (ν, α, βᵢ) of every row, and the prior's (p, a, b), as numpy."""
    mu, gamma, L, p, a, b = (np.asarray(v, dtype=np.float64) for v in kernel_args(family, d, theta))
    Z = np.linalg.solve(L, (X - mu).T)
    g = np.linalg.solve(L, gamma)
    n = X.shape[0]
    return (np.full(n, p - 0.5 * d), np.full(n, a + g @ g), b + np.sum(Z * Z, axis=0)), (p, a, b)


def _moments(family, posterior, prior):
    """Posterior means mᵢ (n, 3), covariances Cᵢ (n, 3, 3), prior mean e and covariance F (active block)."""
    cpu = dispatch.kernels("cpu")
    M = np.stack(cpu.gig_moments(*posterior), axis=-1)
    C = np.asarray(cpu.gig_fisher(*posterior))
    e_full = np.asarray(cpu.gig_moments(*(np.atleast_1d(v) for v in prior)))[:, 0]
    F_full = np.asarray(cpu.gig_fisher(*(np.atleast_1d(v) for v in prior)))[0]
    active = list(_ACTIVE[family.name])
    e = np.zeros(3)
    e[active] = e_full[active]
    F = np.zeros((3, 3))
    F[np.ix_(active, active)] = F_full[np.ix_(active, active)]
    for name, value in (("posterior moments", M), ("posterior covariances", C), ("subordinator moments", e),
                        ("subordinator covariance", F)):
        if not np.all(np.isfinite(value)):
            raise ValueError(f"the {name} of Y are not finite at this model: Louis's formula does not apply")
    return M, C, e, F


def _louis(theta, X, family, d):
    theta = np.asarray(theta, dtype=np.float64)
    posterior, prior = _posterior(theta, X, family, d)
    M, C, e, F = _moments(family, posterior, prior)
    expected, J_rows, J_nat, scores = (np.asarray(v) for v in _louis_terms(
        jnp.asarray(theta), jnp.asarray(X), jnp.asarray(M), jnp.asarray(e), family, d))
    n = X.shape[0]
    information = -expected + n * J_nat.T @ F @ J_nat - np.einsum("nkp,nkl,nlq->pq", J_rows, C, J_rows)
    return 0.5 * (information + information.T), scores


@functools.partial(jax.jit, static_argnums=(2, 3))
def _normal_scores(theta, X, family, d):
    return jax.jacfwd(_normal_rows)(theta, X, family, d)


def louis_information(theta, X, family, d):
    """-∇²ℓ(θ) by Louis's formula (module docstring), shape (k, k)."""
    if not is_mixture(family):
        return autodiff_information(theta, X, family, d)
    return _louis(theta, np.asarray(X, dtype=np.float64), family, d)[0]


def row_scores(theta, X, family, d):
    """Per-row scores sᵢ = ∇_θ log f(xᵢ; θ) by Fisher's identity, shape (n, k)."""
    if not is_mixture(family):
        return np.asarray(_normal_scores(jnp.asarray(theta), jnp.asarray(X), family, d))
    return _louis(theta, np.asarray(X, dtype=np.float64), family, d)[1]
