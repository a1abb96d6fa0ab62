"""Where the rows of X live, and which E-step runs them.

EM needs only sums of per-row sufficient statistics, so the rest of an iteration
(M-step, regularisation, convergence test) does not care where the rows are.
:func:`place` picks, for the three placements, the family object the loops of
:mod:`normix._em.loop` drive:

* in memory (numpy, or a JAX array on one device): the mixture class itself;
* a JAX array sharded by rows over several devices: the adapter of
  :mod:`normix._em.sharded` (one program on all devices, a ``psum`` of the statistics);
* a dask array (chunks in memory, on disk or on a cluster): the adapter of
  :mod:`normix._em.dask_stats` (per-chunk statistics, fixed-order tree sum).

The checks here import neither dask nor the sharded machinery, so in-memory fits pay
nothing for them.
"""
from typing import Any, NamedTuple

import jax

from normix._em.missing import missing_rows, refuse_nan, validate_missing
from normix._em.weighted import weigh
from normix._kernels import dispatch
from normix._validation import is_traced


class Placement(NamedTuple):
    """The family the loops drive, the validated rows, whether the E-step can run inside a compiled loop,
    and the number mini-batch sizes must be a multiple of (the devices holding the rows)."""

    family: Any
    X: Any
    traceable: bool
    batch_multiple: int


def is_dask_array(X):
    """Whether ``X`` is a ``dask.array.Array`` (checked by type, without importing dask)."""
    kind = type(X)
    return kind.__name__ == "Array" and kind.__module__.split(".")[:2] == ["dask", "array"]


def is_multi_device(X):
    """Whether ``X`` is a concrete JAX array placed on more than one device."""
    return isinstance(X, jax.Array) and not is_traced(X) and len(X.sharding.device_set) > 1


def place(model, X, e_step_backend, *, dask_ok=True, missing="raise", weights=None):
    """The :class:`Placement` of a fit of ``model`` on ``X`` with the E-step on ``e_step_backend``.

    ``dask_ok=False`` refuses a dask array with a ``TypeError`` (the mini-batch fitter
    draws rows at random, which a dask array cannot serve cheaply).  ``missing='em'``
    treats NaN as missing entries (in-memory rows only: :mod:`normix._em.missing`);
    ``'raise'`` refuses NaN naming its rows and columns.  With ``weights`` the
    family is :class:`normix._em.weighted.WeightedFamily` (unless the weights are
    uniform) and the rows travel with their weights (:mod:`normix._em.weights`).
    """
    family = type(model)
    if validate_missing(missing) == "em":
        if weights is not None:
            raise NotImplementedError("missing='em' does not take weights yet: fit the weighted rows without "
                                      "missing entries, or the missing-data fit without weights")
        if is_dask_array(X) or is_multi_device(X):
            raise NotImplementedError("missing='em' takes in-memory rows (numpy or a JAX array on one device), not a "
                                      "dask array or a row-sharded JAX array")
        adapter, rows = missing_rows(model, X)
        return Placement(adapter, rows, dispatch.traceable(e_step_backend), 1)
    if is_dask_array(X):
        if not dask_ok:
            raise TypeError("MiniBatchEMFitter takes numpy or JAX arrays (one device or row-sharded), not a dask "
                            "array: fit a dask array with BatchEMFitter")
        from normix._em.dask_stats import DaskRows, validate_dask, weigh_dask

        family, X = weigh_dask(family, model, validate_dask(X, model.d), weights)
        return Placement(DaskRows(family, model.d + 2), X, False, 1)
    if is_multi_device(X):
        from normix._em.sharded import sharded_rows

        adapter, X = sharded_rows(model, X, e_step_backend, weights)
        return Placement(adapter, X, True, adapter.mesh.size)
    refuse_nan(X)
    family, X = weigh(family, model, family.em_validate_data(X, model), weights)
    return Placement(family, X, dispatch.traceable(e_step_backend), 1)
