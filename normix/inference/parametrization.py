"""An identified, unconstrained parametrisation of each family: the gauge det Σ = 1.

X = μ + γY + √Y Z, Z ~ N(0, Σ), has the same law as (γ/c, Σ/c, cY) for every c > 0
(:mod:`normix.selection`), so the likelihood is flat along one curve and its Hessian
is singular there.  Standard errors need one point per law: this module fixes the
gauge det Σ = 1, the library's own ``det_sigma_one`` regularisation.  It is chosen over
fixing a subordinator parameter because it works alike for the four families and at
their limits: a gauge such as a = b is impossible for VG (b = 0) and NInvG (a = 0), and
E[Y] = 1 fails for NInvG with α <= 1.

The free vector θ (every entry unconstrained) is, in order::

    μ (d), γ (d), the strictly lower entries of L (d(d-1)/2, row-major),
    log L_jj for j < d - 1 (d - 1; log L_(d-1)(d-1) = -Σ_j<d-1 log L_jj, so det Σ = 1),
    the subordinator:  GH: p, log a, log b;  NIG: log μ_IG, log λ;
                       VG: log α, log β;     NInvG: log α, log β,

with Σ = L Lᵀ; its length is :func:`normix.selection.n_parameters` of the model.  For
the multivariate normal (no latent scale) θ = (μ, strictly lower L, log L_jj for all j).

μ, the mean, the covariance and the portfolio VaR and ES are the same for every c,
so their standard errors do not depend on the gauge; those of γ, Σ and the scale-type
subordinator parameters do.  Of the subordinator parameters only the shapes are invariant: p of GH and α of VG
and NInvG (:data:`GAUGE_FREE`); for NIG the ratio λ/μ_IG is, neither alone.
"""
from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

from normix.distributions.generalized_hyperbolic import GeneralizedHyperbolic
from normix.distributions.normal import MultivariateNormal
from normix.distributions.normal_inverse_gamma import NormalInverseGamma
from normix.distributions.normal_inverse_gaussian import NormalInverseGaussian
from normix.distributions.variance_gamma import VarianceGamma


class Family(NamedTuple):
    """How one family's subordinator enters θ."""

    name: str
    subordinator: tuple
    """Names of the subordinator parameters of ``from_classical``."""
    log_scale: tuple
    """Which of them are stored as logarithms in θ."""


FAMILIES = {
    GeneralizedHyperbolic: Family("GH", ("p", "a", "b"), (False, True, True)),
    NormalInverseGaussian: Family("NIG", ("mu_ig", "lam"), (True, True)),
    VarianceGamma: Family("VG", ("alpha", "beta"), (True, True)),
    NormalInverseGamma: Family("NInvG", ("alpha", "beta"), (True, True)),
    MultivariateNormal: Family("Normal", (), ()),
}

#: Parameters (of ``from_classical``) whose value is the same in every gauge.
GAUGE_FREE = ("mu", "p", "alpha")


def family_of(model):
    """The :class:`Family` of ``model``; ``TypeError`` for a class without one."""
    cls = type(model)
    if cls not in FAMILIES:
        known = [c.__name__ for c in FAMILIES]
        raise TypeError(f"model must be one of {known}, got {cls.__name__}")
    return FAMILIES[cls]


def is_mixture(family):
    """Whether the family has a latent scale (every family but the normal)."""
    return family.name != "Normal"


def to_gig(family, sub):
    """The subordinator's classical parameters ``sub`` in GIG form (p, a, b)."""
    if family.name == "GH":
        return sub[0], sub[1], sub[2]
    if family.name == "NIG":
        mu_ig, lam = sub
        return -0.5 + 0.0 * lam, lam / mu_ig**2, lam
    alpha, beta = sub
    if family.name == "VG":
        return alpha, 2.0 * beta, 0.0 * beta
    return -alpha, 0.0 * beta, 2.0 * beta


def from_gig(family, p, a, b):
    """The subordinator's classical parameters from its GIG form (inverse of :func:`to_gig`)."""
    if family.name == "GH":
        return p, a, b
    if family.name == "NIG":
        return np.sqrt(b / a), b
    if family.name == "VG":
        return p, 0.5 * a
    return -p, 0.5 * b


def n_free(family, d):
    """Length of θ."""
    if not is_mixture(family):
        return d + d * (d + 1) // 2
    return 2 * d + d * (d + 1) // 2 - 1 + len(family.subordinator)


def _cholesky(offdiag, log_diag, d):
    L = jnp.zeros((d, d)).at[np.tril_indices(d, -1)].set(offdiag)
    return L + jnp.diag(jnp.exp(log_diag))


def unpack(family, d, theta):
    """θ → (μ, γ, L, subordinator tuple) (JAX, differentiable); γ is None for the normal."""
    theta = jnp.asarray(theta)
    k = d * (d - 1) // 2
    mu = theta[:d]
    if not is_mixture(family):
        return mu, None, _cholesky(theta[d:d + k], theta[d + k:d + k + d], d), ()
    gamma = theta[d:2 * d]
    offdiag = theta[2 * d:2 * d + k]
    head = theta[2 * d + k:3 * d + k - 1]
    log_diag = jnp.concatenate([head, -jnp.sum(head, keepdims=True)])
    raw = theta[3 * d + k - 1:]
    sub = tuple(jnp.exp(raw[i]) if log else raw[i] for i, log in enumerate(family.log_scale))
    return mu, gamma, _cholesky(offdiag, log_diag, d), sub


def kernel_args(family, d, theta):
    """θ → (μ, γ, L, p, a, b), the arguments of the ``mixture_log_density`` kernel."""
    mu, gamma, L, sub = unpack(family, d, theta)
    return (mu, gamma, L, *to_gig(family, sub))


def classical(family, d, theta):
    """θ → the keyword arguments of the family's ``from_classical`` (JAX arrays)."""
    mu, gamma, L, sub = unpack(family, d, theta)
    out = {"mu": mu}
    if gamma is not None:
        out["gamma"] = gamma
    out["sigma"] = L @ L.T
    out.update(zip(family.subordinator, sub))
    return out


def build(model, theta):
    """The model of ``type(model)`` at θ (traceable: its leaves may be JAX tracers)."""
    family = family_of(model)
    mu, gamma, L, sub = unpack(family, model.d, theta)
    if not is_mixture(family):
        return MultivariateNormal(mu, L)
    return type(model)(type(model.joint)(mu, gamma, L, *sub))


def gauge_fixed(model):
    """θ of ``model`` in the gauge det Σ = 1 (numpy): Σ → Σ/s, γ → γ/s, Y → sY, s = det Σ^(1/d)."""
    family = family_of(model)
    d = model.d
    mu = np.asarray(model.mu if not is_mixture(family) else model.joint.mu, dtype=np.float64)
    L = np.asarray(model.L_Sigma if not is_mixture(family) else model.joint.L_Sigma, dtype=np.float64)
    rows, cols = np.tril_indices(d, -1)
    if not is_mixture(family):
        return np.concatenate([mu, L[rows, cols], np.log(np.diag(L))])
    p, a, b = (float(v) for v in model.joint.gig_params())
    log_diag = np.log(np.diag(L))
    shift = np.mean(log_diag)
    s = np.exp(2.0 * shift)
    L = L / np.sqrt(s)
    gamma = np.asarray(model.joint.gamma, dtype=np.float64) / s
    sub = from_gig(family, p, a / s, b * s)
    raw = [np.log(v) if log else v for v, log in zip(sub, family.log_scale)]
    return np.concatenate([mu, gamma, L[rows, cols], (log_diag - shift)[:-1], np.asarray(raw, dtype=np.float64)])


def parameter_shapes(family, d):
    """Names and shapes of the classical parameters, in ``from_classical`` order."""
    shapes = {"mu": (d,)}
    if is_mixture(family):
        shapes["gamma"] = (d,)
    shapes["sigma"] = (d, d)
    shapes.update((name, ()) for name in family.subordinator)
    return shapes
