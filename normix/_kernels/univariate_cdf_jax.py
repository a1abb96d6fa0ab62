"""Distribution function and quantiles of the univariate law of a mixture, pure JAX (twin: ``univariate_cdf_cpu.py``).

The same integral, peak search, window and trapezoid rule as the numba twin, whose
module docstring states the method, its accuracy and its edge values.  Branch-free:
every loop has a fixed trip count (``lax.fori_loop``), the quadrature always sums
``UNIVARIATE_CDF_MAX_NODES`` nodes spread over the window (in blocks of
``UNIVARIATE_CDF_JAX_BLOCK``), and every element runs on safe stand-in inputs where its
answer is an edge value (the "double where"), so no NaN reaches values or gradients.

Derivatives: the nodes are placed under ``stop_gradient`` (the trapezoid sum of the
differentiated integrand on fixed nodes is the derivative of the integral to the same
accuracy), so log F and log sf are differentiable in x and in every parameter.  The
quantiles run Newton in a ``lax.while_loop`` and are differentiated by the implicit
function theorem (``jax.custom_jvp``): with L the log-probability solved for,
dx = (d log q - ∂_θ L · dθ) / ∂_x L, ∂_x L = ±f(x)/P.
"""
import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import log_ndtr, ndtr

from normix._kernels._constants import (
    HALF_LOG_2PI,
    LOG_2,
    UNIVARIATE_CDF_END_SLACK,
    UNIVARIATE_CDF_END_STEPS,
    UNIVARIATE_CDF_JAX_BLOCK,
    UNIVARIATE_CDF_MAX_LOG_Y,
    UNIVARIATE_CDF_MAX_MOVE,
    UNIVARIATE_CDF_MAX_NODES,
    UNIVARIATE_CDF_NDTR_ASYMPTOTIC,
    UNIVARIATE_CDF_NDTR_TERMS,
    UNIVARIATE_CDF_PEAK_STEPS,
    UNIVARIATE_CDF_PEAK_TOL,
    UNIVARIATE_CDF_STEP_FLAT,
    UNIVARIATE_CDF_STEP_PEAK,
    UNIVARIATE_CDF_TAIL_EPS,
    UNIVARIATE_CDF_TAIL_Z,
    UNIVARIATE_CDF_WINDOW_DROP,
    UNIVARIATE_CDF_GL_FAR,
    UNIVARIATE_CDF_GL_NEAR,
    UNIVARIATE_CDF_LAPLACE_LEVEL,
    UNIVARIATE_CDF_SPLIT_RATIO,
    UNIVARIATE_CDF_SPLIT_W,
    UNIVARIATE_PPF_MAX_STEPS,
    UNIVARIATE_PPF_RTOL,
)
from normix._kernels.gig_core_jax import first_order

__all__ = ["univariate_logcdf", "univariate_logsf", "univariate_ppf", "univariate_isf"]

_REACH_MAX = 4.0 * UNIVARIATE_CDF_MAX_MOVE
_BLOCKS = UNIVARIATE_CDF_MAX_NODES // UNIVARIATE_CDF_JAX_BLOCK
_GL_NEAR_X, _GL_NEAR_W = np.polynomial.legendre.leggauss(UNIVARIATE_CDF_GL_NEAR)
_GL_FAR_X, _GL_FAR_W = np.polynomial.legendre.leggauss(UNIVARIATE_CDF_GL_FAR)
_LOG_2PI = float(np.log(2.0 * np.pi))


def _ell_y(t, p, a, b):
    """(ℓ_Y, ℓ_Y', ℓ_Y'') of the subordinator alone; a zero a or b adds nothing."""
    ay = jnp.where(a > 0.0, 0.5 * a * jnp.exp(jnp.where(a > 0.0, t, 0.0)), 0.0)
    by = jnp.where(b > 0.0, 0.5 * b * jnp.exp(jnp.where(b > 0.0, -t, 0.0)), 0.0)
    return p * t - ay - by, p - ay + by, -ay - by


def _subordinator_cut(p, a, b, direction):
    """t beyond which (side ``direction``) exp(ℓ_Y) is e^(pt) to UNIVARIATE_CDF_TAIL_EPS; ±inf where that side is not single-exponential."""
    lower = (direction < 0.0) & (b == 0.0)
    upper = (direction > 0.0) & (a == 0.0)
    level = jnp.where(lower, a, jnp.where(upper, b, 1.0))
    cut = jnp.log(2.0 * UNIVARIATE_CDF_TAIL_EPS / level)
    return jnp.where(lower, cut, jnp.where(upper, -cut, direction * jnp.inf))


def _tail_cut(xs, gs, p, a, b, sigma, direction):
    """Where the side ``direction`` of exp(ℓ) becomes c e^(pt) to UNIVARIATE_CDF_TAIL_EPS (numba twin's ``_tail_cut``); ±inf (its own side) if it decays faster."""
    lower = direction < 0.0
    near = jnp.where(lower, xs, -gs)
    far = jnp.where(lower, gs, -xs)
    fast = jnp.where(lower, (b != 0.0) | (sigma * xs < 0.0), (a != 0.0) | (sigma * gs > 0.0))
    w = direction * _subordinator_cut(p, a, b, direction)
    safe_far = jnp.where(far != 0.0, jnp.abs(far), 1.0)
    safe_near = jnp.where(near != 0.0, jnp.abs(near), 1.0)
    half = jnp.where(far != 0.0, jnp.maximum(w, -2.0 * jnp.log(UNIVARIATE_CDF_TAIL_EPS * jnp.sqrt(2.0 * jnp.pi) / safe_far)), w)
    one = jnp.maximum(w, jnp.maximum(-2.0 * jnp.log(safe_near / UNIVARIATE_CDF_TAIL_Z),
                                     2.0 * jnp.log(jnp.maximum(jnp.abs(far), 1e-300))))
    w = jnp.where(near == 0.0, half, one)
    return jnp.where(fast, direction * jnp.inf, direction * w)


def _geometric_tail(t, xs, gs, p, a, b, sigma, top, h):
    """Σ_{k>=1} exp(ℓ(t ± k h) - top) beyond a cut where exp(ℓ) = c e^(pt): e^(ℓ(t) - top) r/(1 - r), r = e^(-|p| h)."""
    rate = jnp.abs(p) * h
    return jnp.exp(_ell(t, xs, gs, p, a, b, sigma)[0] - top - rate) / -jnp.expm1(-rate)


def _split(xs, gs, p, a, b, sigma, fixed):
    """(applies, log ∫) by the split at the step t0 (numba twin's docstring, "Sharp steps"); nodes from ``fixed``."""
    fxs, fgs, fp, fa, fb = fixed
    same = ((fxs > 0.0) & (fgs > 0.0)) | ((fxs < 0.0) & (fgs < 0.0))
    lx = jnp.log(jnp.where(same, jnp.abs(fxs), 1.0))
    lg = jnp.log(jnp.where(same, jnp.abs(fgs), 1.0))
    k_fixed = jnp.exp(0.5 * (lx + lg))
    t0 = lx - lg
    direction = jnp.where(fgs > 0.0, -sigma, sigma)
    top, slope, curvature = _ell_y(t0, fp, fa, fb)
    applies = same & (k_fixed >= UNIVARIATE_CDF_SPLIT_RATIO * (jnp.abs(slope) + 1.0)) & jnp.isfinite(top)
    drop = UNIVARIATE_CDF_WINDOW_DROP
    along = direction * slope
    tau = jnp.where(along < -1e-3, drop / -jnp.where(along < -1e-3, along, -1.0),
                    jnp.sqrt(2.0 * drop / jnp.maximum(-curvature, 1e-3)))

    def newton(_, state):
        tau, lo, hi, done = state
        value, d1, _ = _ell_y(t0 + direction * tau, fp, fa, fb)
        gap = value - top + drop
        lo = jnp.where(done | (gap <= 0.0), lo, tau)
        hi = jnp.where(~done & (gap <= 0.0), tau, hi)
        done = done | ((gap <= 0.0) & (gap > -UNIVARIATE_CDF_END_SLACK))
        d1 = direction * d1
        ok = (d1 < 0.0) & jnp.isfinite(gap)
        new = jnp.where(ok, tau - gap / jnp.where(ok, d1, -1.0), jnp.nan)
        open_hi = hi == jnp.inf
        mid = 0.5 * (lo + jnp.where(open_hi, 0.0, hi))
        span = jnp.where(open_hi, 0.0, hi - lo)
        new = jnp.where(open_hi, jnp.where(new > lo, new, 2.0 * tau),
                        jnp.where((lo + 0.125 * span < new) & (new < hi - 0.125 * span), new, mid))
        return jnp.where(done, tau, new), lo, hi, done

    start = (tau, jnp.zeros_like(tau), jnp.full_like(tau, jnp.inf), jnp.zeros(tau.shape, bool))
    tau, _, hi, _ = jax.lax.fori_loop(0, 4 * UNIVARIATE_CDF_END_STEPS, newton, start)
    tau_end = jnp.where(applies, jnp.where(hi < jnp.inf, hi, tau), 1.0)
    tau_cut = direction * (_subordinator_cut(fp, fa, fb, direction) - t0)
    cut = applies & (tau_cut < tau_end)
    tau_end = jnp.where(cut, jnp.maximum(tau_cut, 0.0), tau_end)
    half = 0.5 * tau_end
    # live quantities: ℓ_Y with the live (p, a, b) at nodes placed from the fixed ones; the step's
    # argument 2K sinh((±τ + direction (t0_fixed - t0))/2) with the live K and t0
    live = same & applies
    lxl = jnp.log(jnp.where(live, jnp.abs(xs), 1.0))
    lgl = jnp.log(jnp.where(live, jnp.abs(gs), 1.0))
    k = jnp.exp(0.5 * (lxl + lgl))
    shift = direction * (t0 - (lxl - lgl))
    t_far = t0[..., None] + (direction * half)[..., None] * (1.0 + _GL_FAR_X)
    far = half * jnp.sum(_GL_FAR_W * jnp.exp(_ell_y(t_far, p[..., None], a[..., None], b[..., None])[0] - top[..., None]), axis=-1)
    exponential = jnp.exp(_ell_y(t0 + direction * tau_end, p, a, b)[0] - top) / jnp.where(cut, jnp.abs(p), 1.0)
    far = far + jnp.where(cut, exponential, 0.0)
    half_w = 0.5 * UNIVARIATE_CDF_SPLIT_W
    w = half_w * (1.0 + _GL_NEAR_X)
    c = 0.5 * w / k_fixed[..., None]
    tau_n = 2.0 * jnp.arcsinh(c)
    jac = 1.0 / (k_fixed[..., None] * jnp.sqrt(1.0 + c * c))
    ex = (p[..., None], a[..., None], b[..., None])
    dead = jnp.exp(_ell_y(t0[..., None] - direction[..., None] * tau_n, *ex)[0] - top[..., None])
    alive = jnp.exp(_ell_y(t0[..., None] + direction[..., None] * tau_n, *ex)[0] - top[..., None])
    w_dead = 2.0 * k[..., None] * jnp.sinh(0.5 * (-tau_n + shift[..., None]))
    w_alive = 2.0 * k[..., None] * jnp.sinh(0.5 * (tau_n + shift[..., None]))
    near = half_w * jnp.sum(_GL_NEAR_W * jac * (dead * ndtr(w_dead) - alive * ndtr(-w_alive)), axis=-1)
    total = jnp.where(applies, far + near, 1.0)
    return applies, jnp.where(applies, top + jnp.log(total), 0.0)


def _log1mexp(v):
    """log(1 - e^v) for v <= 0 (Mächler 2012), safe at v = 0 (-inf) for values and gradients."""
    near = v > -LOG_2
    v_near = jnp.where(near, v, -1.0)
    v_far = jnp.where(near, -1.0, v)
    return jnp.where(near, jnp.log(-jnp.expm1(v_near)), jnp.log1p(-jnp.exp(v_far)))


def _log_mode(p, a, b):
    """log of the mode of e^(pt - (a e^t + b e^-t)/2) in y = e^t."""
    root = jnp.sqrt(p * p + a * b)
    pos = p > 0.0
    y = jnp.where(pos, (p + root) / jnp.where(pos, a, 1.0), b / jnp.where(pos, 1.0, root - p))
    return jnp.clip(jnp.log(y), -UNIVARIATE_CDF_MAX_LOG_Y, UNIVARIATE_CDF_MAX_LOG_Y)


def _ndtr_series(u):
    """(S, T), S = 1 - T/u² the asymptotic series of Φ(u) (-u)/φ(u) for u << 0 (as the numba twin)."""
    r = 1.0 / (u * u)
    inner = jnp.ones_like(u)
    for k in range(UNIVARIATE_CDF_NDTR_TERMS - 1, 1, -1):
        inner = 1.0 - (2.0 * k - 1.0) * r * inner
    return 1.0 - r * inner, inner


def _log_ndtr(u):
    """(log Φ(u), u_far, S, T): the numba twin's series below UNIVARIATE_CDF_NDTR_ASYMPTOTIC (jax's own keeps 3 terms)."""
    far = u < UNIVARIATE_CDF_NDTR_ASYMPTOTIC
    u_far = jnp.where(far, u, UNIVARIATE_CDF_NDTR_ASYMPTOTIC)
    series, inner = _ndtr_series(u_far)
    tail = -0.5 * u_far * u_far - jnp.log(-u_far) - HALF_LOG_2PI + jnp.log(series)
    return jnp.where(far, tail, log_ndtr(jnp.where(far, 0.0, u))), far, u_far, series, inner


def _ell(t, xs, gs, p, a, b, sigma):
    """(ℓ(t), ℓ'(t), ℓ''(t)) of the log-integrand (ψ left out)."""
    r = jnp.exp(0.5 * t)
    ri = 1.0 / r
    u = sigma * (xs * ri - gs * r)
    du = -0.5 * sigma * (xs * ri + gs * r)
    ay = 0.5 * a * r * r
    by = 0.5 * b * ri * ri
    log_phi, far, u_far, series, inner = _log_ndtr(u)
    mills = jnp.where(far, -u_far / series, jnp.exp(-0.5 * u * u - HALF_LOG_2PI - jnp.where(far, 0.0, log_phi)))
    u_plus_mills = jnp.where(far, -inner / (u_far * series), u + mills)
    value = p * t - ay - by + log_phi
    slope = p - ay + by + mills * du
    curvature = -ay - by - mills * u_plus_mills * du * du + 0.25 * mills * u
    return value, slope, curvature


def _peak(xs, gs, p, a, b, sigma):
    t_prior = _log_mode(p, a, b)
    t_post = _log_mode(p, a + gs * gs, b + xs * xs)
    better = _ell(t_post, xs, gs, p, a, b, sigma)[0] > _ell(t_prior, xs, gs, p, a, b, sigma)[0]
    t = jnp.where(better, t_post, t_prior)

    def newton(_, state):
        t, lo, hi, done = state
        _, slope, curvature = _ell(t, xs, gs, p, a, b, sigma)
        lo = jnp.where(slope > 0.0, t, lo)
        hi = jnp.where(slope > 0.0, hi, t)
        concave = curvature < 0.0
        step = jnp.where(concave, -slope / jnp.where(concave, curvature, -1.0),
                         jnp.copysign(UNIVARIATE_CDF_MAX_MOVE, slope))
        step = jnp.clip(step, -UNIVARIATE_CDF_MAX_MOVE, UNIVARIATE_CDF_MAX_MOVE)
        done = done | (jnp.abs(step) < UNIVARIATE_CDF_PEAK_TOL)
        new = jnp.where((lo < t + step) & (t + step < hi), t + step, 0.5 * (lo + hi))
        return jnp.where(done, t, new), lo, hi, done

    limit = jnp.full_like(t, UNIVARIATE_CDF_MAX_LOG_Y)
    start = (t, -limit, limit, jnp.zeros(t.shape, bool))
    t = jax.lax.fori_loop(0, UNIVARIATE_CDF_PEAK_STEPS, newton, start)[0]
    value, _, curvature = _ell(t, xs, gs, p, a, b, sigma)
    return t, value, curvature


def _end(t_peak, level, reach, direction, xs, gs, p, a, b, sigma):
    """An end of the window where ℓ <= level: the numba twin's bracketed Newton and bisection (its ``_end``)."""
    limit = direction * UNIVARIATE_CDF_MAX_LOG_Y

    def newton(_, state):
        t, inner, safe, done = state
        inside = direction * (t - limit) < 0.0
        value, slope, _ = _ell(jnp.where(inside, t, t_peak), xs, gs, p, a, b, sigma)
        gap = value - level
        below = inside & (gap <= 0.0) & ~done
        safe = jnp.where(below & (direction * (t - safe) < 0.0), t, safe)
        above = inside & (gap > 0.0) & ~done
        inner = jnp.where(above & (direction * (t - inner) > 0.0), t, inner)
        done = done | ~inside | (below & (gap > -UNIVARIATE_CDF_END_SLACK))
        descending = direction * slope < 0.0
        step = t - gap / jnp.where(descending, slope, 1.0)
        # below the level: Newton inwards while it shrinks the bracket by an eighth, else bisection
        width = direction * (safe - inner)
        shrinks = descending & (0.125 * width <= direction * (step - inner)) & (direction * (step - inner) <= 0.875 * width)
        from_below = jnp.where(shrinks, step, 0.5 * (inner + safe))
        # above it: Newton (or a step of reach) outwards, halving back towards a known safe point
        outwards = jnp.where(descending, step, t + direction * reach)
        outwards = jnp.where(direction * (outwards - t_peak) <= 0.0, 0.5 * (t + t_peak), outwards)
        outwards = jnp.where((safe != limit) & (direction * (outwards - safe) >= 0.0), 0.5 * (inner + safe), outwards)
        new = jnp.where(gap <= 0.0, from_below, outwards)
        return jnp.where(done, t, new), inner, safe, done

    start = (t_peak + direction * reach, t_peak, jnp.full_like(t_peak, limit), jnp.zeros(t_peak.shape, bool))
    return jax.lax.fori_loop(0, UNIVARIATE_CDF_END_STEPS, newton, start)[2]


def _log_integral(xs, gs, p, a, b, sigma):
    """log ∫ exp(ℓ(t)) dt: nodes placed on stopped gradients, the integrand differentiated on them."""
    fixed = [jax.lax.stop_gradient(v) for v in (xs, gs, p, a, b)]
    t_peak, top, curvature = _peak(*fixed, sigma)
    kappa = jnp.maximum(-curvature, 0.0)
    sharp = kappa * _REACH_MAX * _REACH_MAX > 2.0 * UNIVARIATE_CDF_WINDOW_DROP
    reach = jnp.where(sharp, jnp.sqrt(2.0 * UNIVARIATE_CDF_WINDOW_DROP / jnp.where(sharp, kappa, 1.0)), _REACH_MAX)
    level = top - UNIVARIATE_CDF_WINDOW_DROP
    t_lo = _end(t_peak, level, reach, -1.0, *fixed, sigma)
    t_hi = _end(t_peak, level, reach, 1.0, *fixed, sigma)
    cut_lo = _tail_cut(*fixed, sigma, -1.0)
    cut_hi = _tail_cut(*fixed, sigma, 1.0)
    tail_lo = cut_lo > t_lo
    tail_hi = cut_hi < t_hi
    t_lo = jnp.where(tail_lo, jnp.minimum(cut_lo, t_peak), t_lo)
    t_hi = jnp.where(tail_hi, jnp.maximum(cut_hi, t_peak), t_hi)
    h = (t_hi - t_lo) / (UNIVARIATE_CDF_MAX_NODES - 1)
    offsets = jnp.arange(UNIVARIATE_CDF_JAX_BLOCK, dtype=jnp.float64)

    def block(j, total):
        t = t_lo[..., None] + (j * UNIVARIATE_CDF_JAX_BLOCK + offsets) * h[..., None]
        r = jnp.exp(0.5 * t)
        ri = 1.0 / r
        u = sigma[..., None] * (xs[..., None] * ri - gs[..., None] * r)
        log_y = p[..., None] * t - 0.5 * (a[..., None] * r * r + b[..., None] * ri * ri)
        return total + jnp.sum(jnp.exp(log_y + _log_ndtr(u)[0] - top[..., None]), axis=-1)

    total = jax.lax.fori_loop(0, _BLOCKS, block, jnp.zeros_like(top))
    total = total + jnp.where(tail_lo, _geometric_tail(jnp.where(tail_lo, t_lo, t_peak), xs, gs, p, a, b, sigma, top, h), 0.0)
    total = total + jnp.where(tail_hi, _geometric_tail(jnp.where(tail_hi, t_hi, t_peak), xs, gs, p, a, b, sigma, top, h), 0.0)
    plain = top + jnp.log(h * total)
    huge = jnp.abs(top) > UNIVARIATE_CDF_LAPLACE_LEVEL
    laplace = top + 0.5 * (_LOG_2PI - jnp.log(jnp.maximum(kappa, 1e-300)))
    split, value = _split(xs, gs, p, a, b, sigma, fixed)
    return jnp.where(split, value, jnp.where(huge, laplace, plain))


def _valid(m, g, s, p, a, b):
    finite = jnp.isfinite(m) & jnp.isfinite(g) & jnp.isfinite(p) & (s > 0.0) & (s < jnp.inf)
    bounded = (a >= 0.0) & (a < jnp.inf) & (b >= 0.0) & (b < jnp.inf)
    kinds = ((a > 0.0) & (b > 0.0)) | ((b == 0.0) & (a > 0.0) & (p > 0.0)) | ((a == 0.0) & (b > 0.0) & (p < 0.0))
    return finite & bounded & kinds


_SAFE = (0.0, 0.0, 1.0, 1.0, 1.0, 1.0)


def _safe_law(valid, law):
    return tuple(jnp.where(valid, v, safe) for v, safe in zip(law, _SAFE))


def _log_side(x, sigma, m, g, s, p, a, b):
    """log P(R <= x) (sigma = 1) or log P(R > x) (sigma = -1), integrated directly; x finite, law valid."""
    return _log_integral((x - m) / s, g / s, p, a, b, sigma) - first_order(p, a, b)[0]


def _centre(m, g, p, a, b):
    y_c = jnp.exp(_log_mode(p, a, b))
    return m + g * y_c, y_c


def _log_tail(x, upper, m, g, s, p, a, b):
    x, m, g, s, p, a, b = jnp.broadcast_arrays(*(jnp.asarray(v, dtype=jnp.float64) for v in (x, m, g, s, p, a, b)))
    valid = _valid(m, g, s, p, a, b)
    regular = valid & jnp.isfinite(x)
    law = _safe_law(regular, (m, g, s, p, a, b))
    xr = jnp.where(regular, x, 0.0)
    direct_upper = xr > _centre(law[0], law[1], law[3], law[4], law[5])[0]
    value = _log_side(xr, jnp.where(direct_upper, -1.0, 1.0), *law)
    value = jnp.where(direct_upper == upper, value, _log1mexp(jnp.minimum(value, 0.0)))
    edge = jnp.where((x > 0.0) == upper, -jnp.inf, 0.0)
    return jnp.where(regular, value, jnp.where(valid & ~jnp.isnan(x), edge, jnp.nan))


@jax.jit
def univariate_logcdf(x, m, g, s, p, a, b):
    """log P(R <= x), elementwise over the broadcast; twin of :func:`normix._kernels.univariate_cdf_cpu.univariate_logcdf`."""
    return _log_tail(x, False, m, g, s, p, a, b)


@jax.jit
def univariate_logsf(x, m, g, s, p, a, b):
    """log P(R > x), integrated directly where it is the smaller side; twin of the numba ``univariate_logsf``."""
    return _log_tail(x, True, m, g, s, p, a, b)


def _log_density(x, m, g, s, p, a, b):
    xs = (x - m) / s
    gs = g / s
    beta = b + xs * xs
    improper = (beta == 0.0) & (p <= 0.5)
    psi_post = first_order(p - 0.5, a + gs * gs, jnp.where(improper, 1.0, beta))[0]
    value = -HALF_LOG_2PI - jnp.log(s) - first_order(p, a, b)[0] + psi_post + xs * gs
    return jnp.where(improper, jnp.inf, value)


@jax.custom_jvp
def _quantile(log_q, sigma, m, g, s, p, a, b):
    """x with log P_side(x) = log_q, side lower (sigma = 1) or upper (sigma = -1); Newton in a while loop."""
    upper = sigma < 0.0
    x_c, y_c = _centre(m, g, p, a, b)
    scale = s * jnp.sqrt(y_c) + jnp.abs(g) * y_c
    toward = -sigma
    x0 = x_c + toward * scale * jnp.sqrt(-2.0 * log_q)
    inf = jnp.full_like(x0, jnp.inf)

    def step(state):
        k, x, lo, hi, _ = state
        value = _log_side(x, sigma, m, g, s, p, a, b)
        residual = value - log_q
        to_lo = (residual < 0.0) != upper
        lo = jnp.where(to_lo, x, lo)
        hi = jnp.where(to_lo, hi, x)
        slope = -toward * jnp.exp(_log_density(x, m, g, s, p, a, b) - value)
        move = -residual / slope
        gap = x - x_c
        logged = (a == 0.0) & (gap * toward > 0.0) & ((gap + move) * toward > 0.0)
        new = jnp.where(logged, x_c + gap * jnp.exp(move / jnp.where(logged, gap, 1.0)), x + move)
        outside = ~((lo < new) & (new < hi))
        fallback = jnp.where(jnp.isfinite(lo) & jnp.isfinite(hi), 0.5 * (lo + hi),
                             jnp.where(jnp.isfinite(hi), hi - jnp.maximum(scale, 2.0 * jnp.abs(hi - x_c)),
                                       lo + jnp.maximum(scale, 2.0 * jnp.abs(lo - x_c))))
        exact = residual == 0.0
        new = jnp.where(exact, x, jnp.where(outside, fallback, new))
        done = (jnp.abs(new - x) <= UNIVARIATE_PPF_RTOL * jnp.abs(new)) | exact
        return k + 1, new, lo, hi, done

    def running(state):
        return (state[0] < UNIVARIATE_PPF_MAX_STEPS) & ~jnp.all(state[4])

    def masked_step(state):
        new_state = step(state)
        keep = state[4]
        return (new_state[0],) + tuple(jnp.where(keep, old, new) for old, new in zip(state[1:4], new_state[1:4])) + (
            keep | new_state[4],)

    state = (0, x0, -inf, inf, jnp.zeros(x0.shape, bool))
    return jax.lax.while_loop(running, masked_step, state)[1]


@_quantile.defjvp
def _quantile_jvp(primals, tangents):
    log_q, sigma, m, g, s, p, a, b = primals
    x = _quantile(*primals)
    value, d_theta = jax.jvp(lambda *law: _log_side(x, sigma, *law), (m, g, s, p, a, b), tangents[2:])
    slope = sigma * jnp.exp(_log_density(x, m, g, s, p, a, b) - value)
    return x, (tangents[0] - d_theta) / slope


def _quantile_of(q, survival, m, g, s, p, a, b):
    q, m, g, s, p, a, b = jnp.broadcast_arrays(*(jnp.asarray(v, dtype=jnp.float64) for v in (q, m, g, s, p, a, b)))
    valid = _valid(m, g, s, p, a, b) & (q >= 0.0) & (q <= 1.0)
    regular = valid & (q > 0.0) & (q < 1.0)
    law = _safe_law(regular, (m, g, s, p, a, b))
    qr = jnp.where(regular, q, 0.25)
    small = qr < 0.5
    log_q = jnp.where(small, jnp.log(jnp.where(small, qr, 0.25)), jnp.log1p(-jnp.where(small, 0.25, qr)))
    upper = small == survival
    x = _quantile(log_q, jnp.where(upper, -1.0, 1.0), *law)
    edge = jnp.where((q == 1.0) != survival, jnp.inf, -jnp.inf)
    return jnp.where(regular, x, jnp.where(valid, edge, jnp.nan))


@jax.jit
def univariate_ppf(q, m, g, s, p, a, b):
    """The quantile x with P(R <= x) = q; twin of :func:`normix._kernels.univariate_cdf_cpu.univariate_ppf`."""
    return _quantile_of(q, False, m, g, s, p, a, b)


@jax.jit
def univariate_isf(q, m, g, s, p, a, b):
    """The x with P(R > x) = q; twin of :func:`normix._kernels.univariate_cdf_cpu.univariate_isf`."""
    return _quantile_of(q, True, m, g, s, p, a, b)
