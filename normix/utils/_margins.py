"""Margins of fitted models and what the plots need from them (no matplotlib here).

A margin of a normal variance-mean mixture is a mixture of the same family: if
X = μ + γY + √Y Z with Z ~ N(0, Σ), the columns J of X are X_J = μ_J + γ_J Y + √Y Z_J
with Z_J ~ N(0, Σ_JJ) and the same subordinator Y.  :func:`margin` builds that model
exactly; densities of the margins are therefore exact, not kernel estimates, and so are
their quantiles and tail probabilities (:func:`quantiles`, :func:`log_tails`): the
univariate laws of a mixture have an exact cdf, log sf and ppf
(:mod:`normix.mixtures.univariate`), a univariate family its own cdf.

Supported models: marginal mixtures (:class:`~normix.mixtures.marginal.NormalMixture`,
data of shape (n, d)) and univariate exponential families such as Gamma or GIG (data
of shape (n,) or (n, 1)).  :func:`dimension`, :func:`margin` and :func:`log_density`
dispatch on the model's class (``functools.singledispatch``): the most specific
registered base class decides.
"""
import functools

import jax
import numpy as np

from normix.exponential_family import ExponentialFamily
from normix.mixtures.joint import JointNormalMixture
from normix.mixtures.marginal import NormalMixture

# Bisection steps of the quantile function: the bracket shrinks by 2^-100, far below
# the resolution of a plot, for brackets up to the largest doubles.
_BISECTION_STEPS = 100
_MAX_DOUBLINGS = 1100


@functools.singledispatch
def dimension(model):
    """Number of columns of the data a model describes; ``TypeError`` for unsupported models."""
    raise TypeError("model must be a marginal normal mixture (e.g. NormalInverseGaussian) or a univariate "
                    f"exponential family (e.g. Gamma), got {type(model).__name__}")


@dimension.register(ExponentialFamily)
def _univariate_dimension(model):
    return 1


@dimension.register(NormalMixture)
def _mixture_dimension(model):
    return model.d


# A joint law describes (x, y) pairs, not data columns.
dimension.register(JointNormalMixture, dimension.dispatch(object))


def check_data(model, X):
    """X as a finite float64 array of shape (n, d) matching ``model``; ``ValueError`` naming X otherwise."""
    d = dimension(model)
    X = np.asarray(X, dtype=np.float64)
    if d == 1 and X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2 or X.shape[1] != d:
        raise ValueError(f"X must have shape (n, {d}) for this {type(model).__name__} model"
                         f"{' (or shape (n,))' if d == 1 else ''}, got shape {X.shape}")
    if X.shape[0] < 2:
        raise ValueError(f"X must have at least 2 rows, got {X.shape[0]}")
    if not np.all(np.isfinite(X)):
        raise ValueError("X must be finite (no NaN or inf)")
    return X


def check_columns(columns, d, name):
    """``columns`` as a tuple of distinct ints in [0, d); ``ValueError`` naming ``name`` otherwise."""
    columns = tuple(columns)
    for c in columns:
        if isinstance(c, bool) or not isinstance(c, (int, np.integer)) or not 0 <= c < d:
            raise ValueError(f"{name} must hold column indices in [0, {d}), got {c!r}")
    if len(set(columns)) != len(columns):
        raise ValueError(f"{name} must not repeat a column, got {columns}")
    return tuple(int(c) for c in columns)


@functools.singledispatch
def margin(model, columns):
    """The law of the columns ``columns`` of X ~ ``model``, as a model of the same family.

    For a mixture: the same subordinator with (μ_J, γ_J, chol(Σ_JJ)); for a univariate
    family (``columns == (0,)``): the model itself.
    """
    return model


@margin.register(NormalMixture)
def _mixture_margin(model, columns):
    return model.margin(columns)


@functools.singledispatch
def log_density(model, points):
    """log f at ``points`` (shape (m, k) for a k-dimensional mixture, (m,) or (m, 1) for a univariate family)."""
    return np.asarray(jax.vmap(model.log_prob)(np.asarray(points, dtype=np.float64).reshape(-1)))


@log_density.register(NormalMixture)
def _mixture_log_density(model, points):
    return model.log_prob_rows(np.asarray(points, dtype=np.float64).reshape(-1, model.d))


@functools.singledispatch
def quantiles(model, probs):
    """F_j⁻¹(probs) of every column j of the data ``model`` describes, shape (m, d), exact.

    A univariate family inverts its own cdf by bisection; a mixture takes the exact
    ppf of each one-dimensional margin.
    """
    return quantiles_from_cdf(model, probs)[:, None]


@quantiles.register(NormalMixture)
def _mixture_quantiles(model, probs):
    probs = np.asarray(probs, dtype=np.float64)
    return np.column_stack([np.asarray(model.margin([j]).ppf(probs)) for j in range(model.d)])


@functools.singledispatch
def log_tails(model, x):
    """(log F(x), log(1 − F(x))) of a univariate ``model`` at the points ``x`` (1-D), each of shape x.shape.

    A mixture margin integrates each side directly (both exact far in their tails); a
    univariate family takes logs of its cdf, whose upper tail is as accurate as 1 − F.
    """
    cdf = _cdf(model, np.asarray(x, dtype=np.float64))
    with np.errstate(divide="ignore"):
        return np.log(cdf), np.log1p(-cdf)


@log_tails.register(NormalMixture)
def _mixture_log_tails(model, x):
    if model.d != 1:
        raise ValueError(f"log_tails needs a univariate law (d = 1), got d = {model.d}")
    return np.asarray(model.logcdf(x)), np.asarray(model.logsf(x))


def _cdf(model, x):
    method = getattr(type(model), "cdf", None)
    if method is None or method is ExponentialFamily.cdf:
        raise TypeError(f"{type(model).__name__} has no cdf, so its quantiles cannot be computed")
    return np.asarray(model.cdf(x), dtype=np.float64)


def quantiles_from_cdf(model, probs):
    """F⁻¹(probs) of a univariate model by bisection of its cdf (vectorised over ``probs``)."""
    probs = np.asarray(probs, dtype=np.float64)
    lo, hi = -np.ones_like(probs), np.ones_like(probs)
    for _ in range(_MAX_DOUBLINGS):
        low = _cdf(model, lo) > probs
        high = _cdf(model, hi) < probs
        if not (low.any() or high.any()):
            break
        lo, hi = np.where(low, 2 * lo, lo), np.where(high, 2 * hi, hi)
    else:
        raise ValueError("the quantile bracket of the model's cdf did not close (cdf not a distribution function)")
    for _ in range(_BISECTION_STEPS):
        mid = 0.5 * (lo + hi)
        below = _cdf(model, mid) < probs
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    return 0.5 * (lo + hi)
