"""Factor-structured Sigma: EM of a normal variance-mean mixture with Sigma = B Bᵀ + diag(D).

``fit(X, sigma='factor', n_factors=k)`` fits X = mu + gamma Y + sqrt(Y) Z, Z ~ N(0, Sigma),
with Sigma = B Bᵀ + diag(D), B of shape (d, k) and D > 0: d k + d parameters instead of
d (d + 1) / 2, and an iteration in O(n d k) time and O(d k) memory beyond the rows, so that
d in the hundreds stays cheap.

Algorithm (an ECM, Meng & Rubin 1993; the variance-mean mixture counterpart of the mixtures
of factor analysers of McLachlan & Peel 2000, ch. 8, and McNicholas & Murphy 2008):

* E-step (complete data (X, Y)): the posterior GIG moments of Y per row, with Q_i, A and
  gammaᵀSigma⁻¹(x_i - mu) by the Woodbury identity and log|Sigma| by the determinant lemma
  (kernel ``factor_estep_statistics``); the statistics are those of the full E-step
  except that S6 = mean E[1/Y | x] x xᵀ enters only as S6 βᵀ (d x k) and diag(S6), with
  β = BᵀSigma⁻¹ at the current iterate.
* CM-step 1: mu and gamma in closed form (the full M-step's formulas, which do not depend
  on Sigma) and the family's subordinator update, unchanged.
* CM-step 2: (B, D) by one factor-analysis EM step (Rubin & Thayer 1982) on the expected
  scatter S = mean E[(x - mu - gamma Y)(x - mu - gamma Y)ᵀ / Y | x] at the new mu and gamma
  (kernel ``factor_m_step``), which does not decrease the expected complete-data
  log-likelihood's Sigma part -log|Sigma| - tr(Sigma⁻¹S).  Both CM-steps increase the
  same Q-function, so the log-likelihood never decreases (the alternating ECM of Meng &
  van Dyk 1997, with one E-step per cycle).

Start: the principal factors of the starting model's Sigma (probabilistic PCA, Tipping &
Bishop 1999): B = V_k (Λ_k - s² I)^(1/2), s² the mean of the other d - k eigenvalues, and
D = diag(Sigma - B Bᵀ) > 0.

Convergence is measured on (mu, gamma, Sigma): the relative changes of mu and gamma as in
:mod:`normix._em.convergence` and |Sigma' - Sigma|_F / |Sigma|_F, computed from the factors in
O(d k²) (so it does not depend on the rotation of B, which is not identified).

The fitted model is the ordinary mixture with Sigma = B Bᵀ + diag(D) (log_prob, rvs,
save/load and the risk functions work unchanged); the result is a :class:`FactorEMResult`
carrying ``loadings`` B, rotated so that BᵀD⁻¹B is diagonal with decreasing entries and the
largest entry of each column positive, and ``specific_variances`` D.

In-memory rows only (numpy or a JAX array on one device), on both E-step backends and in
the compiled JAX loop; a dask array or a row-sharded JAX array raises ``ValueError``.
"""
import dataclasses
import functools
from typing import Any, NamedTuple

import jax
import numpy as np

from normix._em.protocol import MixtureState
from normix._em.result import EMResult
from normix._kernels import dispatch

SIGMAS = ("full", "factor")


class FactorStatistics(NamedTuple):
    """Row averages of the factor E-step: s1..s5 as in ``MixtureStatistics``, S6 βᵀ and diag(S6)."""

    s1: Any
    s2: Any
    s3: Any
    s4: Any
    s5: Any
    S6_beta: Any
    S6_diag: Any


class FactorState(NamedTuple):
    """Parameters during EM: mu, gamma, loadings B (d, k), specific variances D (d,), subordinator."""

    mu: Any
    gamma: Any
    B: Any
    D: Any
    subordinator: Any

    def sigma_change(self, new, xp):
        """(|Sigma^(1/2)|_F, |Sigma' - Sigma|_F / |Sigma|_F) from this state to ``new``; ``xp`` numpy or jax.numpy.

        |Sigma^(1/2)|_F = sqrt(tr Sigma) (the Frobenius norm of any square root, the Cholesky
        factor's included).  With E = B' - B and δ = D' - D, Sigma' - Sigma = B Eᵀ + E B'ᵀ + diag(δ), so
        |Sigma' - Sigma|_F² = tr(EᵀE B'ᵀB') + 2 tr(EᵀB EᵀB') + tr(BᵀB EᵀE)
        + 2 Σ_j δ_j Σ_l E_jl (B'_jl + B_jl) + |δ|²: every term is small with the change (no
        cancellation of terms of the size of |Sigma|²), O(d k²).
        """
        B0, B1, D0 = self.B, new.B, self.D
        E = B1 - B0
        delta = new.D - D0
        EE = E.T @ E
        square = (xp.sum(EE * (B1.T @ B1)) + 2.0 * xp.sum((E.T @ B0) * (E.T @ B1).T) + xp.sum((B0.T @ B0) * EE)
                  + 2.0 * xp.sum(delta * xp.sum(E * (B1 + B0), axis=1)) + xp.sum(delta * delta))
        rows = xp.sum(B0 * B0, axis=1)
        size = xp.sum((B0.T @ B0) ** 2) + 2.0 * xp.sum(D0 * rows) + xp.sum(D0 * D0)
        return xp.sqrt(xp.sum(rows) + xp.sum(D0)), xp.sqrt(xp.maximum(square, 0.0) / size)


def validate_sigma(sigma, n_factors, d):
    """Raise ``ValueError`` naming ``sigma`` or ``n_factors`` unless they are a valid pair for dimension ``d``."""
    if not isinstance(sigma, str) or sigma not in SIGMAS:
        raise ValueError(f"sigma must be one of {SIGMAS!r}, got {sigma!r}")
    if sigma == "full":
        if n_factors is not None:
            raise ValueError(f"n_factors is used only with sigma='factor'; got n_factors={n_factors!r} with "
                             "sigma='full'")
        return
    if isinstance(n_factors, (bool, np.bool_)) or not isinstance(n_factors, (int, np.integer)):
        raise ValueError(f"n_factors must be an integer with 1 <= n_factors < d = {d} when sigma='factor', got "
                         f"{n_factors!r}")
    if not 1 <= n_factors < d:
        raise ValueError(f"n_factors must satisfy 1 <= n_factors < d = {d}, got {n_factors}")


def principal_factors(sigma, k):
    """(B, D) of the probabilistic-PCA fit of the covariance ``sigma`` with ``k`` factors (module docstring).

    B = V_k (Λ_k - s² I)^(1/2) with the k largest eigenvalues Λ_k and s² the mean of the
    others; D = diag(sigma) - rowsum(B²) = diag(V_r Λ_r V_rᵀ + s² V_k V_kᵀ) (r: the other
    eigenpairs), > 0 for a positive definite ``sigma`` (raised to 1e-12 diag(sigma) against
    rounding).
    """
    values, vectors = np.linalg.eigh(sigma)
    rest = float(np.mean(values[:-k]))
    top = values[-k:][::-1]
    B = vectors[:, -k:][:, ::-1] * np.sqrt(np.maximum(top - rest, 0.0))
    diag = np.diagonal(sigma)
    return B, np.maximum(diag - np.sum(B * B, axis=1), 1e-12 * diag)


@functools.cache
def _kernel(backend, name):
    """Kernel ``name`` of ``backend``, jitted on the JAX backend (inlined inside a compiled loop)."""
    kernel = getattr(dispatch.kernels(backend), name)
    return jax.jit(kernel) if dispatch.traceable(backend) else kernel


def woodbury_q(X, state):
    """Q_i = (x_i - mu)ᵀSigma⁻¹(x_i - mu) of every row of the in-memory ``X`` (numpy), O(n d k)."""
    mu, B, D = (np.asarray(v) for v in (state.mu, state.B, state.D))
    G = B / D[:, None]
    C = np.linalg.cholesky(np.eye(B.shape[1]) + B.T @ G)
    R = X - mu
    V = np.linalg.solve(C, (R @ G).T)
    return np.sum(R * R / D, axis=1) - np.sum(V * V, axis=0)


@dataclasses.dataclass(frozen=True)
class FactorFamily:
    """The EM protocol of ``family`` (a mixture class) with Sigma = B Bᵀ + diag(D) and ``n_factors`` factors.

    Frozen and hashable: a static argument of the compiled loop.
    """

    family: type
    n_factors: int

    @property
    def __name__(self):
        return self.family.__name__

    def em_state(self, model, backend):
        """The factor state of a (full) model: its mu, gamma, subordinator and the principal factors of its Sigma."""
        full = self.family.em_state(model, "cpu")
        L = np.asarray(full.L_Sigma)
        B, D = principal_factors(L @ L.T, self.n_factors)
        state = FactorState(np.asarray(full.mu), np.asarray(full.gamma), B, D, full.subordinator)
        return dispatch.to_backend(state, backend)

    def em_model(self, state):
        """The ordinary mixture with Sigma = B Bᵀ + diag(D) (one d x d Cholesky factorisation)."""
        B, D = np.asarray(state.B), np.asarray(state.D)
        L = np.linalg.cholesky(B @ B.T + np.diag(D))
        return self.family.em_model(MixtureState(np.asarray(state.mu), np.asarray(state.gamma), L,
                                                 tuple(np.asarray(v) for v in state.subordinator)))

    def em_e_step(self, X, state, backend):
        """(FactorStatistics, mean log-likelihood of ``state``) by ``factor_estep_statistics``."""
        p, a, b = self.family.em_gig(state.subordinator)
        *stats, mean_ll = _kernel(backend, "factor_estep_statistics")(X, state.mu, state.gamma, state.B, state.D,
                                                                      p, a, b)
        return FactorStatistics(*stats), mean_ll

    def em_m_step(self, stats, state, backend, method):
        """CM-step 1 (mu, gamma, subordinator) and CM-step 2 (one factor-analysis step for B, D)."""
        mu, gamma, B, D = _kernel(backend, "factor_m_step")(stats.s2, stats.s3, stats.s4, stats.s5, stats.S6_beta,
                                                            stats.S6_diag, state.B, state.D)
        subordinator = self.family.em_subordinator_m_step(stats.s1, stats.s2, stats.s3, state.subordinator,
                                                          backend, method)
        return FactorState(mu, gamma, B, D, subordinator)

    def em_regularize(self, state, regularization, backend):
        """``'det_sigma_one'``: (mu, gamma/s, B/sqrt(s), D/s, sY) with s = |Sigma|^(1/d), the same law."""
        if regularization == "none":
            return state
        xp = dispatch.array_namespace(backend)
        B, D = state.B, state.D
        d, k = B.shape
        log_det = xp.linalg.slogdet(xp.eye(k) + B.T @ (B / D[:, None]))[1] + xp.sum(xp.log(D))
        s = xp.exp(log_det / d)
        subordinator = self.family.em_scale_subordinator(state.subordinator, s)
        return FactorState(state.mu, state.gamma / s, B / xp.sqrt(s), D / s, subordinator)

    def em_unbounded_at_mu(self, state, d):
        """The wrapped family's test of an infinite density at mu (it reads only the subordinator)."""
        return self.family.em_unbounded_at_mu(state, d)

    def em_nearest_row(self, X, state):
        """(index, Q) of the row nearest to mu in Mahalanobis distance squared (Woodbury, O(n d k))."""
        q = woodbury_q(np.asarray(X), state)
        row = int(np.argmin(q))
        return row, float(q[row])


def factor_family(family, sigma, n_factors, d):
    """The family object the loops drive: ``family`` itself for ``sigma='full'``, else its :class:`FactorFamily`.

    ``family`` is what the placement picked; a factor fit needs the rows in memory (a
    mixture class), so an adapter of distributed rows raises ``ValueError``.
    """
    validate_sigma(sigma, n_factors, d)
    if sigma == "full":
        return family
    if not isinstance(family, type):
        raise ValueError("sigma='factor' needs the rows in memory (a numpy array or a JAX array on one device); it "
                         "is not supported with a dask array or a JAX array sharded over several devices")
    return FactorFamily(family, int(n_factors))


@dataclasses.dataclass(frozen=True)
class FactorEMResult(EMResult):
    """:class:`EMResult` of a factor fit, with the factors of Sigma = B Bᵀ + diag(D) of ``model``.

    Attributes
    ----------
    loadings : ndarray
        B, shape (d, k), identified up to an orthogonal rotation; returned in the rotation
        where BᵀD⁻¹B is diagonal with decreasing entries and the largest-magnitude entry of
        each column is positive.
    specific_variances : ndarray
        D, shape (d,), > 0.
    """

    loadings: Any = None
    specific_variances: Any = None


def canonical_loadings(B, D):
    """B rotated so that BᵀD⁻¹B is diagonal, decreasing, with each column's largest-magnitude entry positive."""
    values, vectors = np.linalg.eigh(B.T @ (B / D[:, None]))
    B = B @ vectors[:, ::-1]
    signs = np.sign(B[np.argmax(np.abs(B), axis=0), np.arange(B.shape[1])])
    return B * np.where(signs == 0, 1.0, signs)


def factor_result(result, state):
    """``result`` as a :class:`FactorEMResult` carrying the factors of the final ``state``."""
    B, D = np.asarray(state.B), np.asarray(state.D)
    fields = {f.name: getattr(result, f.name) for f in dataclasses.fields(EMResult)}
    return FactorEMResult(**fields, loadings=canonical_loadings(B, D), specific_variances=D)
