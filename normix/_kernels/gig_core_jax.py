"""Cores of the GIG kernels, pure JAX (twin: ``gig_core_cpu.py``).

The same formulas as the numba twin, whose module docstring derives them: the
reduction to v = |p| >= 0 through 1/Y ~ GIG(-p, b, a), the first order from one
Bessel evaluation of order -v, the second order from two more (orders v and 1 - v,
with D_{v+1} - D_v from the differentiated recurrence) and the Turán quantity T_u, and the Gamma limit b = 0.  Every function is
elementwise and branch-free: each regime runs on safe stand-in inputs where it is not
selected, so that no NaN reaches values or gradients from a branch not taken.
"""
import jax
import jax.numpy as jnp
from jax.scipy.special import digamma, gammaln, polygamma

from normix._kernels._constants import GIG_HANKEL_MIN_ARG, GIG_HANKEL_ORDER_RATIO, GIG_HANKEL_TERMS, LOG_2
from normix._kernels.bessel_jax import log_kv_derivatives, log_kv_ratio_dv


def _hankel_log_scaled(nu, w):
    """log(K_nu(w) e^w sqrt(2w/π)) = log(1 + Σ_k a_k(nu)/w^k), DLMF 10.40.2, GIG_HANKEL_TERMS terms."""
    mu = 4.0 * nu * nu

    def add_term(k, state):
        term, total = state
        odd = 2.0 * k - 1.0
        term = term * (mu - odd * odd) / (8.0 * k * w)
        return term, total + term

    _, total = jax.lax.fori_loop(1, GIG_HANKEL_TERMS + 1, add_term, (jnp.ones_like(w), jnp.zeros_like(w)))
    return jnp.log1p(total)


def _turan(u, r, r_over_w, w):
    """T_u = K_{u+2}K_u/K_{u+1}² - 1 for u >= -1, from r = K_u/K_{u+1} and r/w."""
    hankel = (w >= GIG_HANKEL_MIN_ARG) & ((u + 2.0) ** 2 <= GIG_HANKEL_ORDER_RATIO * w)
    u_h = jnp.where(hankel, u, 0.0)
    w_h = jnp.where(hankel, w, GIG_HANKEL_MIN_ARG)
    g = _hankel_log_scaled(jnp.stack([u_h, u_h + 1.0, u_h + 2.0]), jnp.stack([w_h, w_h, w_h]))
    return jnp.where(hankel, jnp.expm1(g[2] + g[0] - 2.0 * g[1]), r * r + 2.0 * (u + 1.0) * r_over_w - 1.0)


def _frame(p, a, b):
    """The frame v = |p| (with a, b swapped for p < 0), its regimes and safe stand-ins for the regular branch."""
    p, a, b = jnp.broadcast_arrays(*(jnp.asarray(x, dtype=jnp.float64) for x in (p, a, b)))
    flip = p < 0.0
    v = jnp.abs(p)
    a, b = jnp.where(flip, b, a), jnp.where(flip, a, b)
    base = jnp.isfinite(v) & (a > 0.0) & (a < jnp.inf) & (b >= 0.0) & (b < jnp.inf)
    regular = base & (b > 0.0)
    gamma = base & (b == 0.0) & (v > 0.0)
    v_r = jnp.where(regular, v, 1.0)
    a_r = jnp.where(regular, a, 1.0)
    sa = jnp.sqrt(a_r)
    sb = jnp.sqrt(jnp.where(regular, b, 1.0))
    return dict(v=v, a=a, flip=flip, regular=regular, gamma=gamma, v_r=v_r, a_r=a_r, sa=sa, sb=sb, w=sa * sb)


def _select(fr, regular_out, gamma_out):
    return tuple(jnp.where(fr["regular"], x, jnp.where(fr["gamma"], y, jnp.nan)) for x, y in zip(regular_out, gamma_out))


def _first(fr, log_k, r_neg, d_neg):
    """(ψ, scale of ψ's terms, E log Y, E 1/Y, E Y) from the Bessel quantities of order -v."""
    v_r, sa, sb = fr["v_r"], fr["sa"], fr["sb"]
    s = sb / sa
    log_s = jnp.log(sb) - jnp.log(sa)
    regular_out = (
        LOG_2 + log_k + v_r * log_s,
        LOG_2 + jnp.abs(log_k) + jnp.abs(v_r * log_s),
        log_s - d_neg,
        r_neg / s,
        s * r_neg + 2.0 * v_r / fr["a_r"],
    )
    gamma = fr["gamma"]
    v_g = jnp.where(gamma, fr["v"], 2.0)
    log_beta = jnp.log(0.5 * jnp.where(gamma, fr["a"], 1.0))
    beta = jnp.exp(log_beta)
    log_gamma = gammaln(v_g)
    gamma_out = (
        log_gamma - v_g * log_beta,
        jnp.abs(log_gamma) + jnp.abs(v_g * log_beta),
        digamma(v_g) - log_beta,
        jnp.where(v_g > 1.0, beta / jnp.where(v_g > 1.0, v_g - 1.0, 1.0), jnp.inf),
        v_g / beta,
    )
    psi, psi_scale, e1, e2, e3 = _select(fr, regular_out, gamma_out)
    flip = fr["flip"]
    return psi, psi_scale, jnp.where(flip, -e1, e1), jnp.where(flip, e3, e2), jnp.where(flip, e2, e3)


def _second(fr, e2, e3, r_neg, d, d2, r_down, d_down):
    """Fisher entries (h11, h12, h13, h22, h23, h33) from the first order and the Bessel quantities of orders v, v ± 1."""
    regular, flip = fr["regular"], fr["flip"]
    v, w = fr["v_r"], fr["w"]
    e_inv = jnp.where(regular, jnp.where(flip, e3, e2), 1.0)
    e_y = jnp.where(regular, jnp.where(flip, e2, e3), 1.0)
    low = v < 1.0
    u_inv = jnp.where(low, -v, v - 2.0)
    r_inv = jnp.where(low, 1.0 / r_neg, r_down)
    r_inv_over_w = jnp.where(low, 1.0 / (w * r_neg), r_down / w)
    t_v, t_inv, t_cross = _turan(
        jnp.stack([v, u_inv, v - 1.0]),
        jnp.stack([1.0 / (r_neg + 2.0 * v / w), r_inv, r_neg]),
        jnp.stack([1.0 / (w * r_neg + 2.0 * v), r_inv_over_w, r_neg / w]),
        jnp.stack([w, w, w]),
    )
    gap_down = d + d_down
    gap_up = (2.0 - w * r_neg * gap_down) / (w * r_neg + 2.0 * v)
    regular_out = (d2, -e_inv * gap_down, e_y * gap_up, e_inv * e_inv * t_inv, -t_cross, e_y * e_y * t_v)
    gamma = fr["gamma"]
    v_g = jnp.where(gamma, fr["v"], 3.0)
    beta = 0.5 * jnp.where(gamma, fr["a"], 1.0)
    above1 = v_g > 1.0
    above2 = v_g > 2.0
    v1 = jnp.where(above1, v_g - 1.0, 1.0)
    v2 = jnp.where(above2, v_g - 2.0, 1.0)
    gamma_out = (
        polygamma(1, v_g),
        jnp.where(above1, -beta / v1**2, -jnp.inf),
        1.0 / beta,
        jnp.where(above2, beta * beta / (v1**2 * v2), jnp.inf),
        jnp.where(above1, -1.0 / v1, -jnp.inf),
        v_g / (beta * beta),
    )
    h11, h12, h13, h22, h23, h33 = _select(fr, regular_out, gamma_out)
    return (
        h11,
        jnp.where(flip, -h13, h12),
        jnp.where(flip, -h12, h13),
        jnp.where(flip, h33, h22),
        h23,
        jnp.where(flip, h22, h33),
    )


def first_order(p, a, b):
    """(ψ, scale of ψ's terms, E log Y, E 1/Y, E Y) of GIG(p, a, b), NaN outside the domain (one Bessel call)."""
    fr = _frame(p, a, b)
    log_k, r_neg, d_neg = log_kv_ratio_dv(-fr["v_r"], fr["w"])
    return _first(fr, log_k, r_neg, d_neg)


def first_and_second(p, a, b):
    """``first_order(p, a, b) + (h11, h12, h13, h22, h23, h33)``: both orders from two Bessel calls.

    The orders -v and 1 - v share one stacked call of ``log_kv_ratio_dv`` and ∂²/∂v²
    comes from ``log_kv_derivatives`` at v, so that a traced program holds only two
    copies of the Bessel quadrature.
    """
    fr = _frame(p, a, b)
    v, w = fr["v_r"], fr["w"]
    log_k, ratio, dv = log_kv_ratio_dv(jnp.stack([-v, 1.0 - v]), jnp.stack([w, w]))
    d2 = log_kv_derivatives(v, w)[3]
    first = _first(fr, log_k[0], ratio[0], dv[0])
    second = _second(fr, first[3], first[4], ratio[0], -dv[0], d2, ratio[1], dv[1])
    return first + second
