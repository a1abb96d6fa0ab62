"""Parity cases of ``estep_statistics_many``: batches of (model, data set) problems.

A case is ``(X, index, mu, gamma, L_Sigma, p, a, b)`` with X of shape (B, n, d) and one
model per problem; ``vmap_args`` stacks two such cases (different data and models) so
that the JAX twin is also checked under ``jax.vmap``.  Rows are drawn from
X = mu + gamma y + sqrt(y) L z with log-normal y (as in ``parity_cases/estep.py``); shapes are
small because the JAX twin's compile time, not the arithmetic, is the cost of these cases.
"""
import numpy as np

__all__ = ["CASES", "RTOL", "ATOL"]


def problem(rng, n, d, p, a, b, gamma_scale=0.5, sigma_scale=1.0, y_scale=1.0):
    """One problem ``(X, mu, gamma, L_Sigma, p, a, b)`` of n rows in dimension d."""
    mu = rng.standard_normal(d)
    gamma = gamma_scale * rng.standard_normal(d)
    A = rng.standard_normal((d, d))
    L = np.linalg.cholesky(sigma_scale * (A @ A.T / d + np.eye(d)))
    y = y_scale * rng.lognormal(0.0, 1.0, size=n)
    X = mu + np.outer(y, gamma) + np.sqrt(y)[:, None] * (rng.standard_normal((n, d)) @ L.T)
    return X, mu, gamma, L, float(p), float(a), float(b)


def _many(rng, n, d, subordinators, index, n_data, **scales):
    problems = [problem(rng, n, d, *pab, **scales) for pab in subordinators]
    X = np.stack([problems[k][0] for k in range(n_data)])
    return (X, np.asarray(index, dtype=np.int64), *(np.stack([pr[j] for pr in problems]) for j in range(1, 7)))


def _case(first, second):
    batch = tuple(np.stack(parts) for parts in zip(first, second))
    return {"args": first, "vmap_args": batch, "in_axes": (0,) * 8}


_rng = np.random.default_rng(20240613)
# GH, NIG, VG on two data sets (the third model reuses data set 1).
_REGULAR = [(1.5, 2.0, 0.5), (-0.5, 1.0, 1.0), (2.0, 1.0, 0.0)]
# Multi-start on data set 0: NInvG Student t with heavy tails, GH with tiny a and large b,
# GH with large a and tiny b.  Same shapes as the regular case, so that the compiled JAX
# programs are shared between the two cases.
_EXTREME = [(-1.2, 0.0, 5e3), (-40.0, 1e-9, 1e5), (25.0, 1e4, 1e-8)]

CASES = {
    "estep_statistics_many": {
        "regular": _case(_many(_rng, 40, 2, _REGULAR, [0, 1, 1], 2),
                         _many(_rng, 40, 2, _REGULAR, [1, 0, 0], 2)),
        "extreme": _case(_many(_rng, 40, 2, _EXTREME, [0, 0, 0], 2, gamma_scale=0.0, y_scale=1e3),
                         _many(_rng, 40, 2, _EXTREME, [0, 0, 0], 2, gamma_scale=3.0, sigma_scale=1e4, y_scale=1e3)),
    }
}



def _with_weights(rng, case):
    """A case with row weights W (B, n) after X: log-uniform over two decades, a fifth of them 0."""
    X = case[0]
    W = 10.0 ** rng.uniform(-1.0, 1.0, X.shape[:2])
    W[rng.random(X.shape[:2]) < 0.2] = 0.0
    return (X, W) + case[1:]


def _weighted_case(entry):
    first, second = (tuple(a[j] for a in entry["vmap_args"]) for j in range(2))
    batch = tuple(np.stack(parts) for parts in zip(_with_weights(_rng, first), _with_weights(_rng, second)))
    return {"args": tuple(a[0] for a in batch), "vmap_args": batch, "in_axes": (0,) * 9}


CASES["weighted_estep_statistics_many"] = {name: _weighted_case(entry)
                                           for name, entry in CASES["estep_statistics_many"].items()}

# As for ``estep_statistics`` (parity_cases/estep.py): the twins differ only in rounding of the
# whitening, the Bessel node sums and the order of the row sums.
RTOL = {"estep_statistics_many": 1e-12, "weighted_estep_statistics_many": 1e-12}
ATOL = {"estep_statistics_many": 1e-12, "weighted_estep_statistics_many": 1e-12}
