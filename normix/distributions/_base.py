"""Abstract bases of the distributions: what every law offers, and what every law of a random vector offers.

:class:`AbstractDistribution` holds ``save`` (the ``normix.model`` JSON format of
:mod:`normix._serialization`) and declares ``log_prob``.
:class:`AbstractMultivariateDistribution` is the common surface of the laws of a random
vector X in R^d (the multivariate normal and the marginal mixtures): ``d``, ``mean()``,
``cov()``, ``rvs(n, seed)``, ``log_prob(x)`` of one observation and
``log_prob_rows(X, backend)`` of every row of a data matrix.

Following equinox, every class is either abstract (named ``Abstract...`` or documented
as abstract, never instantiated) or final (never subclassed).
"""
import abc

import equinox as eqx
import numpy as np

from normix._kernels import dispatch
from normix._serialization import save_model
from normix._validation import as_real_array, check_data, is_traced


def check_rows(X, d, min_rows=1, what=""):
    """Observations ``X`` as float64 (n, d): numpy when concrete, JAX when traced.

    ``ValueError`` naming the problem: wrong number of dimensions or columns, fewer than
    ``min_rows`` rows (``what`` says what needs them), NaN or inf (with the rows).
    """
    if is_traced(X):
        return check_data(X, "X", event_ndim=1, event_shape=(d,))
    X = as_real_array(X, "X")
    if X.ndim != 2 or X.shape[1] != d:
        raise ValueError(f"X must have shape (n, {d}) (n observations of dimension d = {d}), got shape {X.shape}")
    if X.shape[0] < min_rows:
        raise ValueError(f"X must have at least {min_rows} row(s){what}, got {X.shape[0]}")
    bad = ~np.all(np.isfinite(X), axis=1)
    if bad.any():
        rows = np.flatnonzero(bad)
        shown = ", ".join(str(i) for i in rows[:5]) + (", ..." if rows.size > 5 else "")
        raise ValueError(f"X must be finite: {rows.size} row(s) hold NaN or inf (rows {shown})")
    return X


class AbstractDistribution(eqx.Module):
    """Abstract base of every distribution of normix (final subclasses only)."""

    @abc.abstractmethod
    def log_prob(self, x):
        """log f(x) of one observation."""

    def save(self, path):
        """Write this model to ``path`` in the ``normix.model`` JSON format; read it back with ``normix.load``."""
        save_model(self, path)


class AbstractMultivariateDistribution(AbstractDistribution):
    """Abstract law of a random vector X in R^d.

    Subclasses implement ``d``, ``log_prob``, ``mean``, ``cov``, ``rvs`` and
    ``_log_prob_rows`` (the density of validated rows); :meth:`log_prob_rows` is shared.
    """

    @property
    @abc.abstractmethod
    def d(self):
        """Dimension d of X."""

    @abc.abstractmethod
    def mean(self):
        """E[X], shape (d,)."""

    @abc.abstractmethod
    def cov(self):
        """Cov[X], shape (d, d)."""

    @abc.abstractmethod
    def rvs(self, n, seed=42):
        """``n`` draws of X as a numpy array of shape (n, d), reproducible from ``seed``."""

    @abc.abstractmethod
    def _log_prob_rows(self, X, backend):
        """log f(xᵢ) of the validated rows ``X`` (arrays of ``backend``), shape (n,)."""

    def log_prob_rows(self, X, backend="cpu"):
        """log f(xᵢ) of every row xᵢ of ``X``, as an array of shape (n,).

        The batched form of :meth:`log_prob`: ``log_prob_rows(X)[i] == log_prob(X[i])``
        up to rounding, without a Python loop or ``jax.vmap``.

        Parameters
        ----------
        X : array, shape (n, d)
            Finite observations (``ValueError`` naming the wrong shape or the rows
            holding NaN or inf).
        backend : {'cpu', 'jax'}
            ``'cpu'``: a numpy array (numba kernels where the family has them, nothing
            to trace); ``'jax'``: a JAX array from a compiled JAX program (jit-able).

        Returns
        -------
        array, shape (n,)
        """
        backend = dispatch.validate_backend(backend)
        X = dispatch.to_backend(check_rows(X, self.d), backend)
        return self._log_prob_rows(X, backend)
