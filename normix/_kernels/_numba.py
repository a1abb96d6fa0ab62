"""The one place that owns numba's compilation flags.

``cache=True`` keeps compiled kernels on disk between sessions;
``error_model="numpy"`` makes division by zero give inf/nan exactly as JAX does
instead of raising; no ``fastmath`` (it would break NaN propagation and the
extreme-parameter guarantees).  Importing this module imports numba, so only
``*_cpu.py`` modules import it.
"""
import numba

_FLAGS = dict(cache=True, error_model="numpy", nogil=True)


def scalar_core(func):
    """Compile a scalar core function (inlined into the array kernels that call it)."""
    return numba.njit(**_FLAGS)(func)


def array_kernel(func):
    """Compile an array kernel whose outer loop is a ``numba.prange`` over rows."""
    return numba.njit(parallel=True, **_FLAGS)(func)


def serial_kernel(func):
    """Compile a kernel that runs on one thread (small inputs, per-problem solvers)."""
    return numba.njit(**_FLAGS)(func)


prange = numba.prange
