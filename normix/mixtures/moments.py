"""Closed-form moments of a univariate normal variance-mean mixture R = m + gY + s√Y Z.

Z ~ N(0, 1) is independent of Y >= 0, so E[Z^l] = (l - 1)!! for even l and 0 for odd l,
and the trinomial expansion of (h + gY + s√Y Z)^k gives, for any shift h,

    E[(h + gY + s√Y Z)^k] = Σ_{i+j+l=k, l even} k!/(i! j! l!) h^i g^j s^l (l - 1)!! E[Y^(j + l/2)],

a finite sum of integer moments of Y (:func:`shifted_moment`).  The raw moment E[R^k] is
h = m; the central moment E[(R - E R)^k] (:func:`central_moment`) is h = -g E[Y], since
R - E R = -g E[Y] + gY + s√Y Z.

Moments of the subordinator, E[Y^r] for real r >= 0, in GIG form (p, a, b):

* GIG(p, a, b), a > 0 and b > 0: E[Y^r] = (b/a)^(r/2) K_{p+r}(√(ab)) / K_p(√(ab)), finite
  for every r (Barndorff-Nielsen 1977; Jørgensen 1982, eq. 2.3);
* Gamma (b = 0, shape p > 0, rate a/2): E[Y^r] = Γ(p + r)/Γ(p) (2/a)^r, finite for every r >= 0;
* InverseGamma (a = 0, shape α = -p > 0, rate b/2): E[Y^r] = (b/2)^r Γ(α - r)/Γ(α),
  finite iff r < α, and +inf otherwise.

Existence: E|R|^k < ∞ iff E[Y^k] < ∞ when g ≠ 0, and iff E[Y^(k/2)] < ∞ when g = 0 (the
Gaussian part alone needs the half power).  Only the InverseGamma subordinator (NInvG,
and GH with a = 0) has moments that do not exist: with shape α = -p, E|R|^k < ∞ iff
k < α (g ≠ 0) or k < 2α (g = 0).  Where E|R|^k is infinite the functions here return
+inf, for odd k too (there the moment is undefined).

References
----------
O. Barndorff-Nielsen (1977), Proc. R. Soc. Lond. A 353:401-419.
B. Jørgensen (1982), "Statistical Properties of the Generalized Inverse Gaussian
Distribution", Lecture Notes in Statistics 9, Springer.
"""
import functools
import math
import operator

import jax
import jax.numpy as jnp
from jax.scipy.special import gammaln

from normix._kernels.log_bessel import log_kv


def check_order(k, name="k"):
    """``k`` as a Python int >= 0 (the order fixes the expansion, so it must be concrete)."""
    if isinstance(k, bool):
        raise ValueError(f"{name} must be an integer >= 0, got the boolean {k!r}")
    try:
        k = operator.index(k)
    except TypeError:
        raise ValueError(f"{name} must be an integer >= 0, got {k!r}") from None
    if k < 0:
        raise ValueError(f"{name} must be an integer >= 0, got {k}")
    return k


def subordinator_moment(r, p, a, b):
    """E[Y^r] for Y in GIG form (p, a, b) and real r >= 0 (arrays broadcast), +inf where infinite.

    GIG for a > 0, b > 0; the Gamma limit for b = 0 and the InverseGamma limit for a = 0
    (see the module docstring).  Branch-free: each formula runs on safe stand-in
    parameters where it is not selected.
    """
    r, p, a, b = jnp.broadcast_arrays(*(jnp.asarray(v, dtype=jnp.float64) for v in (r, p, a, b)))
    gamma_limit = b == 0
    inverse_gamma_limit = a == 0
    regular = ~(gamma_limit | inverse_gamma_limit)
    a_gig, b_gig = jnp.where(regular, a, 1.0), jnp.where(regular, b, 1.0)
    w = jnp.sqrt(a_gig * b_gig)
    log_gig = 0.5 * r * jnp.log(b_gig / a_gig) + log_kv(p + r, w) - log_kv(p, w)
    shape = jnp.where(gamma_limit, p, 1.0)
    log_gamma = gammaln(shape + r) - gammaln(shape) + r * jnp.log(2.0 / jnp.where(gamma_limit, a, 1.0))
    alpha = jnp.where(inverse_gamma_limit, -p, 1.0)
    exists = r < alpha
    log_inverse_gamma = (r * jnp.log(0.5 * jnp.where(inverse_gamma_limit, b, 1.0))
                         + gammaln(jnp.where(exists, alpha - r, 1.0)) - gammaln(alpha))
    log_moment = jnp.where(gamma_limit, log_gamma, jnp.where(inverse_gamma_limit, log_inverse_gamma, log_gig))
    return jnp.where(inverse_gamma_limit & ~exists, jnp.inf, jnp.exp(log_moment))


def _double_factorial_odd(l):
    """(l - 1)!! = E[Z^l] for even l >= 0."""
    return math.prod(range(l - 1, 0, -2))


def _table(k_max, existence_orders, g, p, a, b):
    """(E[Y^j] for j = 0..k_max, whether E|R|^k < ∞ for each k of ``existence_orders``), in one Bessel call.

    E|R|^k < ∞ iff E[Y^k] < ∞ (g ≠ 0) or E[Y^(k/2)] < ∞ (g = 0).
    """
    integers = jnp.arange(k_max + 1, dtype=jnp.float64).reshape((k_max + 1,) + (1,) * g.ndim)
    integers = jnp.broadcast_to(integers, (k_max + 1,) + g.shape)
    existence = jnp.stack([jnp.where(g == 0, 0.5 * k, 1.0 * k) for k in existence_orders])
    table = subordinator_moment(jnp.concatenate([integers, existence]), p, a, b)
    return table[:k_max + 1], jnp.isfinite(table[k_max + 1:])


def _expand(k, h, g, s, moments_of_y):
    """The trinomial sum of the module docstring; a term with coefficient 0 is 0 even where E[Y^r] = ∞."""
    total = jnp.zeros_like(h)
    for l in range(0, k + 1, 2):
        for j in range(0, k - l + 1):
            i = k - l - j
            multinomial = math.factorial(k) // (math.factorial(i) * math.factorial(j) * math.factorial(l))
            coefficient = multinomial * _double_factorial_odd(l) * h ** i * g ** j * s ** l
            moment = jnp.where(coefficient == 0, 1.0, moments_of_y[j + l // 2])
            total = total + jnp.where(coefficient == 0, 0.0, coefficient * moment)
    return total


def _broadcast(*values):
    return jnp.broadcast_arrays(*(jnp.asarray(v, dtype=jnp.float64) for v in values))


def _centring_shift(g, mean_of_y):
    """h = -g E[Y] of the central moments (0 where g = 0, even if E[Y] is infinite)."""
    return jnp.where(g == 0, 0.0, -g * jnp.where(g == 0, 0.0, mean_of_y))


@functools.partial(jax.jit, static_argnums=0)
def shifted_moment(k, h, g, s, p, a, b):
    """E[(h + gY + s√Y Z)^k] for a Python int k >= 0 (arrays broadcast), +inf where the k-th absolute moment is infinite.

    The raw moment of R = m + gY + s√Y Z is ``shifted_moment(k, m, g, s, p, a, b)``.
    Compiled once per k.
    """
    h, g, s, p, a, b = _broadcast(h, g, s, p, a, b)
    moments_of_y, finite = _table(k, (k,), g, p, a, b)
    return jnp.where(finite[0], _expand(k, h, g, s, moments_of_y), jnp.inf)


@functools.partial(jax.jit, static_argnums=0)
def central_moment(k, g, s, p, a, b):
    """E[(R - E R)^k] of R = m + gY + s√Y Z (+inf where E|R|^k is infinite); m does not enter.

    The expansion with h = -g E[Y].  Compiled once per k.
    """
    g, s, p, a, b = _broadcast(g, s, p, a, b)
    moments_of_y, finite = _table(max(k, 1), (k,), g, p, a, b)
    h = _centring_shift(g, moments_of_y[1])
    return jnp.where(finite[0], _expand(k, h, g, s, moments_of_y), jnp.inf)


@jax.jit
def skewness_and_kurtosis(g, s, p, a, b):
    """(μ₃/μ₂^(3/2), μ₄/μ₂² - 3) of R = m + gY + s√Y Z from its central moments μ₂, μ₃, μ₄.

    +inf where the third (skewness) or fourth (kurtosis) absolute moment is infinite.
    """
    g, s, p, a, b = _broadcast(g, s, p, a, b)
    moments_of_y, (third_exists, fourth_exists) = _table(4, (3, 4), g, p, a, b)
    h = _centring_shift(g, moments_of_y[1])
    variance, third, fourth = (_expand(k, h, g, s, moments_of_y) for k in (2, 3, 4))
    return (jnp.where(third_exists, third / variance ** 1.5, jnp.inf),
            jnp.where(fourth_exists, fourth / variance ** 2 - 3.0, jnp.inf))
