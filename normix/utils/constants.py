"""Shared numerical constants for normix.

The constants are defined once, in the kernel layer (``normix._kernels._constants``),
so that the numba and JAX twins read the same thresholds; this module re-exports
every upper-case name defined there.
"""
from normix._kernels import _constants

__all__ = sorted(name for name in vars(_constants) if name.isupper())
globals().update({name: getattr(_constants, name) for name in __all__})
