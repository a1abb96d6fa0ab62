"""EM fitters for normix mixtures.

The model knows the mathematics (E-step, M-step, regularisation); the fitter knows
the iteration.  :class:`BatchEMFitter` uses all rows per iteration;
:class:`OnlineEMFitter` and :class:`MiniBatchEMFitter` use Robbins-Monro averaging
of the sufficient statistics.  Every fitter returns an :class:`EMResult`.
"""
from normix._em.batch import BatchEMFitter
from normix._em.result import EMResult
from normix._em.stochastic import MiniBatchEMFitter, OnlineEMFitter

__all__ = ["EMResult", "BatchEMFitter", "OnlineEMFitter", "MiniBatchEMFitter"]
