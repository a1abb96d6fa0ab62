"""Distributions of normix: the subordinators, the multivariate normal and the mixtures.

Every public class is importable from here (``from normix.distributions import
VarianceGamma``).  The classes are imported on first use, so importing this package
loads none of its modules.
"""
from normix.distributions._lazy import lazy_attributes
from normix.mixtures.general_law import register_general_law

CLASS_MODULES = {
    "AbstractDistribution": "normix.distributions._base",
    "AbstractMultivariateDistribution": "normix.distributions._base",
    "Gamma": "normix.distributions.gamma",
    "InverseGamma": "normix.distributions.inverse_gamma",
    "InverseGaussian": "normix.distributions.inverse_gaussian",
    "GeneralizedInverseGaussian": "normix.distributions.generalized_inverse_gaussian",
    "GIG": "normix.distributions.generalized_inverse_gaussian",
    "MultivariateNormal": "normix.distributions.normal",
    "JointVarianceGamma": "normix.distributions.variance_gamma",
    "VarianceGamma": "normix.distributions.variance_gamma",
    "JointNormalInverseGamma": "normix.distributions.normal_inverse_gamma",
    "NormalInverseGamma": "normix.distributions.normal_inverse_gamma",
    "JointNormalInverseGaussian": "normix.distributions.normal_inverse_gaussian",
    "NormalInverseGaussian": "normix.distributions.normal_inverse_gaussian",
    "JointGeneralizedHyperbolic": "normix.distributions.generalized_hyperbolic",
    "GeneralizedHyperbolic": "normix.distributions.generalized_hyperbolic",
}

__all__ = sorted(CLASS_MODULES)


__getattr__, __dir__ = lazy_attributes(__name__, CLASS_MODULES)


def _generalized_hyperbolic(mu, gamma, L_Sigma, p, a, b):
    """The GH law of these GIG-form parameters; the law of every conditional of a mixture (``model.condition``)."""
    return __getattr__("GeneralizedHyperbolic")(__getattr__("JointGeneralizedHyperbolic")(mu, gamma, L_Sigma, p, a, b))


register_general_law(_generalized_hyperbolic)
