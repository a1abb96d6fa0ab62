"""KL divergence, squared Hellinger distance and the joint bound, for every distribution of normix.

Which computation runs depends on the pair (both arguments must be of one class and,
for multivariate laws, one dimension):

* Gamma, InverseGamma, InverseGaussian, GIG (any
  :class:`~normix.exponential_family.ExponentialFamily`) and MultivariateNormal: closed
  form, the Bregman divergence of ψ (:mod:`normix.divergences.closed_form`);
* joint mixtures (``JointNormalInverseGaussian``, ...): closed form
  (:mod:`normix.divergences.joint`);
* marginal mixtures (``NormalInverseGaussian``, ...): Monte Carlo with a standard error
  (:mod:`normix.divergences.monte_carlo`).

For marginal mixtures, KL(p_X ‖ q_X) <= KL(p_XY ‖ q_XY) (the chain rule: KL of the joints
= KL of the marginals + E[KL of the conditionals of Y given X] >= KL of the marginals;
Cover and Thomas 2006, Sect. 2.5), and :func:`kl_upper_bound` returns the right-hand
side in closed form.  The bound depends on how each law is written: the GH family
gives the same marginal for (μ, γ/c, Σ/c, cY) and every c > 0, with different joints.
To compare mixtures of two families, write both in GH form
(``GeneralizedHyperbolic.from_mixture``).
"""
import functools
from typing import Callable, NamedTuple

from normix.distributions.normal import MultivariateNormal
from normix.divergences.closed_form import family_kl, family_squared_hellinger, hellinger_from_log_bc, normal_kl, \
    normal_log_bc
from normix.divergences.joint import joint_kl, joint_squared_hellinger
from normix.divergences.monte_carlo import check_samples, monte_carlo_kl, monte_carlo_squared_hellinger
from normix.exponential_family import ExponentialFamily
from normix.mixtures.joint import JointNormalMixture
from normix.mixtures.marginal import NormalMixture


class _Rule(NamedTuple):
    """How the divergences of a pair of one class are computed."""

    kl: Callable
    squared_hellinger: Callable
    monte_carlo: bool
    """Whether ``kl`` and ``squared_hellinger`` take ``n_samples`` and ``seed`` (no closed form)."""
    multivariate: bool
    """Whether the laws have a dimension ``d`` that must agree."""


def _normal_kl(p, q):
    return normal_kl(p.mu, p.L_Sigma, q.mu, q.L_Sigma)


def _normal_squared_hellinger(p, q):
    return hellinger_from_log_bc(normal_log_bc(p.mu, p.L_Sigma, q.mu, q.L_Sigma))


@functools.singledispatch
def _rule(p):
    """The :class:`_Rule` of ``p``'s class (the most specific registered base class wins)."""
    raise TypeError("p must be a normix distribution (an ExponentialFamily, MultivariateNormal or "
                    f"NormalMixture), got {type(p).__name__}")


_rule.register(ExponentialFamily, lambda p: _Rule(family_kl, family_squared_hellinger, False, False))
_rule.register(JointNormalMixture, lambda p: _Rule(joint_kl, joint_squared_hellinger, False, True))
_rule.register(MultivariateNormal, lambda p: _Rule(_normal_kl, _normal_squared_hellinger, False, True))
_rule.register(NormalMixture, lambda p: _Rule(monte_carlo_kl, monte_carlo_squared_hellinger, True, True))


def _check_pair(p, q, n_samples, seed):
    """(rule, keyword arguments of its functions) of the pair; ``ValueError``/``TypeError`` naming the problem."""
    rule = _rule(p)
    if type(q) is not type(p):
        raise ValueError(f"q must be of the same family as p ({type(p).__name__}), got {type(q).__name__}")
    if rule.multivariate and p.d != q.d:
        raise ValueError(f"q must have the dimension of p (d = {p.d}), got d = {q.d}")
    if rule.monte_carlo:
        return rule, {"n_samples": check_samples(n_samples), "seed": 0 if seed is None else seed}
    if n_samples is not None or seed is not None:
        raise ValueError("n_samples and seed apply only to marginal mixtures (Monte Carlo); "
                         "the divergence of this pair is computed in closed form")
    return rule, {}


def kl_divergence(p, q, *, n_samples=None, seed=None):
    """Kullback-Leibler divergence KL(p ‖ q) = E_p[log p(X) − log q(X)].

    Exponential families (Gamma, InverseGamma, InverseGaussian, GIG, MultivariateNormal
    and the joint mixtures): the Bregman form ψ(θ_q) − ψ(θ_p) − (θ_q − θ_p)·η_p
    (Nielsen and Nock 2010), exact; +inf where it is infinite (a joint Variance Gamma
    law with shape <= 1 against one with another μ).  Marginal mixtures: the Monte-Carlo
    mean of log p − log q over ``n_samples`` draws of p.

    Parameters
    ----------
    p, q : distribution
        Two laws of one class and dimension.
    n_samples : int, optional
        Marginal mixtures only: number of draws (default 100000, at least 4).
    seed : int, optional
        Marginal mixtures only: seed of the draws (default 0).

    Returns
    -------
    float or MonteCarloEstimate
        A float for exponential families; for marginal mixtures a
        :class:`~normix.divergences.monte_carlo.MonteCarloEstimate` (``value``,
        ``standard_error``, ``n_samples``).

    Raises
    ------
    ValueError
        If ``q`` is of another class or dimension than ``p``, or ``n_samples``/``seed``
        are given for a pair with a closed form.
    TypeError
        If ``p`` is not a normix distribution.
    """
    rule, sampling = _check_pair(p, q, n_samples, seed)
    return rule.kl(p, q, **sampling)


def squared_hellinger(p, q, *, n_samples=None, seed=None):
    """Squared Hellinger distance H²(p, q) = 1 − ∫ √(p q), in [0, 1] and symmetric.

    Exponential families: H² = 1 − exp(ψ((θ_p + θ_q)/2) − (ψ(θ_p) + ψ(θ_q))/2) (the
    Bhattacharyya coefficient of exponential families; Nielsen 2010), exact.  Marginal
    mixtures: Monte Carlo, importance sampling from (p + q)/2 with weight 1/cosh(r/2),
    r = log p − log q (see :mod:`normix.divergences.monte_carlo`).

    Parameters and Raises as in :func:`kl_divergence`.

    Returns
    -------
    float or MonteCarloEstimate
    """
    rule, sampling = _check_pair(p, q, n_samples, seed)
    return rule.squared_hellinger(p, q, **sampling)


def kl_upper_bound(p, q):
    """Closed-form upper bound KL(p ‖ q) <= KL(p.joint ‖ q.joint) for two marginal mixtures.

    By the chain rule, KL(p_XY ‖ q_XY) = KL(p_X ‖ q_X) + E_p[KL(p(y|X) ‖ q(y|X))], and the
    last term is >= 0 (Cover and Thomas 2006, Sect. 2.5; the data-processing inequality).

    Parameters
    ----------
    p, q : NormalMixture
        Two marginal mixtures of one family and dimension.

    Returns
    -------
    float
        KL between the joint laws (:func:`kl_divergence` of ``p.joint`` and ``q.joint``).
    """
    if not isinstance(p, NormalMixture):
        raise TypeError(f"p must be a marginal mixture (NormalMixture), got {type(p).__name__}")
    _check_pair(p, q, None, None)
    return joint_kl(p.joint, q.joint)
