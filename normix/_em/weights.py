"""Observation weights: their validation, the EWMA weights, and the weighted rows that travel with X.

A weighted fit maximises the weighted log-likelihood Σ_i w_i log f(x_i): every E-step
average becomes Σ_i w_i t(x_i) / Σ_i w_i (the kernels ``weighted_estep_statistics``),
so integer weights fit exactly as the data with row i repeated w_i times.  Weights
need not sum to one; only their ratios matter.

Inside the engine the weights travel with the rows as one pytree, :class:`WeightedRows`,
so that a compiled loop stays one program whatever the weights, and the family that
reads them (:class:`normix._em.weighted.WeightedFamily`) stays a hashable static
argument.
"""
import math
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

_SHOWN_ROWS = 5


class WeightedRows(NamedTuple):
    """Rows ``X`` (n, d) and their weights ``w`` (n,), or data sets (B, n, d) and weights (B, n).

    ``shape`` and ``ndim`` are those of ``X``, so that code that only asks for the
    dimensions of the data treats weighted and plain rows alike.
    """

    X: Any
    w: Any

    @property
    def shape(self):
        return self.X.shape

    @property
    def ndim(self):
        return self.X.ndim


def ewma_weights(n, half_life):
    """Exponentially weighted (EWMA) observation weights of ``n`` rows, the newest row last.

    The weight of row i (i = 0, ..., n - 1) is

        w_i = 0.5 ** ((n - 1 - i) / half_life),

    so the newest row has weight 1 and a row ``half_life`` rows older has half its
    weight.  This is the exponential smoothing of RiskMetrics (J.P. Morgan/Reuters
    1996, "RiskMetrics - Technical Document", Sect. 5.2.1) with decay factor
    lambda = 0.5 ** (1 / half_life); e.g. the classical daily lambda = 0.94 is a half-life
    of log(0.5) / log(0.94) = 11.2 rows.  Pass the result as ``weights=`` to a fit
    (``model.fit(X, weights=ewma_weights(len(X), 250))``) with the rows of ``X`` in time
    order, oldest first.

    Parameters
    ----------
    n : int
        Number of rows, >= 1.
    half_life : float
        Half-life in rows, > 0 and finite.

    Returns
    -------
    ndarray, shape (n,)
        The weights, in (0, 1], increasing; float64.  Weights older than about 1075
        half-lives underflow to 0 (such rows then do not count in a fit).

    Raises
    ------
    ValueError
        If ``n`` is not an integer >= 1 or ``half_life`` is not a finite number > 0.
    """
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    if isinstance(half_life, (bool, np.bool_)) or not isinstance(half_life, (int, float, np.integer, np.floating)):
        raise ValueError(f"half_life must be a real number > 0 (rows), got {half_life!r}")
    if not (math.isfinite(half_life) and half_life > 0):
        raise ValueError(f"half_life must be > 0 and finite (rows), got {half_life!r}")
    age = np.arange(n - 1, -1, -1, dtype=np.float64)
    return np.exp2(-age / float(half_life))


def _rows_named(rows):
    count = rows.size
    return ", ".join(str(int(i)) for i in rows[:_SHOWN_ROWS]) + (", ..." if count > _SHOWN_ROWS else "")


def check_weights(weights, shape):
    """``weights`` as a float64 numpy array of ``shape``: finite, >= 0 and not all zero per data set.

    ``shape`` is (n,) for one data set or (B, n) for B data sets (each must have a
    positive weight).  Raises ``ValueError`` naming ``weights``, the constraint and the
    offending rows.
    """
    try:
        w = np.asarray(weights, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"weights must be an array of real numbers, got {type(weights).__name__}") from None
    if w.shape != tuple(shape):
        what = "one weight per row of X" if len(shape) == 1 else "one weight per row of each data set"
        raise ValueError(f"weights must have shape {tuple(shape)} ({what}), got shape {w.shape}")
    flat = w.reshape(-1, shape[-1])
    bad = np.flatnonzero(~np.isfinite(flat).all(axis=0)) if flat.size else np.empty(0, int)
    if bad.size:
        raise ValueError(f"weights must be finite: {bad.size} row(s) have NaN or inf weights (rows {_rows_named(bad)})")
    bad = np.flatnonzero((flat < 0).any(axis=0))
    if bad.size:
        raise ValueError(f"weights must be >= 0: {bad.size} row(s) have negative weights (rows {_rows_named(bad)})")
    empty = np.flatnonzero(~(flat > 0).any(axis=1))
    if empty.size:
        where = "" if len(shape) == 1 else f" (data set(s) {_rows_named(empty)})"
        raise ValueError(f"weights must not all be zero{where}: a fit needs rows of positive weight")
    return w


def check_positive_rows(count, d):
    """``ValueError`` unless ``count`` (the rows of positive weight) reaches d + 2, the minimum of a fit."""
    if count < d + 2:
        raise ValueError(f"weights must be positive on at least d + 2 = {d + 2} rows to fit a model of this "
                         f"dimension, got {int(count)} row(s) of positive weight")


def is_uniform(w):
    """Whether every weight of every data set equals the others of its data set (the fit is then unweighted)."""
    flat = np.reshape(w, (-1, np.shape(w)[-1]))
    return bool(np.all(flat == flat[:, :1]))


def on_device(data):
    """``data`` (rows, or :class:`WeightedRows`) as JAX arrays; arrays already on devices are kept as they are."""
    return jax.tree_util.tree_map(lambda a: a if hasattr(a, "sharding") else jnp.asarray(a), data)


def row_mass(data):
    """The total weight of the rows: Σ w for :class:`WeightedRows`, else the row count."""
    return jnp.sum(data.w) if isinstance(data, WeightedRows) else data.shape[0]


def row_order(key, data):
    """Row indices of one pass of a stochastic fitter over ``data``.

    Plain rows: a random permutation.  :class:`WeightedRows`: n draws with replacement,
    row i with probability w_i / Σ w, so that the mean of a statistic over the drawn rows
    estimates its weighted mean without bias (the drawn rows then count once each, see
    :func:`rows_at`).
    """
    n = data.shape[0]
    if isinstance(data, WeightedRows):
        return jax.random.choice(key, n, (n,), replace=True, p=data.w / jnp.sum(data.w))
    return jax.random.permutation(key, n)


def rows_at(data, index):
    """The rows ``index`` of ``data``; drawn from :class:`WeightedRows` they carry unit weights (:func:`row_order`)."""
    if isinstance(data, WeightedRows):
        X = data.X[index]
        return WeightedRows(X, jnp.ones(X.shape[0], dtype=X.dtype))
    return data[index]
