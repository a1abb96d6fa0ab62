"""Inference for fitted laws: standard errors of the parameters and of derived quantities.

* :func:`standard_errors` (:mod:`normix.inference.standard_errors`): observed
  information (Louis's formula or automatic differentiation) or sandwich covariance of
  the parameters in the identified gauge |Σ| = 1, with Wald intervals, a printable
  table and boundary warnings; also ``EMResult.standard_errors(X, kind)``.
* :func:`delta_method` (:mod:`normix.inference.delta`): standard errors of any
  differentiable function of the law (mean, covariance, portfolio VaR and ES).
"""
from normix.inference.delta import DeltaEstimate, delta_method
from normix.inference.standard_errors import StandardErrors, standard_errors

__all__ = ["DeltaEstimate", "StandardErrors", "delta_method", "standard_errors"]
