"""The bootstrap of a fitted mixture: replicates of its parameters and of any statistic of the model.

:func:`bootstrap` draws ``n_boot`` samples of the size of the data, either by resampling
the rows with replacement (nonparametric) or from the fitted model (parametric), refits
the model on every sample by batch EM warm-started at the estimate
(:func:`normix.inference.refits.fit_datasets`, which runs
:meth:`~normix.fitting.em.BatchEMFitter.fit_many`), and returns a :class:`BootstrapResult`
with the replicates, standard errors and percentile and BCa intervals
(:mod:`normix.inference.intervals`).

The acceleration of the BCa interval comes from a grouped jackknife: the rows are split
at random into G = min(n, ``jackknife_groups``) groups of (nearly) equal size and the
model is refitted with each group left out, again by ``fit_many``; G = n is the ordinary
leave-one-out jackknife.  Efron and Tibshirani (1993, Sect. 11.6) note that grouping
changes the jackknife little when the groups are many, and it replaces n refits by G.

Failed refits (EM did not converge, or a statistic is not finite on the refitted model)
are counted by status in :attr:`BootstrapResult.failures` and left out of every
summary; they are never averaged in.

With observation weights w the estimate maximises Σ_i w_i log f(x_i); a nonparametric
resample draws row indices uniformly and every drawn row keeps its weight, a
parametric sample of n rows takes the weights w in their order (the weights belong to
the positions, e.g. the dates of an EWMA), and a jackknife deletion drops rows with
their weights.

References
----------
B. Efron (1987), "Better bootstrap confidence intervals", JASA 82:171-185.
B. Efron and R. Tibshirani (1993), "An Introduction to the Bootstrap", Chapman & Hall.
"""
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from normix._em.weights import check_positive_rows, check_weights
from normix._validation import as_real_array
from normix.inference.intervals import bca_interval, check_level, percentile_interval
from normix.inference.refits import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_MAX_ITER,
    DEFAULT_TOL,
    check_count,
    check_gauge,
    classical_parameters,
    count_statuses,
    fit_datasets,
    make_fitter,
    refine,
)

KINDS = ("nonparametric", "parametric")
METHODS = ("bca", "percentile")
NON_FINITE_STATISTIC = "non_finite_statistic"
SEED_LIMIT = 2 ** 63


@dataclass(frozen=True)
class BootstrapResult:
    """Bootstrap replicates of the parameters and statistics of a fitted model.

    Attributes
    ----------
    model : NormalMixture
        The estimate: the model refitted on the data to the refits' tolerance.
    kind : {'nonparametric', 'parametric'}
    level : float
        Default confidence level of :meth:`intervals`.
    estimates : dict of str to array
        The parameters (names of the family's ``from_classical``) and statistics at the
        estimate.
    replicates : dict of str to array
        The same quantities on each valid replicate, with a leading axis of length
        ``n_valid``.
    jackknife : dict of str to array or None
        The grouped-jackknife values (leading axis: the valid group deletions), for the
        BCa acceleration; None if ``bca=False``.
    statuses : tuple of str
        How each of the ``n_boot`` refits ended: an ``EMStatus`` value,
        ``'invalid_sample'`` or ``'non_finite_statistic'``.
    jackknife_statuses : tuple of str
        The same for the jackknife refits.
    gauge : {'det_sigma_one', None}
        The scale in which the parameters are reported (:mod:`normix.inference.refits`).
    """

    model: Any
    kind: str
    level: float
    estimates: dict
    replicates: dict
    jackknife: Any
    statuses: tuple
    jackknife_statuses: tuple
    gauge: Any

    @property
    def n_boot(self):
        return len(self.statuses)

    @property
    def n_valid(self):
        """Number of replicates used in every summary (converged, with finite statistics)."""
        return self.n_boot - sum(self.failures.values())

    @property
    def failures(self):
        """``{status: count}`` of the replicates left out."""
        return count_statuses(self.statuses)

    def _require(self, minimum):
        if self.n_valid < minimum:
            raise ValueError(f"only {self.n_valid} of {self.n_boot} bootstrap replicates are valid "
                             f"(failures: {self.failures}); at least {minimum} are needed")

    @property
    def standard_errors(self):
        """The standard deviation of the valid replicates (divisor n_valid − 1), per quantity."""
        self._require(2)
        return {name: np.std(values, axis=0, ddof=1) for name, values in self.replicates.items()}

    def intervals(self, method="bca", level=None):
        """Confidence intervals, ``{name: array of shape (2, *shape)}`` (lower bounds first).

        Parameters
        ----------
        method : {'bca', 'percentile'}
        level : float, optional
            In (0, 1); the result's ``level`` by default.
        """
        if method not in METHODS:
            raise ValueError(f"method must be 'bca' or 'percentile', got {method!r}")
        level = self.level if level is None else check_level(level)
        self._require(2)
        if method == "percentile":
            return {name: percentile_interval(values, level) for name, values in self.replicates.items()}
        if self.jackknife is None:
            raise ValueError("the BCa interval needs the jackknife: call bootstrap(..., bca=True)")
        if len(next(iter(self.jackknife.values()))) < 2:
            raise ValueError(f"the BCa acceleration needs at least 2 valid jackknife refits, got "
                             f"{len(next(iter(self.jackknife.values())))}")
        return {name: bca_interval(values, self.estimates[name], self.jackknife[name], level)
                for name, values in self.replicates.items()}

    def table(self, level=None):
        """A printable table: each scalar quantity with its estimate, standard error and both intervals."""
        level = self.level if level is None else check_level(level)
        errors = self.standard_errors
        percentile = self.intervals("percentile", level)
        bca = self.intervals("bca", level) if self.jackknife is not None else None
        pct = f"{100 * level:g} %"
        header = f"{'quantity':<16}{'estimate':>12}{'std err':>12}   {'percentile ' + pct:>25}"
        header += f"   {'BCa ' + pct:>25}" if bca is not None else ""
        lines = [f"{self.kind} bootstrap, {self.n_valid} of {self.n_boot} replicates valid"
                 + (f" (left out: {', '.join(f'{k} {v}' for k, v in self.failures.items())})" if self.failures else "")
                 + (", parameters in the gauge |Sigma| = 1" if self.gauge == "det_sigma_one" else ""),
                 header]
        for name, estimate in self.estimates.items():
            for index in np.ndindex(np.shape(estimate)):
                label = name + (str(list(index)) if index else "")
                row = f"{label:<16}{estimate[index]:>12.5g}{errors[name][index]:>12.4g}   "
                row += f"[{percentile[name][(0,) + index]:>11.5g}, {percentile[name][(1,) + index]:>11.5g}]"
                if bca is not None:
                    row += f"   [{bca[name][(0,) + index]:>11.5g}, {bca[name][(1,) + index]:>11.5g}]"
                lines.append(row)
        return "\n".join(lines)

    def __str__(self):
        return self.table()


def check_seed_or_none(seed):
    if seed is None:
        return None
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < SEED_LIMIT:
        raise ValueError(f"seed must be None or an integer in [0, 2**63), got {seed!r}")
    return int(seed)


def check_statistic(statistic):
    """``{name: callable}`` of ``statistic``: None gives {}, a callable is named ``'statistic'``."""
    if statistic is None:
        return {}
    if callable(statistic):
        return {"statistic": statistic}
    if isinstance(statistic, Mapping) and all(isinstance(k, str) and callable(f) for k, f in statistic.items()):
        return dict(statistic)
    raise ValueError("statistic must be None, a callable of a fitted model, or a mapping from names to such "
                     f"callables, got {type(statistic).__name__}")


def quantities(model, statistics, gauge):
    """The parameters and statistics of ``model``; None if a statistic is not finite."""
    values = classical_parameters(model, gauge)
    for name, function in statistics.items():
        if name in values:
            raise ValueError(f"statistic name {name!r} clashes with a parameter of the family")
        value = np.asarray(function(model), dtype=np.float64)
        if not np.all(np.isfinite(value)):
            return None
        values[name] = value
    return values


def draw_indices(rng, n, n_boot):
    """Row indices of ``n_boot`` resamples with replacement, shape (n_boot, n)."""
    return rng.integers(0, n, size=(n_boot, n))


def draw_parametric(model, rng, n, n_boot):
    """``n_boot`` samples of n rows from ``model``, shape (n_boot, n, d), from one ``model.rvs`` call."""
    return np.asarray(model.rvs(n_boot * n, seed=int(rng.integers(SEED_LIMIT)))).reshape(n_boot, n, model.d)


def jackknife_indices(n, rng, groups):
    """Row indices of X without each of ``groups`` random groups of nearly equal size (leave-one-out when groups = n)."""
    parts = np.array_split(rng.permutation(n), groups)
    keep = np.ones(n, dtype=bool)
    kept = []
    for part in parts:
        keep[part] = False
        kept.append(np.flatnonzero(keep))
        keep[part] = True
    return kept


def evaluate(models, statuses, statistics, gauge):
    """``(stacked quantities of the valid models, statuses)`` with non-finite statistics marked as failures."""
    rows = []
    statuses = list(statuses)
    for k, model in enumerate(models):
        if model is None:
            continue
        values = quantities(model, statistics, gauge)
        if values is None:
            statuses[k] = NON_FINITE_STATISTIC
        else:
            rows.append(values)
    return rows, tuple(statuses)


def stack(rows, template):
    return {name: np.stack([row[name] for row in rows]) if rows else np.empty((0,) + np.shape(value))
            for name, value in template.items()}


def bootstrap(model, X, n_boot=1000, kind="nonparametric", statistic=None, level=0.95, seed=None, *, bca=True,
              jackknife_groups=100, gauge="det_sigma_one", max_iter=DEFAULT_MAX_ITER, tol=DEFAULT_TOL,
              batch_size=DEFAULT_BATCH_SIZE, backend="cpu", progress=None, weights=None):
    """Bootstrap a fitted mixture: replicates, standard errors, percentile and BCa intervals.

    Parameters
    ----------
    model : NormalMixture
        A model fitted to X (any family).  It is first refitted on X by the refits' fitter
        (warm start, to ``tol``), and that fit is the estimate.
    X : array, shape (n, d)
        The data.
    n_boot : int
        Number of bootstrap samples, >= 2.
    kind : {'nonparametric', 'parametric'}
        Resample the rows of X with replacement, or draw n rows from the estimate.
    statistic : callable or mapping of str to callable, optional
        Functions of a fitted model returning a number or an array (e.g.
        ``lambda m: normix.risk.expected_shortfall(m, w, 0.99)``), evaluated on the
        estimate and on every refit; a single callable is reported as ``'statistic'``.
    level : float
        Default confidence level of the intervals, in (0, 1).
    seed : int or None
        Seed of ``numpy.random.default_rng``; the same seed gives the same numbers.
    bca : bool
        Run the grouped jackknife needed by the BCa interval.
    jackknife_groups : int
        Number of groups G of the jackknife (>= 2); G = min(n, jackknife_groups).
    gauge : {'det_sigma_one', None}
        Scale of the reported parameters (:mod:`normix.inference.refits`).
    max_iter, tol : int, float
        Budget and tolerance of every refit (batch EM from the estimate).
    batch_size : int
        Refits per ``fit_many`` call.
    backend : {'cpu', 'jax'}
        E-step backend of the refits (:func:`normix.inference.refits.make_fitter`).
    progress : bool or None
        tqdm bar over the refits: shown if True, hidden if False, on a terminal if None.
    weights : array, shape (n,), optional
        Observation weights of the rows of X, as in
        :meth:`~normix.mixtures.marginal.NormalMixture.fit` (finite, >= 0, positive on
        at least d + 2 rows).  The estimate and every refit are weighted fits; resampled
        rows keep their weights, parametric samples take ``weights`` in order (module
        docstring).  A resample with fewer than d + 2 rows of positive weight counts as
        ``'invalid_sample'``.

    Returns
    -------
    BootstrapResult

    Raises
    ------
    ValueError
        For invalid arguments, or if a statistic is not finite at the estimate.
    EMNotConvergedError
        If the refit of the estimate on X does not converge.
    """
    X = as_real_array(X, "X")
    if X.ndim != 2 or X.shape[1] != model.d:
        raise ValueError(f"X must have shape (n, {model.d}) to match the model, got shape {X.shape}")
    n_boot = check_count(n_boot, "n_boot", 2)
    if kind not in KINDS:
        raise ValueError(f"kind must be 'nonparametric' or 'parametric', got {kind!r}")
    statistics = check_statistic(statistic)
    level = check_level(level)
    rng = np.random.default_rng(check_seed_or_none(seed))
    groups = min(X.shape[0], check_count(jackknife_groups, "jackknife_groups", 2))
    gauge = check_gauge(gauge)
    batch_size = check_count(batch_size, "batch_size", 1)
    n = X.shape[0]
    if weights is not None:
        weights = check_weights(weights, (n,))
        check_positive_rows(np.count_nonzero(weights), model.d)
    fitter = make_fitter(model, check_count(max_iter, "max_iter", 1), tol, backend)
    estimate = refine(fitter, model, X, weights).model
    estimates = quantities(estimate, statistics, gauge)
    if estimates is None:
        raise ValueError("statistic is not finite at the estimate")
    if kind == "nonparametric":
        indices = draw_indices(rng, n, n_boot)
        samples = X[indices]
        sample_weights = None if weights is None else list(weights[indices])
    else:
        samples = draw_parametric(estimate, rng, n, n_boot)
        sample_weights = None if weights is None else [weights] * n_boot
    models, statuses = fit_datasets(fitter, estimate, list(samples), weights=sample_weights, batch_size=batch_size,
                                    progress=progress, desc=f"{kind} bootstrap")
    rows, statuses = evaluate(models, statuses, statistics, gauge)
    jackknife, jackknife_statuses = None, ()
    if bca:
        kept = jackknife_indices(n, rng, groups)
        jack_models, jack_statuses = fit_datasets(fitter, estimate, [X[rows] for rows in kept],
                                                  weights=None if weights is None else [weights[rows] for rows in kept],
                                                  batch_size=batch_size, progress=progress, desc="jackknife")
        jack_rows, jackknife_statuses = evaluate(jack_models, jack_statuses, statistics, gauge)
        jackknife = stack(jack_rows, estimates)
    return BootstrapResult(model=estimate, kind=kind, level=level, estimates=estimates,
                           replicates=stack(rows, estimates), jackknife=jackknife, statuses=statuses,
                           jackknife_statuses=jackknife_statuses, gauge=gauge)
