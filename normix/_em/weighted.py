"""The family adapter of a weighted fit: every E-step average becomes a weighted average.

With weights w_i >= 0 (W = Σ_i w_i > 0) EM maximises Σ_i w_i log f(x_i) / W: the
E-step statistics are s = Σ_i w_i t(x_i) / W (the ``weighted_estep_statistics``
kernels, both twins) and the M-step is unchanged, since it depends on the data only
through s.  The reported log-likelihoods (``EMResult.log_likelihoods``) are the
weighted means Σ_i w_i log f(x_i) / W.  Integer weights therefore give exactly the
iterates of the data with row i repeated w_i times, and weight 0 drops a row: it
counts neither in the E-step nor in the checks (at least d + 2 rows of positive
weight, no column constant over them, the end-of-fit degeneracy test looks only at
them).

:class:`WeightedFamily` wraps the mixture class; the data it reads is a
:class:`normix._em.weights.WeightedRows` pytree, which the distributed adapters
(dask chunks, row-sharded devices) cut along the rows like X itself.
"""
import dataclasses

import numpy as np

from normix._em.delegate import AbstractRowsAdapter
from normix._em.weights import WeightedRows, check_positive_rows, check_weights, is_uniform


@dataclasses.dataclass(frozen=True)
class WeightedFamily(AbstractRowsAdapter):
    """``family`` with weighted E-steps on :class:`~normix._em.weights.WeightedRows` data."""

    def em_e_step(self, rows, state, backend):
        """(MixtureStatistics, weighted mean log-likelihood) of ``rows.X`` weighted by ``rows.w``."""
        return self.family.em_weighted_e_step(rows.X, rows.w, state, backend)

    def em_e_step_many(self, rows, index, states, backend):
        """Weighted E-steps of K problems: data sets ``rows.X`` (B, n, d) with weights ``rows.w`` (B, n)."""
        return self.family.em_weighted_e_step_many(rows.X, rows.w, index, states, backend)

    def em_nearest_row(self, rows, state):
        """(index, Q) of the row of positive weight nearest to μ (rows of weight 0 are not part of the fit)."""
        used = np.flatnonzero(np.asarray(rows.w) > 0)
        row, q = self.family.em_nearest_row(np.asarray(rows.X)[used], state)
        return int(used[row]), q


def check_used_rows(family, model, X, used):
    """The model's data checks (row count, no constant column) on the rows of positive weight ``X[used]``."""
    check_positive_rows(int(np.count_nonzero(used)), model.d)
    try:
        family.em_validate_data(X[used], model)
    except ValueError as error:
        raise ValueError(f"among the rows of positive weight: {error}") from None


def weigh(family, model, X, weights):
    """``(family, data)`` of a fit of validated in-memory rows ``X`` (n, d) or data sets (B, n, d) with ``weights``.

    ``weights`` has shape (n,) (shared by every data set) or (B, n).  ``weights=None`` and
    uniform weights (all equal within each data set: the same objective) return
    ``(family, X)`` unchanged, so such a fit is exactly the unweighted one; otherwise
    ``(WeightedFamily(family), WeightedRows(X, w))``.  Raises ``ValueError`` naming
    ``weights`` (see :func:`normix._em.weights.check_weights`) or the check that fails on
    the rows of positive weight.
    """
    if weights is None:
        return family, X
    X = np.asarray(X)
    shape = X.shape[:-1]
    w = check_weights(weights, shape[-1:] if np.ndim(weights) == 1 else shape)
    w = np.broadcast_to(w, shape)
    for data, row_weights in zip(X.reshape(-1, *X.shape[-2:]), w.reshape(-1, shape[-1])):
        check_used_rows(family, model, data, row_weights > 0)
    if is_uniform(w):
        return family, X
    return WeightedFamily(family), WeightedRows(X, np.ascontiguousarray(w))
