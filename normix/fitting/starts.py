"""Starting models for EM fits: the best special case of GH on a data set.

Public path of ``normix.distributions._special_cases`` (which sits at the layer of
the distributions, so that ``GeneralizedHyperbolic.default_init`` can use it).
"""
from normix.distributions._special_cases import SHORT_FIT_ITERATIONS, SPECIAL_CASES, best_special_case

__all__ = ["SHORT_FIT_ITERATIONS", "SPECIAL_CASES", "best_special_case"]
