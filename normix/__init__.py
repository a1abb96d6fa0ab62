"""normix: Generalized Hyperbolic distributions as exponential families, fitted by EM.

Importing normix turns on JAX's 64-bit mode (``jax_enable_x64``): every kernel
is written for float64 and its accuracy guarantees hold only there.  Public
classes are imported on first use, so ``import normix`` compiles nothing and
loads neither numba nor scipy's optimisers.
"""
import jax

from normix.distributions._lazy import lazy_attributes

jax.config.update("jax_enable_x64", True)

__version__ = "0.1.0"

_PUBLIC = {
    "ExponentialFamily": "normix.exponential_family",
    "Gamma": "normix.distributions.gamma",
    "InverseGamma": "normix.distributions.inverse_gamma",
    "InverseGaussian": "normix.distributions.inverse_gaussian",
    "GeneralizedInverseGaussian": "normix.distributions.generalized_inverse_gaussian",
    "GIG": "normix.distributions.generalized_inverse_gaussian",
    "MultivariateNormal": "normix.distributions.normal",
    "JointNormalMixture": "normix.mixtures.joint",
    "NormalMixture": "normix.mixtures.marginal",
    "JointVarianceGamma": "normix.distributions.variance_gamma",
    "VarianceGamma": "normix.distributions.variance_gamma",
    "JointNormalInverseGamma": "normix.distributions.normal_inverse_gamma",
    "NormalInverseGamma": "normix.distributions.normal_inverse_gamma",
    "JointNormalInverseGaussian": "normix.distributions.normal_inverse_gaussian",
    "NormalInverseGaussian": "normix.distributions.normal_inverse_gaussian",
    "JointGeneralizedHyperbolic": "normix.distributions.generalized_hyperbolic",
    "GeneralizedHyperbolic": "normix.distributions.generalized_hyperbolic",
    "EMResult": "normix.fitting.em",
    "EMStatus": "normix.fitting.em",
    "BatchEMFitter": "normix.fitting.em",
    "OnlineEMFitter": "normix.fitting.em",
    "MiniBatchEMFitter": "normix.fitting.em",
    "load": "normix.io",
}

__all__ = sorted(_PUBLIC)


__getattr__, __dir__ = lazy_attributes(__name__, _PUBLIC)
