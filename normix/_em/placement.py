"""Where the rows of X live, and which E-step runs them.

EM needs only sums of per-row sufficient statistics, so the rest of an iteration
(M-step, regularisation, convergence test) does not care where the rows are.
Three placements:

* in memory (numpy, or a JAX array on one device): the fitters' own loops;
* a JAX array sharded by rows over several devices: :mod:`normix._em.sharded`
  (one program on all devices, a ``psum`` of the statistics per iteration);
* a dask array (chunks in memory, on disk or on a cluster):
  :mod:`normix._em.dask_stats` (per-chunk statistics, fixed-order tree sum).

The checks here import neither dask nor the sharded machinery, so in-memory fits pay
nothing for them.
"""
import jax

from normix._validation import is_traced


def is_dask_array(X):
    """Whether ``X`` is a ``dask.array.Array`` (checked by type, without importing dask)."""
    kind = type(X)
    return kind.__name__ == "Array" and kind.__module__.split(".")[:2] == ["dask", "array"]


def is_multi_device(X):
    """Whether ``X`` is a concrete JAX array placed on more than one device."""
    return isinstance(X, jax.Array) and not is_traced(X) and len(X.sharding.device_set) > 1


def is_distributed(X):
    """Whether ``X`` is a dask array or a JAX array spread over several devices."""
    return is_dask_array(X) or is_multi_device(X)


def fit_distributed(fitter, model, X, callback=None):
    """Batch EM of ``fitter`` (a ``BatchEMFitter``) on distributed rows; returns an ``EMResult``."""
    if is_dask_array(X):
        from normix._em.dask_stats import fit_dask

        return fit_dask(fitter, model, X, callback)
    from normix._em.sharded import fit_sharded

    return fit_sharded(fitter, model, X, callback)


def fit_distributed_minibatch(fitter, model, X, key):
    """Mini-batch EM of ``fitter`` (a ``MiniBatchEMFitter``) on rows sharded over devices."""
    if is_dask_array(X):
        raise TypeError("MiniBatchEMFitter takes numpy or JAX arrays (one device or row-sharded), not a dask "
                        "array: fit a dask array with BatchEMFitter")
    from normix._em.sharded import fit_minibatch_sharded

    return fit_minibatch_sharded(fitter, model, X, key)
