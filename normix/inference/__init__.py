"""Inference for fitted laws: standard errors, the bootstrap and goodness of fit.

* :func:`standard_errors` (:mod:`normix.inference.standard_errors`): observed
  information (Louis's formula or automatic differentiation) or sandwich covariance of
  the parameters in the identified gauge det Σ = 1, with Wald intervals, a printable
  table and boundary warnings; also ``EMResult.standard_errors(X, kind)``.
* :func:`delta_method` (:mod:`normix.inference.delta`): standard errors of any
  differentiable function of the law (mean, covariance, portfolio VaR and ES).
* :func:`bootstrap` (:mod:`normix.inference.bootstrap`): nonparametric and parametric
  bootstrap by warm-started refits, percentile and BCa intervals.
* :func:`goodness_of_fit` (:mod:`normix.inference.goodness_of_fit`): KS, Cramér-von Mises
  and Anderson-Darling tests of margins, projections and the Rosenblatt transform, with
  parametric-bootstrap p-values.
"""
from normix.inference.bootstrap import BootstrapResult, bootstrap
from normix.inference.delta import DeltaEstimate, delta_method
from normix.inference.goodness_of_fit import GoodnessOfFitResult, goodness_of_fit
from normix.inference.standard_errors import StandardErrors, standard_errors

__all__ = ["BootstrapResult", "DeltaEstimate", "GoodnessOfFitResult", "StandardErrors", "bootstrap", "delta_method",
           "goodness_of_fit", "standard_errors"]
