"""Fitting: Bregman (eta -> theta) solvers, EM fitters and observation weights."""
from normix._em.weights import ewma_weights

__all__ = ["ewma_weights"]
