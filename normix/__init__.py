"""normix: Generalized Hyperbolic distributions as exponential families, fitted by EM.

Importing normix turns on JAX's 64-bit mode (``jax_enable_x64``): every kernel
is written for float64 and its accuracy guarantees hold only there.  Public
classes are imported on first use, so ``import normix`` compiles nothing and
loads neither numba nor scipy's optimisers.
"""
import jax

from normix._em.result import register_standard_errors
from normix.distributions import CLASS_MODULES
from normix.distributions._lazy import lazy_attributes

jax.config.update("jax_enable_x64", True)

__version__ = "0.1.0"

_PUBLIC = {
    **{name: module for name, module in CLASS_MODULES.items() if not name.startswith("Abstract")},
    "ExponentialFamily": "normix.exponential_family",
    "JointNormalMixture": "normix.mixtures.joint",
    "NormalMixture": "normix.mixtures.marginal",
    "EMResult": "normix.fitting.em",
    "EMStatus": "normix.fitting.em",
    "BatchEMFitter": "normix.fitting.em",
    "OnlineEMFitter": "normix.fitting.em",
    "MiniBatchEMFitter": "normix.fitting.em",
    "ewma_weights": "normix.fitting",
    "load": "normix.io",
}

__all__ = sorted(_PUBLIC)


__getattr__, __dir__ = lazy_attributes(__name__, _PUBLIC)


def _standard_errors(result, X, kind):
    """``EMResult.standard_errors``: :func:`normix.inference.standard_errors.from_em_result`, loaded on first use."""
    from normix.inference.standard_errors import from_em_result

    return from_em_result(result, X, kind)


register_standard_errors(_standard_errors)
