"""The general family of the mixtures, found at run time: the class that a conditional law belongs to.

Conditioning any normal variance-mean mixture on some of its coordinates gives a
Generalized Hyperbolic law (:mod:`normix.mixtures.conditional`), whatever the family
conditioned.  GH lives above this layer (``normix.distributions``) and itself depends
on its special cases, so the mixture layer cannot import it; instead the package
``normix.distributions``, whose initialiser runs before any of its modules, registers
a builder here (dependency inversion).  The builder loads GH on its first call.
"""
_BUILDERS = []


def register_general_law(builder):
    """Record ``builder(mu, gamma, L_Sigma, p, a, b) -> GeneralizedHyperbolic`` (the last one registered wins)."""
    _BUILDERS.append(builder)


def general_law(mu, gamma, L_Sigma, p, a, b):
    """The GH law with these parameters (GIG form), built by the registered builder.

    Raises
    ------
    RuntimeError
        If no builder is registered (``normix.distributions`` was never imported, which
        cannot happen for a model made by one of its classes).
    """
    if not _BUILDERS:
        raise RuntimeError("no general mixture law is registered: import normix.distributions first")
    return _BUILDERS[-1](mu, gamma, L_Sigma, p, a, b)
