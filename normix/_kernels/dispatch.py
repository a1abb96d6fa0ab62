"""Backend dispatch: the only module that imports the kernel twins.

Kernel modules come in pairs, ``<family>_cpu.py`` (numba) and ``<family>_jax.py``
(pure JAX), and each lists its kernels in ``__all__``.  The registry is built by
discovering those pairs, so a kernel is available on a backend exactly when its
twin exists; :func:`registry_problems` reports any kernel that lacks a twin (the
parity suite fails on it).

The exact samplers (``gamma_sampler_cpu``, ``gig_rou_sampler_cpu``, ``gig_sampler_cpu``,
``stream_sampler_cpu``) are numba code with no JAX twin by design: they fill numpy
arrays from their own random streams, so that a sample depends only on the parameters,
n and the seed, and nothing traces through them.  They are listed in
:data:`CPU_ONLY_FAMILIES`, are not part of the registry, and their callers import them
directly.  In any other ``*_cpu`` module every name of ``__all__`` needs its JAX twin
(helpers of one backend, such as ``bessel_half_cpu``, export nothing).

``kernels(backend)`` validates the backend name once and returns a frozen
:class:`KernelBundle`.  The CPU twins run on concrete arrays only: called with a
traced JAX value (inside ``jit``, ``vmap`` or ``grad``) they raise a
``TypeError`` that says to use ``backend='jax'`` there.  Nothing is routed
through ``jax.pure_callback`` silently.
"""
import functools
import importlib
import os
import pkgutil
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

BACKENDS = ("cpu", "jax")
CPU_ONLY_FAMILIES = ("gamma_sampler", "gig_rou_sampler", "gig_sampler", "stream_sampler")
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def validate_backend(backend):
    """Return ``backend`` if it names a backend, else raise ``ValueError`` listing the valid names."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS!r}, got {backend!r}")
    return backend


_TRACEABLE = {"cpu": False, "jax": True}


def traceable(backend):
    """Whether ``backend``'s kernels can run on traced values (inside jit, vmap, grad, lax loops)."""
    return _TRACEABLE[validate_backend(backend)]


def array_namespace(backend):
    """The array module of ``backend``: ``numpy`` for ``'cpu'``, ``jax.numpy`` for ``'jax'``."""
    import jax

    return jax.numpy if traceable(backend) else np


def to_backend(tree, backend):
    """Convert every array leaf of ``tree`` to the array type of ``backend`` (numpy or JAX)."""
    import jax

    convert = jax.numpy.asarray if traceable(backend) else np.asarray
    return jax.tree_util.tree_map(convert, tree)


def kernel_families():
    """Names of the twinned kernel families, from the ``<family>_cpu`` / ``<family>_jax`` modules present.

    The families of :data:`CPU_ONLY_FAMILIES` are left out.
    """
    names = {m.name for m in pkgutil.iter_modules([_PACKAGE_DIR])}
    families = set()
    for name in names:
        for backend in BACKENDS:
            if name.endswith("_" + backend):
                families.add(name[: -len(backend) - 1])
    return tuple(sorted(families - set(CPU_ONLY_FAMILIES)))


def twin_module(family, backend):
    """Import and return the ``backend`` twin module of kernel ``family``."""
    validate_backend(backend)
    return importlib.import_module(f"normix._kernels.{family}_{backend}")


def _exported(family, backend):
    try:
        module = twin_module(family, backend)
    except ModuleNotFoundError:
        return {}
    return {name: getattr(module, name) for name in getattr(module, "__all__", ())}


def registry_problems():
    """List of human-readable problems with the twin registry (empty when every kernel has its twin).

    A family of :data:`CPU_ONLY_FAMILIES` must have its ``_cpu`` module and no ``_jax`` one.
    """
    modules = {m.name for m in pkgutil.iter_modules([_PACKAGE_DIR])}
    problems = []
    for family in CPU_ONLY_FAMILIES:
        if f"{family}_cpu" not in modules:
            problems.append(f"CPU_ONLY_FAMILIES lists {family}, which has no {family}_cpu module")
        if f"{family}_jax" in modules:
            problems.append(f"CPU_ONLY_FAMILIES lists {family}, which has a jax twin")
    for family in kernel_families():
        cpu = set(_exported(family, "cpu"))
        jax = set(_exported(family, "jax"))
        for name in sorted(cpu - jax):
            problems.append(f"kernel {family}.{name} has a cpu twin but no jax twin")
        for name in sorted(jax - cpu):
            problems.append(f"kernel {family}.{name} has a jax twin but no cpu twin")
    return problems


def registered_kernels():
    """Mapping kernel name -> family, for every kernel that has both twins."""
    table = {}
    for family in kernel_families():
        both = set(_exported(family, "cpu")) & set(_exported(family, "jax"))
        for name in both:
            if name in table:
                raise RuntimeError(f"kernel {name!r} is exported by two families: {table[name]}, {family}")
            table[name] = family
    return table


def _reject_traced(name, func):
    from jax.core import Tracer

    @functools.wraps(func)
    def concrete_only(*args, **kwargs):
        for value in (*args, *kwargs.values()):
            if isinstance(value, Tracer):
                raise TypeError(
                    f"kernel {name!r} with backend='cpu' needs concrete arrays but got a traced "
                    "JAX value (inside jit, vmap or grad); use backend='jax' there"
                )
        return func(*args, **kwargs)

    return concrete_only


@dataclass(frozen=True)
class KernelBundle:
    """Kernels of one backend, reachable as attributes (``bundle.log_kv(v, z)``)."""

    backend: str
    table: MappingProxyType

    def __getattr__(self, name):
        try:
            return self.table[name]
        except KeyError:
            raise AttributeError(
                f"no kernel {name!r} for backend {self.backend!r}; available: {sorted(self.table)}"
            ) from None


@functools.cache
def kernels(backend):
    """The :class:`KernelBundle` of ``backend`` (``'cpu'`` or ``'jax'``)."""
    validate_backend(backend)
    table = {}
    for name, family in registered_kernels().items():
        func = _exported(family, backend)[name]
        table[name] = _reject_traced(name, func) if backend == "cpu" else func
    return KernelBundle(backend, MappingProxyType(table))
