"""The best special case of GH on a data set: the start of a Generalized Hyperbolic fit.

NIG (p = -1/2), VG (b = 0) and NInvG (a = 0) are GH laws with one constraint each, and
their EM updates are closed form, so short fits of all three are cheap.  The one with
the highest mean log-likelihood ℓ̄ = (1/n) Σᵢ log f(xᵢ), written in GH form
(``GeneralizedHyperbolic.from_mixture``), is a start from which GH's EM can only rise
above every special case it was chosen from (EM never lowers the likelihood).

:func:`best_special_case` serves ``GeneralizedHyperbolic.default_init`` and
``normix fit``; its public path is :mod:`normix.fitting.starts`.  This module imports
the special cases, never GH, so that GH can import it.
"""
import math

import numpy as np

from normix.distributions.normal_inverse_gamma import NormalInverseGamma
from normix.distributions.normal_inverse_gaussian import NormalInverseGaussian
from normix.distributions.variance_gamma import VarianceGamma

SPECIAL_CASES = (NormalInverseGaussian, VarianceGamma, NormalInverseGamma)
"""The families tried by :func:`best_special_case`, in the order tried (the first wins a tie)."""

SHORT_FIT_ITERATIONS = 5
"""EM iterations of each special case's fit when :func:`best_special_case` fits them itself."""


def _candidates(X, models, max_iter):
    """The given ``models``, or short fits of :data:`SPECIAL_CASES` (a fit that raises ``ValueError`` is left out)."""
    if models is not None:
        yield from models
        return
    for family in SPECIAL_CASES:
        try:
            yield family.default_init(X).fit(X, max_iter=max_iter, e_step_backend="cpu", m_step_backend="cpu").model
        except ValueError:
            continue


def _mean_log_likelihood(model, X):
    """ℓ̄ of ``model`` on ``X`` by the CPU E-step kernel."""
    family = type(model)
    return float(family.em_e_step(X, family.em_state(model, "cpu"), "cpu")[1])


def best_special_case(X, models=None, *, max_iter=SHORT_FIT_ITERATIONS):
    """The model with the highest mean log-likelihood on ``X`` among special cases of GH.

    Parameters
    ----------
    X : array, shape (n, d)
        The data.
    models : iterable of NormalMixture, optional
        Fitted models to choose from.  By default each family of :data:`SPECIAL_CASES`
        is fitted: ``max_iter`` EM iterations with the CPU kernels from its own
        ``default_init``.
    max_iter : int
        EM iterations of each default fit (ignored when ``models`` is given).

    Returns
    -------
    NormalMixture or None
        The winner (the first one on a tie), as it was fitted; ``None`` when every
        candidate was skipped.  A candidate is skipped when its fit or its mean
        log-likelihood raises ``ValueError``, or that mean is not finite.  ℓ̄ is the one
        the E-step kernel reports on the CPU (``em_e_step``), which compiles nothing.
    """
    X = np.asarray(X, dtype=np.float64)
    best, best_ll = None, -math.inf
    for model in _candidates(X, models, max_iter):
        try:
            ll = _mean_log_likelihood(model, X)
        except ValueError:
            continue
        if math.isfinite(ll) and ll > best_ll:
            best, best_ll = model, ll
    return best
