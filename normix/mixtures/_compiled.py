"""Functions of a backend as the mixtures call them: compiled once on traceable backends."""
import functools

import jax

from normix._kernels import dispatch


@functools.cache
def compiled(backend, function, static_argnums=()):
    """``function`` (which runs on ``backend``'s arrays) wrapped in ``jax.jit`` when the backend is traceable.

    Eager calls then run one compiled program instead of hundreds of dispatched
    operations; inside ``jit``, ``vmap`` or ``grad`` the inner ``jit`` is inlined.  On
    the CPU backend ``function`` is returned as it is.
    """
    return jax.jit(function, static_argnums=static_argnums) if dispatch.traceable(backend) else function


def compiled_kernel(backend, name, static_argnums=()):
    """Kernel ``name`` of ``backend``, through :func:`compiled`."""
    return compiled(backend, getattr(dispatch.kernels(backend), name), static_argnums)
