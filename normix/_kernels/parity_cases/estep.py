"""Parity cases of the E-step kernels (``mixture_log_density``, ``posterior_moments``,
``estep_statistics``): dict cases over batches of mixture problems.

A problem is ``(X, mu, gamma, L_Sigma, p, a, b)`` with p, a, b as 0-d arrays so that a
batch can vary them.  Rows are drawn from X = mu + gamma y + sqrt(y) L z with y from a
law of roughly the subordinator's shape (the twins need not see the model's own law).
"""
import numpy as np

__all__ = ["CASES", "RTOL", "ATOL", "problem"]


def _cholesky(rng, d, scale):
    A = rng.standard_normal((d, d))
    return np.linalg.cholesky(scale * (A @ A.T / d + np.eye(d)))


def problem(rng, n, d, p, a, b, gamma_scale=0.5, sigma_scale=1.0, y_scale=1.0):
    """One problem ``(X, mu, gamma, L_Sigma, p, a, b)`` of n rows in dimension d."""
    mu = rng.standard_normal(d)
    gamma = gamma_scale * rng.standard_normal(d)
    L = _cholesky(rng, d, sigma_scale)
    y = y_scale * rng.lognormal(0.0, 1.0, size=n)
    X = mu + np.outer(y, gamma) + np.sqrt(y)[:, None] * (rng.standard_normal((n, d)) @ L.T)
    return X, mu, gamma, L, np.asarray(float(p)), np.asarray(float(a)), np.asarray(float(b))


def _at_mu(prob, rows):
    """The problem with its first ``rows`` rows moved exactly onto mu."""
    X = prob[0].copy()
    X[:rows] = prob[1]
    return (X,) + prob[1:]


def _case(problems):
    batch = tuple(np.stack(parts) for parts in zip(*problems))
    return {"args": problems[0], "vmap_args": batch, "in_axes": (0,) * 7}


_rng = np.random.default_rng(20240612)
_regular = [
    problem(_rng, 300, 3, 1.5, 2.0, 0.5),  # GH
    problem(_rng, 300, 3, -0.5, 1.0, 1.0),  # NIG
    problem(_rng, 300, 3, 2.0, 1.0, 0.0),  # VG
    problem(_rng, 300, 3, -3.0, 0.0, 4.0),  # NInvG
]
_extreme = [
    _at_mu(problem(_rng, 200, 20, 0.75, 1e-6, 0.0, gamma_scale=1e-3), 3),  # VG, p - d/2 << 0, rows at mu
    problem(_rng, 200, 20, -1.2, 0.0, 5e3, gamma_scale=0.0, y_scale=1e3),  # NInvG, gamma = 0: Student t, heavy tails
    problem(_rng, 200, 20, 25.0, 1e4, 1e-8, sigma_scale=1e-6, y_scale=1e-3),  # GH, large a, tiny b
    problem(_rng, 200, 20, -40.0, 1e-9, 1e5, gamma_scale=3.0, sigma_scale=1e4, y_scale=1e3),  # GH, tiny a
]
_limits = [
    _at_mu(problem(_rng, 100, 2, 0.4, 3.0, 0.0), 2),  # VG, p - d/2 < 0: f(mu) = +inf
    _at_mu(problem(_rng, 100, 2, 1.5, 3.0, 0.0), 2),  # VG, 0 < p - d/2 <= 1: E[1/Y | mu] = +inf
    _at_mu(problem(_rng, 100, 2, 4.0, 3.0, 0.0), 2),  # VG, p - d/2 > 1: proper Gamma posterior
    problem(_rng, 100, 2, -0.6, 0.0, 1.2, gamma_scale=0.0),  # NInvG, gamma = 0
]



def _weighted(problems, weights):
    """Problems with row weights ``(X, w, mu, gamma, L_Sigma, p, a, b)``."""
    return [(prob[0], w) + prob[1:] for prob, w in zip(problems, weights)]


def _some_zero(rng, n, scale):
    """Weights of n rows, log-uniform over ``scale`` decades around 1, with a fifth of them exactly 0."""
    w = 10.0 ** rng.uniform(-scale, scale, n)
    w[rng.random(n) < 0.2] = 0.0
    return w


_KERNELS = ("mixture_log_density", "posterior_moments", "estep_statistics")
CASES = {
    name: {
        "regular": _case(_regular),
        "extreme": _case(_extreme),
        "limits": _case(_limits),
    }
    for name in _KERNELS
}
# Weighted statistics: weights over one decade (regular), over 200 decades (extreme), and
# the limits with their rows at mu given weight 0 (then skipped) or weight 1e-300.
_limit_weights = [_some_zero(_rng, 100, 1.0) for _ in _limits]
_limit_weights[0][:2] = 0.0
_limit_weights[1][:2] = 1e-300
CASES["weighted_estep_statistics"] = {
    "regular": _case(_weighted(_regular, [_some_zero(_rng, 300, 1.0) for _ in _regular])),
    "extreme": _case(_weighted(_extreme, [_some_zero(_rng, 200, 100.0) for _ in _extreme])),
    "limits": _case(_weighted(_limits, _limit_weights)),
}
for _name in CASES["weighted_estep_statistics"].values():
    _name["in_axes"] = (0,) * 8

# The twins share every formula; they differ in the whitening (forward substitution or
# trsm vs one triangular solve on all rows), in the Bessel quadrature's node sums and in
# the order of the row sums, all at rounding level, so values agree to 1e-12 relative.
# log f is a sum of terms (log K ~ -w, lin, log|Sigma|) that reach ~6e4 (extreme case)
# and cancel; its rounding is absolute, ~1e-15 of those terms, hence ATOL 1e-10.  Likewise
# E log Y = log s + ∂/∂v log K_v(w) crosses 0 (terms up to ~10): ATOL 4e-15 (which loosens
# the check of the smallest E[Y], E[1/Y] here, ~1e-5, to 4e-10 relative).  The entries of
# s4, s5 and S6 that cancel between rows get ATOL 1e-12 (their terms are O(1)).
RTOL = {name: 1e-12 for name in _KERNELS + ("weighted_estep_statistics",)}
ATOL = {"mixture_log_density": 1e-10, "posterior_moments": 4e-15, "estep_statistics": 1e-12,
        "weighted_estep_statistics": 1e-12}
