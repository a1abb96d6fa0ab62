"""The family registry of saved models, and :func:`save` / :func:`load`.

``load`` reads a file with :func:`normix._serialization.read_model`, looks the family
name up in :data:`FAMILIES` and builds the model through the class's public
constructor (for a marginal mixture, the constructor of its joint law), so a file
goes through the same validation as parameters typed by hand.
"""
import dataclasses
import os

from normix._serialization import read_model, save_model
from normix.distributions.gamma import Gamma
from normix.distributions.generalized_hyperbolic import GeneralizedHyperbolic, JointGeneralizedHyperbolic
from normix.distributions.generalized_inverse_gaussian import GeneralizedInverseGaussian
from normix.distributions.inverse_gamma import InverseGamma
from normix.distributions.inverse_gaussian import InverseGaussian
from normix.distributions.normal import MultivariateNormal
from normix.distributions.normal_inverse_gamma import JointNormalInverseGamma, NormalInverseGamma
from normix.distributions.normal_inverse_gaussian import JointNormalInverseGaussian, NormalInverseGaussian
from normix.distributions.variance_gamma import JointVarianceGamma, VarianceGamma
from normix.mixtures.marginal import NormalMixture

FAMILIES = {cls.__name__: cls for cls in (
    Gamma, InverseGamma, InverseGaussian, GeneralizedInverseGaussian, MultivariateNormal,
    JointNormalInverseGaussian, JointVarianceGamma, JointNormalInverseGamma, JointGeneralizedHyperbolic,
    NormalInverseGaussian, VarianceGamma, NormalInverseGamma, GeneralizedHyperbolic,
)}
"""Class name -> class of every model that :func:`load` reads."""


def _constructed_class(cls):
    """The class whose constructor takes the saved parameters: the joint law for a marginal mixture."""
    return cls._joint_class if issubclass(cls, NormalMixture) else cls


def save(model, path):
    """Write ``model`` to ``path`` (a ``normix.model`` JSON file; ``.json`` is the usual suffix).

    Parameters
    ----------
    model : one of the classes in :data:`FAMILIES`
    path : str or os.PathLike

    Raises
    ------
    TypeError
        If ``model``'s class is not one that :func:`load` can read back.
    """
    cls = type(model)
    if FAMILIES.get(cls.__name__) is not cls:
        raise TypeError(f"model must be one of the saved families {sorted(FAMILIES)}, got {cls.__name__}")
    save_model(model, path)


def load(path):
    """The model saved at ``path`` by :func:`save` or a model's ``save`` method.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    A model of the class named in the file, with exactly the saved parameters.

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path``.
    ValueError
        Naming the file and the problem: a corrupt or truncated file, a JSON document
        that is not a normix model, a newer format version, an unknown family, missing
        or unexpected parameter names, or parameters the class's constructor rejects
        (wrong shapes, out of range).
    """
    where = os.fspath(path)
    family, params = read_model(where)
    cls = FAMILIES.get(family)
    if cls is None:
        raise ValueError(f"{where}: unknown model family {family!r}; known families: {', '.join(sorted(FAMILIES))}")
    target = _constructed_class(cls)
    expected = [field.name for field in dataclasses.fields(target)]
    missing = [name for name in expected if name not in params]
    unexpected = sorted(set(params) - set(expected))
    if missing or unexpected:
        raise ValueError(f"{where}: {family} takes the parameters {expected}; missing {missing}, "
                         f"unexpected {unexpected}")
    try:
        built = target(**params)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{where}: invalid {family} parameters: {err}") from None
    return cls(built) if target is not cls else built
