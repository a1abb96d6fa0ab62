"""Parity cases of the normal M-step kernel ``normal_m_step`` (a reduction: dict cases).

Statistics are built as an E-step would build them: rows x_i with posterior moments
w_i = E[1/Y | x_i] > 0 and v_i = E[Y | x_i] >= 1 / w_i (Jensen), averaged.
"""
import numpy as np

__all__ = ["CASES", "RTOL"]


def _statistics(rng, n, d, scale):
    X = scale * rng.standard_normal((n, d)) + rng.standard_normal(d)
    w = rng.gamma(2.0, 1.0, size=n)
    v = (1.0 + rng.gamma(1.0, 1.0, size=n)) / w
    return (np.asarray(w.mean()), np.asarray(v.mean()), X.mean(axis=0), (X * w[:, None]).mean(axis=0),
            (X * w[:, None]).T @ X / n)


def _batch(problems):
    return tuple(np.stack(parts) for parts in zip(*problems))


def _case(problems):
    return {"args": problems[0], "vmap_args": _batch(problems), "in_axes": (0, 0, 0, 0, 0)}


_rng = np.random.default_rng(20240611)
_regular = [_statistics(_rng, 200, 3, 1.0) for _ in range(4)]
_scaled = [_statistics(_rng, 50, 2, 1e6), _statistics(_rng, 50, 2, 1e-6)]
_degenerate = _statistics(_rng, 3, 4, 1.0)
_not_positive = (np.asarray(1.0), np.asarray(2.0), np.ones(2), np.zeros(2), np.zeros((2, 2)))

CASES = {
    "normal_m_step": {
        "regular": _case(_regular),
        "extreme": _case(_scaled),
        "rank_deficient": _case([_degenerate, _degenerate]),
        "not_positive_definite": _case([_not_positive, _scaled[0][:2] + _not_positive[2:]]),
    },
}

# Both twins run the same O(d^3) LAPACK factorisation; agreement is to rounding.
RTOL = {"normal_m_step": 1e-10}
