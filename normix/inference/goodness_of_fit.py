"""Goodness of fit of a mixture: EDF tests of its margins, projections and Rosenblatt transform.

For every law tested, u_i = F(x_i) under the fitted model goes into the
Kolmogorov-Smirnov, Cramér-von Mises and Anderson-Darling statistics
(:mod:`normix.inference.edf`), with the exact distribution functions of the univariate
laws (:mod:`normix.mixtures.univariate`, both tails integrated directly):

* each margin X_j (``model.margin(j)``) and each projection wₖᵀX (``model.project(W)``);
* the Rosenblatt transform (Rosenblatt 1952), a test of the joint law: with
  u_1 = F_1(x_1) and u_j = F_{j|1..j-1}(x_j | x_1..x_{j-1}) from the conditional laws
  (``model.condition``; :mod:`normix.mixtures.conditional`), the u_j are independent
  U(0, 1) under the model, so S = Σ_j Φ⁻¹(u_j)² ~ χ²_d and v = F_{χ²_d}(S) ~ U(0, 1);
  the three statistics are taken of v (the transform depends on the order of the
  columns; this is the given order).  The normal scores Φ⁻¹(u_j) come from log F or
  log(1 − F), whichever is the smaller side, so the tails keep their accuracy.

The parameters are estimated, so the usual tables of these statistics are wrong (too
conservative).  The p-values come from the parametric bootstrap: B samples of n rows
drawn from the fitted model, the model refitted on each (warm-started,
:func:`normix.inference.refits.fit_datasets`) and the statistics recomputed with the
refitted model; p = (1 + #{T*_b >= T}) / (1 + B_valid) over the refits that converged
(Stute, Gonzáles Manteiga and Presedo Quindimil 1993).

References
----------
M. Rosenblatt (1952), "Remarks on a multivariate transformation", Ann. Math. Statist. 23:470-472.
W. Stute, W. Gonzáles Manteiga and M. Presedo Quindimil (1993), "Bootstrap based
goodness-of-fit tests", Metrika 40:243-256.
"""
from dataclasses import dataclass
from typing import Any

import jax
import numpy as np
from scipy.special import ndtri_exp
from scipy.stats import chi2

from normix._kernels import dispatch
from normix._validation import as_real_array
from normix.inference.bootstrap import check_seed_or_none, draw_parametric
from normix.inference.edf import TEST_NAMES, TESTS, edf_statistics
from normix.inference.refits import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_MAX_ITER,
    DEFAULT_TOL,
    check_count,
    count_statuses,
    fit_datasets,
    make_fitter,
    refine,
)
from normix.mixtures.affine import check_weights
from normix.mixtures.conditional import conditional_parameters
from normix.mixtures.univariate import law_parameters

LOG_HALF = np.log(0.5)


@dataclass(frozen=True)
class GoodnessOfFitResult:
    """EDF statistics and parametric-bootstrap p-values of a fitted mixture.

    Attributes
    ----------
    model : NormalMixture
        The fitted model tested (refitted on the data to the refits' tolerance).
    labels : tuple of str
        The laws tested: ``'margin j'``, ``'projection k'`` and ``'rosenblatt'`` (d >= 2).
    statistics, p_values : dict of str to array
        For each test ``'ks'``, ``'cvm'``, ``'ad'``, an array over ``labels``.
    statuses : tuple of str
        How each bootstrap refit ended (:mod:`normix.inference.refits`); only the
        converged ones enter the p-values.
    """

    model: Any
    labels: tuple
    statistics: dict
    p_values: dict
    statuses: tuple

    @property
    def n_boot(self):
        return len(self.statuses)

    @property
    def failures(self):
        """``{status: count}`` of the bootstrap refits left out."""
        return count_statuses(self.statuses)

    @property
    def n_valid(self):
        return self.n_boot - sum(self.failures.values())

    def table(self):
        """The statistics and p-values as a printable table, one row per law tested."""
        head = f"{'law':<14}" + "".join(f"{TEST_NAMES[t]:>22}{'p':>7}" for t in TESTS)
        lines = [f"goodness of fit of {type(self.model).__name__}: p-values from {self.n_valid} of {self.n_boot} "
                 "parametric-bootstrap refits"
                 + (f" (left out: {', '.join(f'{k} {v}' for k, v in self.failures.items())})" if self.failures else ""),
                 head]
        for k, label in enumerate(self.labels):
            lines.append(f"{label:<14}" + "".join(f"{self.statistics[t][k]:>22.4f}{self.p_values[t][k]:>7.3f}"
                                                  for t in TESTS))
        return "\n".join(lines)

    def to_dict(self):
        """JSON-ready summary: the laws tested, each test's statistics and p-values, and the refit counts."""
        return {"model": type(self.model).__name__, "labels": list(self.labels),
                "statistics": {t: [float(v) for v in self.statistics[t]] for t in TESTS},
                "p_values": {t: [float(v) for v in self.p_values[t]] for t in TESTS},
                "n_boot": self.n_boot, "n_valid": self.n_valid, "failures": self.failures}

    def __str__(self):
        return self.table()


def check_projections(projections, d):
    """``projections`` as a (K, d) array (K = 0 for None); rows finite and not all zero."""
    if projections is None:
        return np.zeros((0, d))
    return np.asarray(check_weights(projections, d, "projections"))


def labels_of(d, K):
    return tuple([f"margin {j}" for j in range(d)] + [f"projection {k}" for k in range(K)]
                 + (["rosenblatt"] if d >= 2 else []))


def rosenblatt_laws(model, X):
    """Parameters (m, g, s, p, a, b), each of shape (n, d), of the laws of X_j given X_1..X_{j-1}, row by row.

    Column 0 is the margin of X_1; column j the univariate GH law of
    :func:`normix.mixtures.conditional.conditional_parameters` for the margin on the
    first j + 1 coordinates, conditioned on the first j.
    """
    n, d = X.shape
    columns = [tuple(np.broadcast_to(np.asarray(v, dtype=np.float64), (n,)) for v in law_parameters(model.margin(0)))]
    for j in range(1, d):
        joint = model.margin(list(range(j + 1))).joint
        p, a, b = joint.gig_params()
        law = jax.vmap(lambda x: conditional_parameters(joint.mu, joint.gamma, joint.L_Sigma, p, a, b,
                                                        tuple(range(j)), x))(X[:, :j])
        mu, gamma, L_Sigma, p_c, a_c, b_c = (np.asarray(v, dtype=np.float64) for v in law)
        columns.append((mu[:, 0], gamma[:, 0], L_Sigma[:, 0, 0], p_c, a_c, b_c))
    return tuple(np.stack([column[k] for column in columns], axis=1) for k in range(6))


def law_table(model, X, W):
    """``(points, parameters)`` of every law tested: arrays of shape (n, L), L = d + K (+ d for d >= 2)."""
    n, d = X.shape
    laws = [law_parameters(model.margin(j)) for j in range(d)]
    single = [np.asarray([law[k] for law in laws], dtype=np.float64) for k in range(6)]
    if W.shape[0]:
        projected = law_parameters(model.project(W))
        single = [np.concatenate([single[k], np.asarray(projected[k], dtype=np.float64).reshape(-1)])
                  for k in range(6)]
    points = [X, X @ W.T]
    params = [np.broadcast_to(v, (n, v.size)) for v in single]
    if d >= 2:
        points.append(X)
        params = [np.concatenate([params[k], rosenblatt], axis=1)
                  for k, rosenblatt in enumerate(rosenblatt_laws(model, X))]
    return np.concatenate(points, axis=1), tuple(params)


def log_probabilities(points, params):
    """(log F, log(1 − F)) of ``points`` under the univariate laws ``params``, each side exact in its tail.

    log F is computed everywhere; log(1 − F) is integrated directly only where F > 1/2
    and taken as log1p(−F) elsewhere (where that is exact).
    """
    kernels = dispatch.kernels("cpu")
    log_cdf = np.asarray(kernels.univariate_logcdf(points, *params))
    log_sf = np.log1p(-np.exp(np.minimum(log_cdf, LOG_HALF)))
    upper = log_cdf > LOG_HALF
    if upper.any():
        log_sf[upper] = np.asarray(kernels.univariate_logsf(points[upper], *(v[upper] for v in params)))
    return log_cdf, log_sf


def rosenblatt_log_probabilities(log_cdf, log_sf):
    """(log v, log(1 − v)) with v = F_{χ²_d}(Σ_j Φ⁻¹(u_j)²), from the (n, d) log F and log(1 − F) of the u_j."""
    scores = np.where(log_cdf < LOG_HALF, ndtri_exp(np.minimum(log_cdf, 0.0)), -ndtri_exp(np.minimum(log_sf, 0.0)))
    total = np.sum(scores ** 2, axis=-1)
    d = log_cdf.shape[-1]
    return chi2.logcdf(total, d), chi2.logsf(total, d)


def gof_statistics(model, X, projections=None):
    """``(labels, {test: array over labels})`` of the EDF statistics of ``model`` on X (no p-values).

    Parameters
    ----------
    model : NormalMixture
        Any family, unbatched, of dimension d.
    X : array, shape (n, d)
    projections : array, shape (d,) or (K, d), optional
        Weights w of the projections wᵀX to test besides the margins.
    """
    X = as_real_array(X, "X")
    if X.ndim != 2 or X.shape[1] != model.d or X.shape[0] < 1:
        raise ValueError(f"X must have shape (n, {model.d}) with n >= 1 to match the model, got shape {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError("X must be finite")
    W = check_projections(projections, model.d)
    return labels_of(model.d, W.shape[0]), statistics_of(*log_probabilities(*law_table(model, X, W)), model.d)


def statistics_of(log_cdf, log_sf, d):
    """The EDF statistics of the columns of a law table's log-probabilities (n, L) or (B, n, L): arrays (..., L')."""
    axis = log_cdf.ndim - 2
    plain = edf_statistics(np.moveaxis(log_cdf, axis, 0), np.moveaxis(log_sf, axis, 0))
    if d < 2:
        return plain
    tail = slice(log_cdf.shape[-1] - d, None)
    joint = edf_statistics(*(np.moveaxis(v, axis, 0) for v in rosenblatt_log_probabilities(log_cdf[..., tail],
                                                                                          log_sf[..., tail])))
    return {t: np.concatenate([plain[t][..., :tail.start], joint[t][..., None]], axis=-1) for t in TESTS}


def goodness_of_fit(model, X, projections=None, n_boot=200, seed=None, *, max_iter=DEFAULT_MAX_ITER, tol=DEFAULT_TOL,
                    batch_size=DEFAULT_BATCH_SIZE, backend="cpu", progress=None):
    """KS, Cramér-von Mises and Anderson-Darling tests of a fitted mixture, with parametric-bootstrap p-values.

    Parameters
    ----------
    model : NormalMixture
        A model fitted to X.  It is first refitted on X (warm start, to ``tol``) so that
        the data and the bootstrap samples are fitted alike.
    X : array, shape (n, d)
    projections : array, shape (d,) or (K, d), optional
        Portfolio weights whose projections wᵀX are tested besides the margins.
    n_boot : int
        Number of parametric-bootstrap samples, >= 1.
    seed : int or None
        Seed of the samples; the same seed gives the same p-values.
    max_iter, tol, batch_size, backend, progress
        As in :func:`normix.inference.bootstrap.bootstrap`.

    Returns
    -------
    GoodnessOfFitResult

    Raises
    ------
    ValueError
        For invalid arguments, or if no bootstrap refit converged.
    EMNotConvergedError
        If the refit of the model on X does not converge.
    """
    X = as_real_array(X, "X")
    if X.ndim != 2 or X.shape[1] != model.d:
        raise ValueError(f"X must have shape (n, {model.d}) to match the model, got shape {X.shape}")
    W = check_projections(projections, model.d)
    n_boot = check_count(n_boot, "n_boot", 1)
    rng = np.random.default_rng(check_seed_or_none(seed))
    fitter = make_fitter(model, check_count(max_iter, "max_iter", 1), tol, backend)
    model = refine(fitter, model, X).model
    labels, observed = gof_statistics(model, X, projections)
    samples = draw_parametric(model, rng, X.shape[0], n_boot)
    models, statuses = fit_datasets(fitter, model, list(samples), batch_size=check_count(batch_size, "batch_size", 1),
                                    progress=progress, desc="goodness-of-fit bootstrap")
    valid = [k for k, fitted in enumerate(models) if fitted is not None]
    if not valid:
        raise ValueError(f"no bootstrap refit converged (statuses: {count_statuses(statuses)}); the p-values "
                         "cannot be computed")
    tables = [law_table(models[k], samples[k], W) for k in valid]
    points = np.stack([table[0] for table in tables])
    params = tuple(np.stack([table[1][i] for table in tables]) for i in range(6))
    replicated = statistics_of(*log_probabilities(points, params), model.d)
    p_values = {t: (1.0 + np.sum(replicated[t] >= observed[t], axis=0)) / (1.0 + len(valid)) for t in TESTS}
    return GoodnessOfFitResult(model=model, labels=labels, statistics=observed, p_values=p_values,
                               statuses=tuple(statuses))
