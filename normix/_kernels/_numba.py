"""The one place that owns numba's compilation flags.

``cache=True`` keeps compiled kernels on disk between sessions, where numba finds a
writable cache directory (``NUMBA_CACHE_DIR``, the package's ``__pycache__`` or the
user's cache); where it finds none (a read-only install, a read-only home) the
kernels compile in memory instead of failing to import;
``error_model="numpy"`` makes division by zero give inf/nan exactly as JAX does
instead of raising; no ``fastmath`` (it would break NaN propagation and the
extreme-parameter guarantees).  Importing this module imports numba, so only
``*_cpu.py`` modules import it.
"""
import numba

_FLAGS = dict(error_model="numpy", nogil=True)


def _njit(func, **flags):
    """``numba.njit(cache=True)``, or without the on-disk cache when no cache directory is writable.

    numba raises ``RuntimeError("cannot cache function ...: no locator available ...")``
    at decoration time when none of its cache locations can be written.
    """
    try:
        return numba.njit(cache=True, **_FLAGS, **flags)(func)
    except RuntimeError as error:
        if "no locator available" not in str(error):
            raise
        return numba.njit(cache=False, **_FLAGS, **flags)(func)


def scalar_core(func):
    """Compile a scalar core function (inlined into the array kernels that call it)."""
    return _njit(func)


def array_kernel(func):
    """Compile an array kernel whose outer loop is a ``numba.prange`` over rows."""
    return _njit(func, parallel=True)


def serial_kernel(func):
    """Compile a kernel that runs on one thread (small inputs, per-problem solvers)."""
    return _njit(func)


prange = numba.prange
