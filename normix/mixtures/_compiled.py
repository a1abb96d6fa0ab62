"""Kernels of a backend as the mixtures call them: compiled once on traceable backends."""
import functools

import jax

from normix._kernels import dispatch


@functools.cache
def compiled_kernel(backend, name):
    """Kernel ``name`` of ``backend``; on a traceable backend wrapped in ``jax.jit``.

    Eager calls then run one compiled program instead of hundreds of dispatched
    operations; inside ``jit``, ``vmap`` or ``grad`` the inner ``jit`` is inlined.
    Kernels with static (Python scalar) arguments are not for this helper.
    """
    kernel = getattr(dispatch.kernels(backend), name)
    return jax.jit(kernel) if dispatch.traceable(backend) else kernel
