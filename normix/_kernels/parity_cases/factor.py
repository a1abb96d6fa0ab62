"""Parity cases of the factor kernels (``factor_estep_statistics``, ``factor_m_step``): dict cases.

An E-step problem is ``(X, mu, gamma, B, D, p, a, b)`` with rows drawn from
X = mu + gamma y + sqrt(y) (B f + sqrt(D) e); an M-step problem is the E-step statistics of
such rows (posterior-like weights) with the (B, D) they are projected on.
"""
import numpy as np

__all__ = ["CASES", "RTOL", "ATOL"]


def problem(rng, n, d, k, p, a, b, gamma_scale=0.5, d_scale=1.0, y_scale=1.0):
    """One E-step problem ``(X, mu, gamma, B, D, p, a, b)`` of n rows, dimension d and k factors."""
    mu = rng.standard_normal(d)
    gamma = gamma_scale * rng.standard_normal(d)
    B = rng.standard_normal((d, k))
    D = d_scale * rng.uniform(0.2, 2.0, size=d)
    y = y_scale * rng.lognormal(0.0, 1.0, size=n)
    Z = rng.standard_normal((n, k)) @ B.T + np.sqrt(D) * rng.standard_normal((n, d))
    X = mu + np.outer(y, gamma) + np.sqrt(y)[:, None] * Z
    return X, mu, gamma, B, D, np.asarray(float(p)), np.asarray(float(a)), np.asarray(float(b))


def m_problem(rng, prob):
    """``(s2, s3, s4, s5, S6_beta, S6_diag, B, D)`` from the rows of an E-step problem, with posterior-like weights.

    As an E-step would build them: w_i = E[1/Y | x_i] > 0 and v_i = E[Y | x_i] >= 1 / w_i
    (Jensen), averaged; S6 enters through S6 βᵀ (β = Bᵀ(B Bᵀ + D)⁻¹) and its diagonal.
    """
    X, _, _, B, D = prob[:5]
    n = X.shape[0]
    w = rng.gamma(2.0, 1.0, size=n)
    v = (1.0 + rng.gamma(1.0, 1.0, size=n)) / w
    S6 = (X * w[:, None]).T @ X / n
    beta = np.linalg.solve(B @ B.T + np.diag(D), B).T
    return (np.asarray(w.mean()), np.asarray(v.mean()), X.mean(axis=0), (X * w[:, None]).mean(axis=0),
            S6 @ beta.T, np.diagonal(S6).copy(), B, D)


def _case(problems):
    batch = tuple(np.stack(parts) for parts in zip(*problems))
    return {"args": problems[0], "vmap_args": batch, "in_axes": (0,) * len(problems[0])}


_rng = np.random.default_rng(20261203)
_regular = [
    problem(_rng, 300, 6, 2, 1.5, 2.0, 0.5),  # GH
    problem(_rng, 300, 6, 2, -0.5, 1.0, 1.0),  # NIG
    problem(_rng, 300, 6, 2, 2.0, 1.0, 0.0),  # VG
    problem(_rng, 300, 6, 2, -3.0, 0.0, 4.0),  # NInvG
]
_extreme = [
    problem(_rng, 200, 40, 5, 0.75, 1e-6, 0.0, gamma_scale=1e-3, d_scale=1e-4),  # VG, strong factors
    problem(_rng, 200, 40, 5, -1.2, 0.0, 5e3, gamma_scale=0.0, y_scale=1e3),  # Student t, heavy tails
    problem(_rng, 200, 40, 5, 25.0, 1e4, 1e-8, d_scale=1e2, y_scale=1e-3),  # GH, large a, tiny b
    problem(_rng, 200, 40, 5, -40.0, 1e-9, 1e5, gamma_scale=3.0, y_scale=1e3),  # GH, tiny a
]

CASES = {
    "factor_estep_statistics": {"regular": _case(_regular), "extreme": _case(_extreme)},
    "factor_m_step": {"regular": _case([m_problem(_rng, q) for q in _regular]),
                      "extreme": _case([m_problem(_rng, q) for q in _extreme])},
}

# Same formulas in both twins; they differ in the order of the row sums, in the Woodbury
# products (row by row or one matmul) and in the Bessel quadrature's node sums: rounding
# level.  log f is a sum of cancelling terms up to ~1e4 (absolute rounding, ATOL 1e-10);
# the Woodbury Q = r'D⁻¹r - |v|² loses up to a factor cond(M) ~ 1e4 of relative accuracy in the
# strong-factor case; entries of s4, s5 and S6 βᵀ that cancel between rows get ATOL 1e-11.
RTOL = {"factor_estep_statistics": 1e-10, "factor_m_step": 1e-9}
ATOL = {"factor_estep_statistics": 1e-10, "factor_m_step": 1e-10}
