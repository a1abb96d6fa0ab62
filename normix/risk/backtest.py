"""Rolling backtest of a portfolio's VaR and expected-shortfall forecasts.

:func:`backtest` refits a model of the returns on a rolling window
(:mod:`normix.risk.rolling`), forecasts the next day's VaR and ES of the portfolio loss
L = -wᵀX at each level, marks the days whose loss exceeds the VaR, and runs the tests
of :mod:`normix.risk.coverage_tests` on them: Kupiec's proportion of failures,
Christoffersen's independence and conditional coverage, and the Acerbi-Székely Z2 test
of the expected shortfall, whose p-value is simulated from the forecast laws themselves
(:func:`normix.risk.loss_laws.simulated_z2`).  :class:`BacktestResult` holds the series,
the tests and the status of every refit.
"""
import collections
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from normix.risk.coverage_tests import check_level, christoffersen_conditional_coverage, \
    christoffersen_independence, kupiec, z2_statistic, z2_test
from normix.risk.loss_laws import simulated_z2
from normix.risk.rolling import RefitOptions, check_family, rolling_fits


@dataclass(frozen=True)
class BacktestResult:
    """The outcome of :func:`backtest`: forecasts, realised losses, exceedances, tests and refits.

    Attributes
    ----------
    family : str
    window, refit_every : int
    weights : numpy.ndarray
        Portfolio positions, one per return column.
    columns : tuple of str
        Names of the return columns.
    levels : numpy.ndarray
        The J confidence levels of the forecasts.
    index : pandas.Index or numpy.ndarray
        The T forecast days: the index of the input DataFrame, or row numbers.
    losses : numpy.ndarray
        Realised portfolio losses L_t = -wᵀX_t, shape (T,).
    var, es : numpy.ndarray
        One-step-ahead VaR and ES forecasts of L_t at each level, shape (T, J).
    exceedances : numpy.ndarray
        L_t > VaR_t, booleans of shape (T, J).
    tests : dict
        For each level (a float), the tuple of :class:`~normix.risk.coverage_tests.BacktestTest`
        (Kupiec, Christoffersen independence, Christoffersen conditional coverage, Z2).
    fits : normix.risk.rolling.RollingFits
        The refits: first forecast day, model, loss law, status, iterations and message
        of each.
    n_sim : int
        Paths simulated for the Z2 p-value.
    elapsed_s : float
        Wall time of the backtest.
    """

    family: str
    window: int
    refit_every: int
    weights: np.ndarray
    columns: tuple
    levels: np.ndarray
    index: Any
    losses: np.ndarray
    var: np.ndarray
    es: np.ndarray
    exceedances: np.ndarray
    tests: dict
    fits: Any
    n_sim: int
    elapsed_s: float

    @property
    def status_counts(self):
        """Number of refits per status, e.g. ``{'converged': 4021, 'max_iter': 9}``."""
        return dict(collections.Counter(self.fits.status))

    def test_table(self):
        """One dict per (level, test): level, test, statistic, p_value, reference, df."""
        return [dict(level=float(level), **test._asdict()) for level, tests in self.tests.items() for test in tests]

    def summary(self):
        """The backtest as text: the setting, the refits, the exceedances and the test table."""
        T = self.losses.size
        weights = ", ".join(f"{c} {w:g}" for c, w in zip(self.columns, self.weights))
        counts = ", ".join(f"{status} {count}" for status, count in sorted(self.status_counts.items()))
        lines = [f"Rolling backtest: {self.family.upper()}, window {self.window}, refit every {self.refit_every} "
                 f"day(s), {T} forecast days ({_day(self.index[0])} to {_day(self.index[-1])})",
                 f"portfolio: {weights}",
                 f"refits: {len(self.fits.status)} ({counts}); {self.elapsed_s:.1f} s",
                 "",
                 f"{'level':>8}{'exceed':>8}{'expected':>10}{'rate':>9}{'mean VaR':>11}{'mean ES':>11}"]
        for j, level in enumerate(self.levels):
            hits = int(self.exceedances[:, j].sum())
            lines.append(f"{level:>8.4g}{hits:>8d}{T * (1 - level):>10.1f}{hits / T:>9.4f}"
                         f"{self.var[:, j].mean():>11.4g}{self.es[:, j].mean():>11.4g}")
        lines += ["", f"{'level':>8}  {'test':<30}{'statistic':>12}{'p-value':>12}  reference"]
        for row in self.test_table():
            lines.append(f"{row['level']:>8.4g}  {row['name']:<30}{row['statistic']:>12.4f}{row['p_value']:>12.4g}"
                         f"  {row['reference']}")
        return "\n".join(lines)

    def to_dict(self):
        """The result as JSON-ready data (lists, floats, strings); the models are left out."""
        return {
            "family": self.family, "window": self.window, "refit_every": self.refit_every,
            "weights": self.weights.tolist(), "columns": list(self.columns), "levels": self.levels.tolist(),
            "n_sim": self.n_sim, "elapsed_s": self.elapsed_s,
            "index": [_day(day) for day in self.index],
            "losses": self.losses.tolist(),
            "var": {_key(level): self.var[:, j].tolist() for j, level in enumerate(self.levels)},
            "es": {_key(level): [_number(v) for v in self.es[:, j]] for j, level in enumerate(self.levels)},
            "exceedances": {_key(level): np.flatnonzero(self.exceedances[:, j]).tolist()
                            for j, level in enumerate(self.levels)},
            "tests": self.test_table(),
            "refits": {"first_day": self.fits.first_day.tolist(), "status": list(self.fits.status),
                       "n_iter": self.fits.n_iter.tolist(), "status_counts": self.status_counts},
        }


def _day(value):
    """A forecast day as text: the ISO date of a timestamp at midnight, the ISO date-time of other timestamps."""
    if not hasattr(value, "isoformat"):
        return str(value)
    text = value.isoformat()
    return text[:-9] if text.endswith("T00:00:00") else text


def _key(level):
    return f"{float(level):g}"


def _number(value):
    """A float for JSON; +inf (an infinite ES) as the string 'inf'."""
    return float(value) if np.isfinite(value) else "inf"


def _returns(returns):
    """``(X, index, columns)`` of an (n, d) array, (n,) array or DataFrame of returns."""
    index, columns = None, None
    if hasattr(returns, "to_numpy") and hasattr(returns, "index"):
        index = returns.index
        columns = tuple(str(c) for c in getattr(returns, "columns", [getattr(returns, "name", 0)]))
        returns = returns.to_numpy()
    try:
        X = np.asarray(returns, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("returns must hold real numbers (an (n, d) array or DataFrame)") from None
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2:
        raise ValueError(f"returns must have shape (n, d), got shape {X.shape}")
    bad = np.flatnonzero(~np.all(np.isfinite(X), axis=1))
    if bad.size:
        raise ValueError(f"returns must be finite: {bad.size} row(s) hold NaN or inf (first: row {bad[0]})")
    index = np.arange(X.shape[0]) if index is None else index
    columns = tuple(str(j) for j in range(X.shape[1])) if columns is None else columns
    return X, index, columns


def _weights(weights, d):
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (d,):
        raise ValueError(f"weights must have shape ({d},) (one per return column), got shape {w.shape}")
    if not np.all(np.isfinite(w)) or not np.any(w != 0):
        raise ValueError("weights must be finite and not all zero")
    return w


def _count(value, name, low, high=None):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < low or (high is not None and value > high):
        bound = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise ValueError(f"{name} must be {bound}, got {value}")
    return int(value)


def backtest(returns, weights, level, family, window, refit_every=1, *, n_sim=1000, seed=0, max_iter=50, tol=1e-5,
             initial_max_iter=1000, initial_tol=1e-6, backend="cpu", progress=None):
    """Rolling-window backtest of the VaR and ES forecasts of a portfolio's loss.

    For each day t >= ``window`` the model fitted to the ``window`` rows before t
    forecasts VaR_t and ES_t of L_t = -wᵀX_t (:func:`normix.risk.measures.tail_risk`,
    closed forms for ``'normal'``); day t is an exceedance when L_t > VaR_t.

    Parameters
    ----------
    returns : array of shape (n, d) or (n,), or pandas DataFrame / Series
        Returns, rows in time order, finite.  A DataFrame's index labels the forecast days.
    weights : array, shape (d,)
        Portfolio positions, finite, not all zero.
    level : float or sequence of float
        Confidence levels in (0, 1), e.g. 0.99 or ``[0.99, 0.975]``.
    family : {'nig', 'vg', 'ninvg', 'gh', 'normal'}
        Mixture family fitted by EM, or the normal law (maximum-likelihood mean and
        covariance; closed-form VaR and ES).
    window : int
        Rows per fit: d + 2 <= window <= n - 2 (at least two forecast days).
    refit_every : int
        Days between refits (>= 1); days in between use the last fit.
    n_sim : int
        Paths simulated from the forecast laws for the Z2 p-value (>= 1).
    seed : int
        Seed of the simulation.
    max_iter, tol : int, float
        EM budget of every warm-started refit (see :mod:`normix.risk.rolling`).
    initial_max_iter, initial_tol : int, float
        EM budget of the first fit, from the family's ``default_init``.
    backend : {'cpu', 'jax'}
        E-step kernels of the fits.
    progress : bool or None
        Progress bar over the refits on stderr; None shows it only on a terminal.

    Returns
    -------
    BacktestResult

    Raises
    ------
    ValueError
        For returns that are not a finite (n, d) table, weights of the wrong shape or all
        zero, levels outside (0, 1), an unknown family, a window outside
        [d + 2, n - 2], ``refit_every`` or ``n_sim`` below 1, or a first fit that fails.
    """
    begin = time.perf_counter()
    X, index, columns = _returns(returns)
    n, d = X.shape
    w = _weights(weights, d)
    levels = np.atleast_1d(np.asarray(level, dtype=object))
    if levels.ndim != 1 or levels.size == 0:
        raise ValueError(f"level must be a number or a non-empty list of numbers, got {level!r}")
    levels = np.array([check_level(v) for v in levels])
    family = check_family(family)
    if n < d + 4:
        raise ValueError(f"returns must have at least d + 4 = {d + 4} rows (a window of d + 2 and two forecast "
                         f"days), got {n}")
    window = _count(window, "window", d + 2, n - 2)
    refit_every = _count(refit_every, "refit_every", 1)
    n_sim = _count(n_sim, "n_sim", 1)
    if progress not in (True, False, None):
        raise ValueError(f"progress must be True, False or None, got {progress!r}")
    options = RefitOptions(max_iter=max_iter, tol=tol, initial_max_iter=initial_max_iter, initial_tol=initial_tol,
                           backend=backend)
    fits = rolling_fits(X, w, levels, family, window, refit_every, options, progress)
    day_law = (np.arange(window, n) - window) // refit_every
    var, es = fits.var[day_law], fits.es[day_law]
    losses = -(X[window:] @ w)
    exceedances = losses[:, None] > var
    simulated = simulated_z2(fits.laws, day_law, var, es, levels, n_sim, seed)
    tests = {}
    for j, alpha in enumerate(levels):
        hits = exceedances[:, j]
        observed = z2_statistic(losses, var[:, j], es[:, j], alpha)
        tests[float(alpha)] = (kupiec(hits, alpha), christoffersen_independence(hits),
                               christoffersen_conditional_coverage(hits, alpha), z2_test(observed, simulated[j]))
    return BacktestResult(family, window, refit_every, w, columns, levels, index[window:], losses, var, es,
                          exceedances, tests, fits, n_sim, time.perf_counter() - begin)
