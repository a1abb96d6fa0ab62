"""Checks of the arguments shared by the risk functions: the model, the weights, the levels, the measure.

Each raises ``ValueError`` naming the argument and the constraint on concrete input;
on traced input (inside ``jax.jit``, ``jax.grad``) shapes are checked at once and
values through :func:`equinox.error_if` (see :mod:`normix._validation`).
"""
import numpy as np

from normix._validation import as_real_array, check_real_dtype, is_traced, require
from normix.mixtures.affine import check_weights
from normix.mixtures.marginal import NormalMixture

MEASURES = ("es", "var")


def check_model(model, name="model"):
    """``model`` if it is an unbatched normal mixture (GH, NIG, VG, NInvG), else ``ValueError``."""
    if not isinstance(model, NormalMixture):
        raise ValueError(f"{name} must be a normal mixture (GeneralizedHyperbolic, NormalInverseGaussian, "
                         f"VarianceGamma, NormalInverseGamma), got {type(model).__name__}")
    if model.batch_shape:
        raise ValueError(f"{name} must be one unbatched model, got one with batch_shape {model.batch_shape}")
    return model


def check_portfolios(weights, d, name="weights"):
    """``weights`` of shape (d,) or (K, d), finite, with no zero row, as a float64 (K, d) array.

    Concrete input is checked in numpy and returned as a numpy array; traced input goes
    through :func:`normix.mixtures.affine.check_weights` (a JAX array).
    """
    if is_traced(weights):
        return check_weights(weights, d, name)
    W = as_real_array(weights, name)
    if W.ndim not in (1, 2) or W.shape[-1] != d or W.size == 0:
        raise ValueError(f"{name} must have shape ({d},) or (K, {d}) (positions in the d = {d} assets), "
                         f"got shape {W.shape}")
    W = W.reshape(-1, d)
    if not np.isfinite(W).all():
        raise ValueError(f"{name} must be finite, got non-finite entries in row(s) "
                         f"{np.flatnonzero(~np.isfinite(W).all(axis=1))[:5].tolist()}")
    zero = np.flatnonzero(~W.any(axis=1))
    if zero.size:
        raise ValueError(f"{name} must have no zero row (the portfolio wᵀX = 0 has no law), got zero row(s) "
                         f"{zero[:5].tolist()}")
    return W


def check_levels(level, name="level"):
    """``level`` (a scalar or a 1-d array of probabilities in (0, 1)) as a float64 1-d array.

    Numpy for concrete input; for traced input a JAX array checked by :func:`equinox.error_if`.
    """
    if is_traced(level):
        check_real_dtype(level, name)
    else:
        level = as_real_array(level, name)
    if np.ndim(level) > 1 or np.size(level) == 0:
        raise ValueError(f"{name} must be a scalar or a non-empty 1-d array, got shape {np.shape(level)}")
    if is_traced(level):
        return require(level, lambda x: (x > 0.0) & (x < 1.0), name, "be in the open interval (0, 1)").reshape(-1)
    level = level.reshape(-1)
    bad = ~((level > 0.0) & (level < 1.0))
    if bad.any():
        raise ValueError(f"{name} must be in the open interval (0, 1), got {level[bad][:5].tolist()}")
    return level


def check_measure(measure, allowed=MEASURES, name="measure"):
    """``measure`` if it is one of ``allowed``, else ``ValueError`` listing them."""
    if not isinstance(measure, str) or measure not in allowed:
        raise ValueError(f"{name} must be one of {allowed!r}, got {measure!r}")
    return measure


def check_flag(value, name):
    """``value`` if it is a bool, else ``ValueError``."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)
