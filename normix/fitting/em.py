"""EM fitters for normix mixtures.

The model knows the mathematics (E-step, M-step, regularisation); the fitter knows
the iteration.  :class:`BatchEMFitter` uses all rows per iteration;
:class:`OnlineEMFitter` and :class:`MiniBatchEMFitter` use Robbins-Monro averaging
of the sufficient statistics.  Every fitter returns an :class:`EMResult` whose
``status`` (an :class:`EMStatus`) says how the fit ended;
``result.raise_for_status()`` raises :class:`EMNotConvergedError` unless it converged.
A factor-structured fit (``sigma='factor'``) returns a :class:`FactorEMResult`, an
``EMResult`` that also carries the loadings and specific variances.
"""
from normix._em.batch import BatchEMFitter
from normix._em.factor import FactorEMResult
from normix._em.result import EMNotConvergedError, EMResult, EMStatus
from normix._em.stochastic import MiniBatchEMFitter, OnlineEMFitter

__all__ = ["EMResult", "FactorEMResult", "EMStatus", "EMNotConvergedError", "BatchEMFitter", "OnlineEMFitter", "MiniBatchEMFitter"]
