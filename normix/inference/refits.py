"""Refits of a model on many data sets: the engine of the bootstrap and of the goodness-of-fit p-values.

Every refit starts from the fitted model (a warm start) and runs batch EM with one
:class:`~normix.fitting.em.BatchEMFitter`; the data sets go to
:meth:`~normix.fitting.em.BatchEMFitter.fit_many` in batches of ``batch_size`` (one
call when there are at most ``batch_size``), and a tqdm bar on stderr advances after
every batch.  A refit counts as valid only if EM converged (:class:`EMStatus`
``CONVERGED``); the others keep their status and are never averaged in.  A resample
with a constant column (possible only for very small samples) cannot be fitted at
all (the likelihood is unbounded) and gets the status ``'invalid_sample'``, as does a
weighted resample with fewer than d + 2 rows of positive weight.

Parameters are reported under the names of the family's ``from_classical``
(``mu``, ``gamma``, ``sigma`` and the subordinator's, e.g. ``mu_ig``, ``lam``).  Every
mixture has the scale freedom (γ/c, Σ/c, cY), so these numbers are only comparable
across fits in one gauge: by default every model is first rescaled to ``det Σ = 1``
(:meth:`~normix.mixtures.marginal.NormalMixture.regularize_det_sigma_one`); μ, the
mean, the covariance and every law of X (hence VaR and ES) do not depend on the gauge.
"""
import inspect
import sys

import numpy as np
from tqdm import tqdm

from normix.fitting.em import BatchEMFitter, EMStatus

#: Defaults of the refits: a warm start near the optimum needs few iterations, and the
#: tolerance keeps the EM error far below the sampling error of any data set of a few
#: thousand rows.
DEFAULT_MAX_ITER = 1000
DEFAULT_TOL = 1e-6
DEFAULT_BATCH_SIZE = 250
GAUGES = ("det_sigma_one", None)
INVALID_SAMPLE = "invalid_sample"


def check_count(value, name, minimum):
    """``value`` as an int >= ``minimum``, else ``ValueError`` naming ``name``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_gauge(gauge):
    if gauge not in GAUGES:
        raise ValueError(f"gauge must be 'det_sigma_one' or None, got {gauge!r}")
    return gauge


def make_fitter(model, max_iter, tol, backend):
    """The batch-EM fitter of the refits: the family's regularisation, ``max_iter``, ``tol`` and E-step ``backend``.

    ``backend='cpu'`` runs one numba E-step per iteration for all refits of a batch
    (compiled once, cached on disk); ``'jax'`` vmaps the compiled EM loop over the
    refits, which pays on an accelerator but compiles anew for every data-set shape.
    """
    return BatchEMFitter(max_iter=max_iter, tol=tol, regularization=type(model).fit_defaults["regularization"],
                         e_step_backend=backend)


def refine(fitter, model, X, weights=None):
    """The fit of ``model`` on X by ``fitter`` (warm-started); raises ``EMNotConvergedError`` unless it converged.

    The refits of the bootstrap samples run to the fitter's tolerance, so the estimate
    they are compared with must be converged to the same tolerance.  ``weights`` are the
    observation weights of X (see :meth:`~normix.fitting.em.BatchEMFitter.fit`).
    """
    return fitter.fit(model, X, weights=weights).raise_for_status()


def parameter_names(model):
    """The keyword names of ``type(model).from_classical``, in order (e.g. mu, gamma, sigma, mu_ig, lam)."""
    signature = inspect.signature(type(model).from_classical)
    return tuple(name for name, parameter in signature.parameters.items()
                 if parameter.kind is inspect.Parameter.KEYWORD_ONLY)


def classical_parameters(model, gauge="det_sigma_one"):
    """``{name: float64 array}`` of the arguments of ``from_classical`` that rebuild ``model``.

    ``sigma`` is Σ = L_Σ L_Σᵀ; the subordinator's parameters are read from the joint law
    under the same names.  With ``gauge='det_sigma_one'`` the model is first rescaled to
    ``det Σ = 1`` (module docstring); ``None`` keeps its own scale.
    """
    if check_gauge(gauge) == "det_sigma_one":
        model = model.regularize_det_sigma_one()
    joint = model.joint
    values = {}
    for name in parameter_names(model):
        if name == "sigma":
            L_Sigma = np.asarray(joint.L_Sigma, dtype=np.float64)
            values[name] = L_Sigma @ L_Sigma.T
        else:
            values[name] = np.asarray(getattr(joint, name), dtype=np.float64)
    return values


def is_fittable(data, weights):
    """Whether a data set can be fitted at all: at least d + 2 rows of positive weight, no constant column among them.

    A constant column makes the likelihood unbounded; fewer than d + 2 weighted rows are
    refused by every fit.  ``weights`` None means every row counts.
    """
    rows = data if weights is None else data[weights > 0]
    return rows.shape[0] >= data.shape[1] + 2 and not np.any(np.all(rows == rows[:1], axis=0))


def progress_bar(total, desc, progress):
    """A tqdm bar on stderr: shown if ``progress`` is True, hidden if False, with None only on a terminal."""
    return tqdm(total=total, desc=desc, unit="fit", file=sys.stderr, disable=None if progress is None else not progress,
                leave=False, dynamic_ncols=True)


def fit_datasets(fitter, model, datasets, *, weights=None, batch_size=DEFAULT_BATCH_SIZE, progress=None,
                 desc="refits"):
    """Refit ``model`` on each data set; ``(models, statuses)``, a model only where EM converged.

    Parameters
    ----------
    fitter : BatchEMFitter
    model : NormalMixture
        The warm start of every refit.
    datasets : sequence of arrays of shape (n_b, d)
        Data sets of equal shape go to ``fit_many`` together, ``batch_size`` at a time.
    weights : sequence of arrays of shape (n_b,), optional
        The observation weights of each data set (validated arrays); None fits unweighted.
    batch_size : int
    progress : bool or None
        The tqdm bar (see :func:`progress_bar`).

    Returns
    -------
    models : list
        The fitted model of each data set, or None where the fit did not converge.
    statuses : list of str
        An :class:`EMStatus` value for each data set, or ``'invalid_sample'`` (see
        :func:`is_fittable`).
    """
    models = [None] * len(datasets)
    statuses = [INVALID_SAMPLE] * len(datasets)
    groups = {}
    for k, data in enumerate(datasets):
        if is_fittable(data, None if weights is None else weights[k]):
            groups.setdefault(data.shape, []).append(k)
    with progress_bar(len(datasets), desc, progress) as bar:
        bar.update(len(datasets) - sum(len(members) for members in groups.values()))
        for members in groups.values():
            for start in range(0, len(members), batch_size):
                chunk = members[start:start + batch_size]
                chunk_weights = None if weights is None else np.stack([weights[k] for k in chunk])
                results = fitter.fit_many(model, np.stack([datasets[k] for k in chunk]), weights=chunk_weights)
                for k, result in zip(chunk, results):
                    statuses[k] = result.status.value
                    if result.status is EMStatus.CONVERGED:
                        models[k] = result.model
                bar.update(len(chunk))
    return models, statuses


def count_statuses(statuses):
    """``{status: count}`` of the statuses other than ``'converged'``, in order of first appearance."""
    counts = {}
    for status in statuses:
        if status != EMStatus.CONVERGED.value:
            counts[status] = counts.get(status, 0) + 1
    return counts
