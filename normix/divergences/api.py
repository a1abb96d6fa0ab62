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
from normix.distributions.normal import MultivariateNormal
from normix.divergences.closed_form import family_kl, family_squared_hellinger, hellinger_from_log_bc, normal_kl, \
    normal_log_bc
from normix.divergences.joint import joint_kl, joint_squared_hellinger
from normix.divergences.monte_carlo import check_samples, monte_carlo_kl, monte_carlo_squared_hellinger
from normix.exponential_family import ExponentialFamily
from normix.mixtures.joint import JointNormalMixture
from normix.mixtures.marginal import NormalMixture


def _check_pair(p, q):
    """The kind of the pair: 'joint', 'family', 'normal' or 'marginal'; ``ValueError``/``TypeError`` otherwise."""
    if isinstance(p, JointNormalMixture):
        kind = "joint"
    elif isinstance(p, ExponentialFamily):
        kind = "family"
    elif isinstance(p, MultivariateNormal):
        kind = "normal"
    elif isinstance(p, NormalMixture):
        kind = "marginal"
    else:
        raise TypeError("p must be a normix distribution (an ExponentialFamily, MultivariateNormal or "
                        f"NormalMixture), got {type(p).__name__}")
    if type(q) is not type(p):
        raise ValueError(f"q must be of the same family as p ({type(p).__name__}), got {type(q).__name__}")
    if kind != "family":
        d_p, d_q = (m.dim if kind == "normal" else m.d for m in (p, q))
        if d_p != d_q:
            raise ValueError(f"q must have the dimension of p (d = {d_p}), got d = {d_q}")
    return kind


def _exact_only(kind, n_samples, seed):
    if kind != "marginal" and (n_samples is not None or seed is not None):
        raise ValueError("n_samples and seed apply only to marginal mixtures (Monte Carlo); "
                         "the divergence of this pair is computed in closed form")


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
    kind = _check_pair(p, q)
    _exact_only(kind, n_samples, seed)
    if kind == "marginal":
        return monte_carlo_kl(p, q, check_samples(n_samples), 0 if seed is None else seed)
    if kind == "joint":
        return joint_kl(p, q)
    if kind == "normal":
        return normal_kl(p.mu, p.L_Sigma, q.mu, q.L_Sigma)
    return family_kl(p, q)


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
    kind = _check_pair(p, q)
    _exact_only(kind, n_samples, seed)
    if kind == "marginal":
        return monte_carlo_squared_hellinger(p, q, check_samples(n_samples), 0 if seed is None else seed)
    if kind == "joint":
        return joint_squared_hellinger(p, q)
    if kind == "normal":
        return hellinger_from_log_bc(normal_log_bc(p.mu, p.L_Sigma, q.mu, q.L_Sigma))
    return family_squared_hellinger(p, q)


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
    _check_pair(p, q)
    return joint_kl(p.joint, q.joint)
