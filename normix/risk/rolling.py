"""Rolling-window refits of a return model, warm-started, with the status of every refit.

The forecast of day t uses the model fitted to the ``window`` rows before it,
X[t - window : t].  The model is refitted on the first forecast day and then every
``refit_every`` days; the days in between reuse the last fit.

Mixture families are fitted by batch EM (:class:`normix.fitting.em.BatchEMFitter`).
The first fit starts from the family's ``default_init`` with a generous budget
(``initial_max_iter``, ``initial_tol``); every later fit starts from the previous fitted
model (a warm start) with a small budget (``max_iter``, ``tol``).  When the window moves
by a few rows the maximum-likelihood estimate moves little, and a few EM iterations
from the previous estimate reach the new one to the tolerance.  The refits form a
chain, each starting where the last ended, so they run one after the other (the
many-fits machinery of ``fit_many`` runs independent problems side by side).

A refit never disappears silently: each one records its :class:`~normix.fitting.em.EMStatus`
value (``'converged'``, ``'max_iter'``, ``'non_finite'``, ``'degenerate'``) and its
iteration count.  A refit that raises ``ValueError`` (an M-step without a valid
solution) is recorded as ``'error'`` with its message, and the previous model stays in
use (its forecasts continue); so does the last finite model that EM returns for a
``'non_finite'`` fit.

The ``'normal'`` family is N(μ, Σ) with the maximum-likelihood mean and covariance of
the window (divisor n): a closed form, recorded as ``'converged'`` with 0 iterations.
"""
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np
from tqdm import tqdm

from normix.distributions.generalized_hyperbolic import GeneralizedHyperbolic
from normix.distributions.normal_inverse_gamma import NormalInverseGamma
from normix.distributions.normal_inverse_gaussian import NormalInverseGaussian
from normix.distributions.variance_gamma import VarianceGamma
from normix.fitting.em import BatchEMFitter
from normix.risk.loss_laws import mixture_loss_law, mixture_tail_risk, normal_loss_law, normal_tail_risk, stack_laws

MIXTURE_FAMILIES = {
    "nig": NormalInverseGaussian,
    "vg": VarianceGamma,
    "ninvg": NormalInverseGamma,
    "gh": GeneralizedHyperbolic,
}
FAMILIES = tuple(MIXTURE_FAMILIES) + ("normal",)


@dataclass(frozen=True)
class NormalFit:
    """A normal model N(mean, cov) fitted by maximum likelihood to one window."""

    mean: np.ndarray
    cov: np.ndarray


@dataclass(frozen=True)
class RefitOptions:
    """EM budgets of the first fit and of the warm-started refits, and the backend of the E-step.

    The refit budget trades the time of a backtest against the distance of each refit
    from the maximum-likelihood estimate of its window.  On the S&P 500 / NASDAQ daily
    returns in per cent (NIG, window 1000, daily refits; ``benchmarks/backtest.py``) a
    warm refit with the defaults takes about 18 EM iterations, about 2 % of the refits
    reach ``max_iter``, and the VaR and ES forecasts differ from those of refits run to
    tol = 1e-9 (about 110 iterations each) by less than 1e-3 relative, far below the
    sampling error of a VaR estimated from 1000 days.
    """

    max_iter: int = 50
    tol: float = 1e-5
    initial_max_iter: int = 1000
    initial_tol: float = 1e-6
    backend: str = "cpu"


@dataclass(frozen=True)
class RollingFits:
    """The refits of a rolling window.

    Attributes
    ----------
    first_day : array of int, shape (R,)
        Row of the data whose forecast the r-th refit serves first (its window is the
        ``window`` rows before it).
    models : list
        The model in use after each refit (the previous one where a refit failed):
        mixtures, or :class:`NormalFit` for the normal family.
    laws : LossLaws
        The portfolio's loss law under each model.
    var, es : array, shape (R, J)
        VaR and ES of the portfolio's loss under each model at each level
        (:func:`normix.risk.loss_laws.mixture_tail_risk`, the computation of
        :func:`normix.risk.measures.tail_risk` for all refits at once; closed forms
        for the normal family).
    status : tuple of str
        How each refit ended: an ``EMStatus`` value or ``'error'``.
    n_iter : array of int, shape (R,)
        EM iterations of each refit (0 for the normal family and for errors).
    messages : tuple of str
        The fitter's message for each refit (the error's for ``'error'``).
    """

    first_day: np.ndarray
    models: list
    laws: Any
    var: np.ndarray
    es: np.ndarray
    status: tuple
    n_iter: np.ndarray
    messages: tuple


def check_family(family):
    """``family`` lower-cased if it is one of :data:`FAMILIES`, else ``ValueError``."""
    name = str(family).lower()
    if name not in FAMILIES:
        raise ValueError(f"family must be one of {', '.join(FAMILIES)}; got {family!r}")
    return name


def fit_normal(X):
    """N(mean, cov) of the rows of X by maximum likelihood (covariance with divisor n)."""
    mean = X.mean(axis=0)
    centred = X - mean
    return NormalFit(mean, centred.T @ centred / X.shape[0])


def _fitter(cls, max_iter, tol, options):
    return BatchEMFitter(max_iter=max_iter, tol=tol, regularization=cls.fit_defaults["regularization"],
                         e_step_backend=options.backend, m_step_backend="cpu")


def first_fit(cls, X, options):
    """The EM fit of ``cls`` from its ``default_init`` with the initial budget; ``ValueError`` if it fails."""
    try:
        return _fitter(cls, options.initial_max_iter, options.initial_tol, options).fit(cls.default_init(X), X)
    except ValueError as error:
        raise ValueError(f"the first fit of the rolling backtest failed: {error}") from None


def refit(fitter, model, X):
    """``(model, status, n_iter, message)`` of a warm-started fit; the previous model with ``'error'`` if it raises."""
    try:
        result = fitter.fit(model, X)
    except ValueError as error:
        return model, "error", 0, str(error).splitlines()[0]
    return result.model, result.status.value, result.n_iter, result.message


def normal_refit(model, X, weights):
    """``(model, status, 0, message)`` of the normal fit to X; the previous model with ``'error'`` where wᵀΣw = 0."""
    fitted = fit_normal(X)
    if normal_loss_law(fitted.mean, fitted.cov, weights)[1] > 0:
        return fitted, "converged", 0, "closed form"
    if model is None:
        raise ValueError("the first fit of the rolling backtest failed: the portfolio has zero variance in the "
                         "first window")
    return model, "error", 0, "the portfolio has zero variance in this window"


def progress_bar(total, desc, progress):
    """A tqdm bar on stderr: shown if ``progress`` is True, hidden if False, and with None only on a terminal."""
    return tqdm(total=total, desc=desc, unit="fit", file=sys.stderr, disable=None if progress is None else not progress,
                leave=False, dynamic_ncols=True)


def rolling_fits(X, weights, levels, family, window, refit_every=1, options=RefitOptions(), progress=None):
    """Refit ``family`` on the rolling windows of X; the loss law, VaR and ES of the portfolio under each fit.

    Parameters
    ----------
    X : array, shape (n, d)
        Finite returns, rows in time order.
    weights : array, shape (d,)
    levels : array, shape (J,)
        Confidence levels in (0, 1).
    family : {'nig', 'vg', 'ninvg', 'gh', 'normal'}
    window : int
        Rows per fit, d + 2 <= window < n.
    refit_every : int
        Days between refits, >= 1.
    options : RefitOptions
    progress : bool or None
        Progress bar over the refits (see :func:`progress_bar`).

    Returns
    -------
    RollingFits
    """
    family = check_family(family)
    n = X.shape[0]
    first_day = np.arange(window, n, refit_every)
    normal = family == "normal"
    models, rows, records = [], [], []
    model = None
    if not normal:
        cls = MIXTURE_FAMILIES[family]
        fitter = _fitter(cls, options.max_iter, options.tol, options)
    with progress_bar(first_day.size, f"{family} refits", progress) as bar:
        for t in first_day:
            data = X[t - window:t]
            if normal:
                model, *record = normal_refit(model, data, weights)
                rows.append(normal_loss_law(model.mean, model.cov, weights))
            else:
                if model is None:
                    result = first_fit(cls, data, options)
                    model, record = result.model, (result.status.value, result.n_iter, result.message)
                else:
                    model, *record = refit(fitter, model, data)
                rows.append(mixture_loss_law(model, weights))
            records.append(tuple(record))
            models.append(model)
            bar.update()
    status, n_iter, messages = zip(*records)
    laws = stack_laws(rows, normal)
    var, es = (normal_tail_risk if normal else mixture_tail_risk)(laws, levels)
    return RollingFits(first_day, models, laws, var, es, status, np.array(n_iter, dtype=np.int64), messages)
