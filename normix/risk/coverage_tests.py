"""Backtests of VaR and expected-shortfall forecasts: coverage, independence and the Z2 test.

Every function takes the realised outcomes and the forecasts as plain arrays and returns
a :class:`BacktestTest` (statistic, p-value, reference law).  The conventions are those
of :mod:`normix.risk`: a forecast at confidence ``level`` (e.g. 0.99) of the loss
L = -wᵀX has exceedance probability α = 1 - level, and day t is an exceedance ("hit")
when L_t > VaR_t.

Likelihood ratios use 0 log 0 = 0 (``scipy.special.xlogy``), so that hit sequences
without exceedances, with only exceedances, or without some transition give exact
finite statistics rather than NaN.  A likelihood ratio is the difference of two
log-likelihoods of which the second is the larger; a difference that rounding makes
negative (of order 1e-15 relative) is returned as 0.
"""
from typing import NamedTuple, Optional

import numpy as np
from scipy import special, stats


class BacktestTest(NamedTuple):
    """The outcome of one backtest."""

    name: str
    """``'kupiec'``, ``'christoffersen_independence'``, ``'christoffersen_cc'`` or ``'acerbi_szekely_z2'``."""
    statistic: float
    p_value: float
    """Probability under the null of a statistic at least as extreme as the one observed."""
    reference: str
    """The law the p-value comes from: ``'chi2(1)'``, ``'chi2(2)'`` or ``'simulated (M draws)'``."""
    df: Optional[int] = None
    """Degrees of freedom of a chi-square reference; None for a simulated one."""


def check_level(level, name="level"):
    """``level`` as a float in (0, 1), or ``ValueError`` naming ``name``."""
    try:
        value = float(level)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number in (0, 1), got {level!r}") from None
    if not 0.0 < value < 1.0:
        raise ValueError(f"{name} must be in (0, 1) (a confidence level such as 0.99), got {level!r}")
    return value


def check_hits(hits, name="hits", minimum=1):
    """``hits`` as a 1-D boolean array of at least ``minimum`` days; 0/1 integers are accepted."""
    array = np.asarray(hits)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional (one entry per day), got shape {array.shape}")
    if array.size < minimum:
        raise ValueError(f"{name} must hold at least {minimum} day(s), got {array.size}")
    if array.dtype.kind == "b":
        return array
    if array.dtype.kind not in "iuf" or not np.all((array == 0) | (array == 1)):
        raise ValueError(f"{name} must hold booleans or 0/1 values (1 = exceedance)")
    return array.astype(bool)


def _ratio(statistic):
    return max(float(statistic), 0.0)


def _chi2(name, statistic, df):
    statistic = _ratio(statistic)
    return BacktestTest(name, statistic, float(stats.chi2.sf(statistic, df)), f"chi2({df})", df)


def _bernoulli_log_likelihood(n_hits, n_days, probability):
    """log[(1 - π)^(n - x) π^x] with 0 log 0 = 0."""
    return special.xlogy(n_days - n_hits, 1.0 - probability) + special.xlogy(n_hits, probability)


def kupiec_statistic(n_hits, n_days, level):
    """Kupiec's likelihood ratio LR_POF of ``n_hits`` exceedances in ``n_days`` days (see :func:`kupiec`)."""
    alpha = 1.0 - level
    observed = n_hits / n_days
    return _ratio(2.0 * (_bernoulli_log_likelihood(n_hits, n_days, observed)
                         - _bernoulli_log_likelihood(n_hits, n_days, alpha)))


def kupiec(hits, level):
    """Kupiec's proportion-of-failures test of unconditional coverage.

    With x exceedances in n days and α = 1 - level,

        LR_POF = -2 log[(1 - α)^(n-x) α^x / ((1 - x/n)^(n-x) (x/n)^x)]  ~  χ²(1)

    under H0: P(L_t > VaR_t) = α (Kupiec 1995).  No exceedance gives
    LR = -2n log(1 - α); exceedances on every day, LR = -2n log α.

    Parameters
    ----------
    hits : array of bool, shape (n,)
        Exceedance indicators 1{L_t > VaR_t}.
    level : float
        Confidence level of the VaR, in (0, 1).

    Returns
    -------
    BacktestTest
        ``statistic`` LR_POF and its χ²(1) p-value.

    References
    ----------
    P. H. Kupiec (1995), "Techniques for verifying the accuracy of risk measurement
    models", Journal of Derivatives 3(2), 73-84.
    """
    hits = check_hits(hits)
    level = check_level(level)
    return _chi2("kupiec", kupiec_statistic(int(hits.sum()), hits.size, level), 1)


def transition_counts(hits):
    """``(n00, n01, n10, n11)``: the number of days t >= 1 with hits[t-1] = i and hits[t] = j."""
    hits = check_hits(hits, minimum=2)
    before, after = hits[:-1], hits[1:]
    return (int(np.sum(~before & ~after)), int(np.sum(~before & after)),
            int(np.sum(before & ~after)), int(np.sum(before & after)))


def _markov_log_likelihood(n00, n01, n10, n11):
    """Maximised log-likelihood of the first-order Markov chain: π01 = n01/(n00 + n01), π11 = n11/(n10 + n11)."""
    pi01 = n01 / (n00 + n01) if n00 + n01 else 0.0
    pi11 = n11 / (n10 + n11) if n10 + n11 else 0.0
    return _bernoulli_log_likelihood(n01, n00 + n01, pi01) + _bernoulli_log_likelihood(n11, n10 + n11, pi11)


def christoffersen_independence(hits):
    """Christoffersen's test that exceedances are independent of the previous day's.

    From the transition counts n_ij (day t-1 in state i, day t in state j, t = 2..n),
    π01 = n01/(n00 + n01), π11 = n11/(n10 + n11), π = (n01 + n11)/(n - 1):

        LR_ind = -2 log[(1 - π)^(n00+n10) π^(n01+n11)
                        / ((1 - π01)^n00 π01^n01 (1 - π11)^n10 π11^n11)]  ~  χ²(1)

    under H0: π01 = π11 (Christoffersen 1998).  Empty rows of the transition matrix
    (no exceedance before the last day, or no day without one) contribute nothing, so
    that LR_ind = 0 for a sequence without exceedances or without non-exceedances.

    Parameters
    ----------
    hits : array of bool, shape (n,), n >= 2

    Returns
    -------
    BacktestTest
        ``statistic`` LR_ind and its χ²(1) p-value.

    References
    ----------
    P. F. Christoffersen (1998), "Evaluating interval forecasts", International
    Economic Review 39(4), 841-862.
    """
    n00, n01, n10, n11 = transition_counts(hits)
    pooled = (n01 + n11) / (n00 + n01 + n10 + n11)
    restricted = _bernoulli_log_likelihood(n01 + n11, n00 + n01 + n10 + n11, pooled)
    return _chi2("christoffersen_independence", 2.0 * (_markov_log_likelihood(n00, n01, n10, n11) - restricted), 1)


def christoffersen_conditional_coverage(hits, level):
    """Christoffersen's joint test of coverage α = 1 - level and independence.

        LR_cc = -2 log[(1 - α)^(n00+n10) α^(n01+n11)
                       / ((1 - π01)^n00 π01^n01 (1 - π11)^n10 π11^n11)]  ~  χ²(2)

    the likelihood ratio of an i.i.d. Bernoulli(α) sequence against the first-order
    Markov chain, on the n - 1 transitions (conditional on the first day, as in
    Christoffersen 1998).  It is LR_POF of ``hits[1:]`` plus LR_ind exactly.

    Parameters
    ----------
    hits : array of bool, shape (n,), n >= 2
    level : float
        Confidence level of the VaR, in (0, 1).

    Returns
    -------
    BacktestTest
        ``statistic`` LR_cc and its χ²(2) p-value.

    References
    ----------
    P. F. Christoffersen (1998), "Evaluating interval forecasts", International
    Economic Review 39(4), 841-862.
    """
    level = check_level(level)
    n00, n01, n10, n11 = transition_counts(hits)
    restricted = _bernoulli_log_likelihood(n01 + n11, n00 + n01 + n10 + n11, 1.0 - level)
    return _chi2("christoffersen_cc", 2.0 * (_markov_log_likelihood(n00, n01, n10, n11) - restricted), 2)


def _forecasts(losses, var, es):
    losses, var, es = (np.asarray(v, dtype=np.float64) for v in (losses, var, es))
    if var.ndim != 1 or var.size == 0:
        raise ValueError(f"var must be one-dimensional with one forecast per day, got shape {var.shape}")
    if es.shape != var.shape:
        raise ValueError(f"es must have the shape of var {var.shape}, got shape {es.shape}")
    if losses.shape[-1:] != var.shape:
        raise ValueError(f"losses must end with an axis of {var.size} days (the forecasts'), got shape "
                         f"{losses.shape}")
    for name, value in (("losses", losses), ("var", var)):
        if not np.all(np.isfinite(value)):
            raise ValueError(f"{name} must be finite")
    if not np.all(es > 0):
        raise ValueError("es must be > 0 on every day (the Z2 statistic divides by the expected shortfall)")
    return losses, var, es


def z2_statistic(losses, var, es, level):
    """Acerbi and Székely's Z2 statistic of ES forecasts; leading axes of ``losses`` are batch axes.

    With α = 1 - level, T days and I_t = 1{L_t > VaR_t},

        Z2 = 1 - Σ_t L_t I_t / (T α ES_t),

    which has mean 0 when the forecast laws are the true ones (ES_t = E[L_t | L_t > VaR_t]
    and P(L_t > VaR_t) = α) and is negative when the shortfall is underestimated.
    Without exceedances Z2 = 1.  A day with ES_t = +inf (a law without a finite mean
    loss) contributes its limit 0.  This is equation (Z2) of Acerbi and Székely (2014),
    written for losses L = -X.

    Parameters
    ----------
    losses : array, shape (..., T)
        Realised losses (or, with leading axes, simulated loss paths).
    var, es : array, shape (T,)
        VaR and ES forecasts of each day at ``level``: VaR finite, ES > 0 (+inf allowed).
    level : float

    Returns
    -------
    float or array of shape ``losses.shape[:-1]``
    """
    level = check_level(level)
    return 1.0 - shortfall_ratio_sum(losses, var, es) / (np.shape(var)[-1] * (1.0 - level))


def shortfall_ratio_sum(losses, var, es):
    """Σ_t L_t 1{L_t > VaR_t} / ES_t over the last axis of ``losses`` (the sum inside Z2).

    Sums over disjoint sets of days add up, so the Z2 of a long series can be
    accumulated piece by piece: Z2 = 1 - (Σ of the pieces' sums) / (T α).
    """
    losses, var, es = _forecasts(losses, var, es)
    return np.where(losses > var, losses / es, 0.0).sum(axis=-1)


def acerbi_szekely_z2(losses, var, es, level, simulated_losses):
    """Acerbi and Székely's Z2 test of ES forecasts, its p-value simulated from the forecast laws.

    The statistic is :func:`z2_statistic` of the realised losses.  Under H0 every day's
    loss follows its forecast law; ``simulated_losses`` holds M paths drawn from these
    laws, and the p-value is the Monte-Carlo rank

        p = (1 + #{i : Z2⁽ⁱ⁾ <= Z2}) / (M + 1),

    an exact-level test for a continuous statistic (the observed path is exchangeable
    with the simulated ones under H0).  Small p-values reject: the realised shortfall
    exceeds the forecast ES (Acerbi and Székely 2014, section "Significance").

    Parameters
    ----------
    losses : array, shape (T,)
    var, es : array, shape (T,)
        Forecasts at ``level``; ES must be > 0.
    level : float
    simulated_losses : array, shape (M, T)
        Loss paths drawn from the forecast laws, M >= 1.

    Returns
    -------
    BacktestTest
        ``statistic`` Z2 and its simulated one-sided p-value.

    References
    ----------
    C. Acerbi and B. Székely (2014), "Backtesting expected shortfall", Risk, December 2014.
    """
    simulated = np.asarray(simulated_losses, dtype=np.float64)
    if simulated.ndim != 2 or simulated.shape[0] < 1:
        raise ValueError(f"simulated_losses must have shape (M, T) with M >= 1, got shape {simulated.shape}")
    losses = np.asarray(losses, dtype=np.float64)
    if losses.ndim != 1:
        raise ValueError(f"losses must be one-dimensional (one per day), got shape {losses.shape}")
    observed = float(z2_statistic(losses, var, es, level))
    return z2_test(observed, z2_statistic(simulated, var, es, level))


def z2_test(observed, simulated):
    """The :class:`BacktestTest` of an observed Z2 against M values simulated under H0: p = (1 + #{Z2⁽ⁱ⁾ <= Z2})/(M + 1)."""
    simulated = np.asarray(simulated, dtype=np.float64).ravel()
    if simulated.size < 1 or not np.all(np.isfinite(simulated)):
        raise ValueError("simulated must hold at least one finite Z2 value")
    observed = float(observed)
    p_value = (1.0 + np.count_nonzero(simulated <= observed)) / (simulated.size + 1.0)
    return BacktestTest("acerbi_szekely_z2", observed, float(p_value), f"simulated ({simulated.size} draws)")
