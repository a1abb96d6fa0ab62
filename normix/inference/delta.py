"""Delta-method standard errors of quantities derived from a fitted law.

For a smooth function g of the law, g(θ̂) is asymptotically normal with covariance

    Cov g(θ̂) = J Cov(θ̂) Jᵀ,   J = ∂g/∂θ at θ̂

(Cramér 1946, §28.4), θ the free parameters of :mod:`normix.inference.parametrization`.
J is computed by ``jax.jacfwd`` through the model built from θ, so g must be written
with JAX operations of the model (``model.mean()``, ``model.cov()``, the risk
functions with ``backend='jax'``, which are differentiable).  The mean, the
covariance, VaR and ES are properties of the law, not of its representation, so
their standard errors are the same in every gauge.

References
----------
H. Cramér (1946), Mathematical Methods of Statistics, Princeton University Press.
"""
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import scipy.stats

from normix.inference.parametrization import build


class DeltaEstimate(NamedTuple):
    """A derived quantity, its standard error and covariance (flattened)."""

    value: Any
    """g(θ̂), an array of g's shape."""
    standard_error: Any
    """√diag(J Cov Jᵀ), of g's shape."""
    covariance: Any
    """J Cov(θ̂) Jᵀ over the flattened entries of g."""

    def interval(self, level=0.95):
        """Wald interval (lower, upper) = value ∓ z se, z = Φ⁻¹((1 + level)/2)."""
        if not 0.0 < level < 1.0:
            raise ValueError(f"level must be in (0, 1), got {level!r}")
        z = scipy.stats.norm.ppf(0.5 + 0.5 * level)
        return self.value - z * self.standard_error, self.value + z * self.standard_error


def gradient(result, function):
    """J = ∂ function(model(θ)) / ∂θ at θ̂, shape (size of g, k), by ``jax.jacfwd``."""
    model = result.model

    def g(theta):
        return jnp.ravel(jnp.asarray(function(build(model, theta)), dtype=jnp.float64))

    return np.asarray(jax.jacfwd(g)(jnp.asarray(result.theta)))


def delta_method(result, function):
    """Delta-method estimate of ``function(model)`` from a :class:`~normix.inference.StandardErrors` result.

    Parameters
    ----------
    result : StandardErrors
        Output of :func:`normix.inference.standard_errors`; its ``covariance`` is used.
    function : callable
        ``function(model) -> array``, written with JAX operations (it is differentiated
        in the model's parameters).

    Returns
    -------
    DeltaEstimate
        ``(value, standard_error, covariance)``; ``ValueError`` if the value or its
        gradient is not finite.
    """
    value = np.asarray(function(result.model), dtype=np.float64)
    J = gradient(result, function)
    if not (np.all(np.isfinite(value)) and np.all(np.isfinite(J))):
        raise ValueError("function(model) or its gradient in the parameters is not finite: the delta method "
                         "needs a finite, differentiable quantity (e.g. a moment that exists)")
    covariance = J @ result.covariance @ J.T
    return DeltaEstimate(value, np.sqrt(np.diag(covariance)).reshape(value.shape), covariance)


def portfolio_risk(result, weights, level, measure):
    """Delta-method VaR (``measure='var'``) or ES (``'es'``) of the loss -wᵀX at one ``level``."""
    from normix.risk import expected_shortfall, value_at_risk

    if measure not in ("var", "es"):
        raise ValueError(f"measure must be 'var' or 'es', got {measure!r}")
    risk = value_at_risk if measure == "var" else expected_shortfall
    w = np.asarray(weights, dtype=np.float64)
    return delta_method(result, lambda model: risk(model, w, level, backend="jax"))
