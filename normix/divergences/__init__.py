"""Divergences between normix distributions: KL, squared Hellinger and the joint KL bound.

Closed forms for exponential families (Bregman form of the log-partition), Monte Carlo
with standard errors for marginal mixtures; see :mod:`normix.divergences.api`.
"""
from normix.divergences.api import kl_divergence, kl_upper_bound, squared_hellinger
from normix.divergences.monte_carlo import MonteCarloEstimate

__all__ = ["MonteCarloEstimate", "kl_divergence", "kl_upper_bound", "squared_hellinger"]
