"""The one place that owns numba's compilation flags and the serial-or-parallel choice.

``cache=True`` keeps compiled kernels on disk between sessions, where numba finds a
writable cache directory (``NUMBA_CACHE_DIR``, the package's ``__pycache__`` or the
user's cache); where it finds none (a read-only install, a read-only home) the
kernels compile in memory instead of failing to import;
``error_model="numpy"`` makes division by zero give inf/nan exactly as JAX does
instead of raising; no ``fastmath`` (it would break NaN propagation and the
extreme-parameter guarantees).  Importing this module imports numba, so only
``*_cpu.py`` modules import it.

An array kernel is written once, with an outer ``prange`` loop, and compiled twice by
:func:`array_kernel`: with ``parallel=True``, and without it, where ``prange`` is a
plain ``range`` and the call never wakes numba's thread pool.  Each iteration of the
loop runs the same code in both, so the two give the same numbers; the caller picks one
with :meth:`ArrayKernel.run` from the size of its input and a threshold of
:mod:`normix._kernels._constants` (measured by ``benchmarks/serial_threshold.py``).

numba compiles one specialisation per tuple of argument types, and a read-only array
(``np.asarray`` of a JAX array) is a different type from a writable one: the wrappers
pass every input array through :func:`readonly`, so that a kernel compiles once
whichever kind its caller holds.
"""
import types
from dataclasses import dataclass

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


def _renamed(func, suffix):
    """A copy of ``func`` whose qualified name ends in ``suffix``.

    numba names a function's cache files after its qualified name and does not key them by
    compilation flags, so the serial and the parallel variant of one body need two names.
    """
    copy = types.FunctionType(func.__code__, func.__globals__, func.__name__, func.__defaults__, func.__closure__)
    copy.__qualname__ = f"{func.__qualname__}_{suffix}"
    copy.__module__ = func.__module__
    copy.__doc__ = func.__doc__
    return copy


def scalar_core(func):
    """Compile a scalar core function (inlined into the array kernels that call it)."""
    return _njit(func)


def serial_kernel(func):
    """Compile a kernel that always runs on the calling thread (one small problem per call)."""
    return _njit(func)


@dataclass(frozen=True)
class ArrayKernel:
    """The serial and the parallel variant of one array kernel, and the size up to which the serial one runs."""

    serial: object
    parallel: object
    serial_max: int

    def run(self, size, *args):
        """Call the serial variant when ``size <= serial_max``, else the parallel one, with ``args``."""
        return (self.serial if size <= self.serial_max else self.parallel)(*args)


def array_kernel(serial_max):
    """Decorator: compile a kernel whose outer loop is a ``prange`` as an :class:`ArrayKernel`.

    The loop must write only its own entries of the outputs (``out[i]``, or one part's
    accumulator), so that its iterations are independent and the variants agree bit for bit.
    ``serial_max`` is the named threshold, in the unit the caller passes to
    :meth:`ArrayKernel.run` (elements, rows, problems, blocks).
    """

    def compile_both(func):
        return ArrayKernel(
            serial=_njit(_renamed(func, "serial")),
            parallel=_njit(_renamed(func, "parallel"), parallel=True),
            serial_max=serial_max,
        )

    return compile_both


def readonly(*arrays):
    """Read-only views (no copies) of ``arrays``: the one array type the kernels' inputs are compiled for."""
    views = []
    for array in arrays:
        view = array.view()
        view.flags.writeable = False
        views.append(view)
    return views


prange = numba.prange
