"""Newton solver of the GIG inverse map η → θ for one problem, pure JAX (twin: ``gig_solve_cpu.py``).

The same algorithm as the numba twin (whose module docstring describes the
rescaling, the seeds, the damped Newton iteration, the convergence test and the
accuracy), taking the same decisions in the same order, written as one
``lax.while_loop`` in which every pass evaluates one trial point: the start, a full
Newton step or one of its halvings.  Each pass evaluates the objective, gradient and
Hessian together (:func:`normix._kernels.gig_core_jax.first_and_second`), so the
traced program holds the Bessel quadrature only three times (the seeds, and the two
calls of one evaluation).  Batched with ``jax.vmap``: the loop then runs until every
problem has stopped, each keeping the state at which it stopped.
"""
import jax
import jax.numpy as jnp

from normix._kernels._constants import (
    BREGMAN_ARMIJO,
    BREGMAN_BOUNDARY_FRACTION,
    BREGMAN_ROUNDOFF,
    GIG_NEWTON_MAX_HALVINGS,
    GIG_NEWTON_MIN_PIVOT,
    GIG_NEWTON_RIDGE,
    GIG_POLISH_STEPS,
    GIG_SEED_FREE_SCALE,
)
from normix._kernels.digamma_jax import digamma_inv
from normix._kernels.gig_core_jax import first_and_second, first_order


def _objective(psi, psi_scale, p, at, bt, l, m):
    """(f, noise): the dual objective and the bound on its rounding, as in the numba twin."""
    linear = (p - 1.0) * l
    quadratic = 0.5 * (bt + at) * m
    return psi - linear + quadratic, BREGMAN_ROUNDOFF * (1.0 + psi_scale + jnp.abs(linear) + quadratic)


def _residual(g, m):
    return jnp.maximum(jnp.abs(g[0]), jnp.maximum(jnp.abs(g[1]) / m, jnp.abs(g[2]) / m))


def _cholesky_solve(h, g, ridge):
    h11, h12, h13, h22, h23, h33 = h
    s1, s2, s3 = 1.0 / jnp.sqrt(h11), 1.0 / jnp.sqrt(h22), 1.0 / jnp.sqrt(h33)
    diag = 1.0 + ridge
    l11 = jnp.sqrt(diag)
    l21 = h12 * s1 * s2 / l11
    l31 = h13 * s1 * s3 / l11
    pivot2 = diag - l21 * l21
    ok2 = pivot2 > GIG_NEWTON_MIN_PIVOT
    l22 = jnp.sqrt(jnp.where(ok2, pivot2, 1.0))
    l32 = (h23 * s2 * s3 - l31 * l21) / l22
    pivot3 = diag - l31 * l31 - l32 * l32
    ok = ok2 & (pivot3 > GIG_NEWTON_MIN_PIVOT)
    l33 = jnp.sqrt(jnp.where(ok, pivot3, 1.0))
    y1 = -g[0] * s1 / l11
    y2 = (-g[1] * s2 - l21 * y1) / l22
    y3 = (-g[2] * s3 - l31 * y1 - l32 * y2) / l33
    x3 = y3 / l33
    x2 = (y2 - l32 * x3) / l22
    x1 = (y1 - l21 * x2 - l31 * x3) / l11
    return (x1 * s1, x2 * s2, x3 * s3), ok


def _newton_direction(h, g):
    plain, ok_plain = _cholesky_solve(h, g, 0.0)
    ridged, ok_ridged = _cholesky_solve(h, g, GIG_NEWTON_RIDGE)
    gradient = (-g[0] / h[0], -g[1] / h[3], -g[2] / h[5])
    return tuple(jnp.where(ok_plain, x, jnp.where(ok_ridged, y, z)) for x, y, z in zip(plain, ridged, gradient))


def _seed(l, m, q):
    """The better of the InverseGaussian and the Gamma / InverseGamma seeds (p, ã, b̃), in one stacked call."""
    lam = m / q
    alpha = digamma_inv(jnp.abs(l) - jnp.log(m))
    scale = 2.0 * alpha / m
    beta = 0.5 * scale
    above2 = alpha > 2.0
    alpha1 = jnp.where(above2, alpha - 1.0, 1.0)
    excess = beta / alpha1 - m
    corrected = above2 & (excess > 0.0)
    free = jnp.where(corrected, 2.0 * excess * alpha1**2 * (alpha - 2.0) / (beta * beta), GIG_SEED_FREE_SCALE * lam)
    gamma_like = l >= 0.0
    p = jnp.stack([-0.5, jnp.where(gamma_like, alpha, -alpha)])
    at = jnp.stack([lam / (m * m), jnp.where(gamma_like, scale, free)])
    bt = jnp.stack([lam, jnp.where(gamma_like, free, scale)])
    psi, psi_scale = first_order(p, at, bt)[:2]
    f = _objective(psi, psi_scale, p, at, bt, l, m)[0]
    best = jnp.where(f[1] < f[0], 1, 0)
    return p[best], at[best], bt[best]


def _rescale(eta):
    """(valid, s, l, m, q) with s = sqrt(η₂/η₃), η̃ = (l, m, m), q = m² - 1; safe stand-ins where η is invalid."""
    e1, e2, e3 = eta[0], eta[1], eta[2]
    q = e2 * e3 - 1.0
    valid = jnp.isfinite(e1) & (e2 > 0.0) & (e2 < jnp.inf) & (e3 > 0.0) & (e3 < jnp.inf) & (q > 0.0)
    e2, e3, q = jnp.where(valid, e2, 2.0), jnp.where(valid, e3, 2.0), jnp.where(valid, q, 3.0)
    log_s = 0.5 * (jnp.log(e2) - jnp.log(e3))
    m = jnp.sqrt(e2) * jnp.sqrt(e3)
    l = jnp.where(valid, e1, 0.0) + log_s
    valid = valid & (jnp.abs(l) < jnp.log(m))
    return valid, jnp.exp(log_s), jnp.where(valid, l, 0.0), m, q


def solve_one(eta, theta0, maxiter, tol):
    """(params (3,), converged, n_iter) for one η = (E log Y, E 1/Y, E Y) and warm start (p, a, b) or NaN."""
    valid, s, l, m, q = _rescale(eta)
    p0, a0, b0 = theta0[0], theta0[1], theta0[2]
    warm = jnp.isfinite(p0) & (a0 > 0.0) & (a0 < jnp.inf) & (b0 > 0.0) & (b0 < jnp.inf)
    seed = _seed(l, m, q)
    start = (jnp.where(warm, p0, seed[0]), jnp.where(warm, a0 / s, seed[1]), jnp.where(warm, b0 * s, seed[2]))
    zero = jnp.zeros_like(m)
    nan6 = (jnp.full_like(m, jnp.nan),) * 6
    # point, f, noise, g, res, h (the Hessian behind the direction), direction, slope, step,
    # trials left, steps taken, polishing, polishing steps taken, first pass (the start is
    # evaluated and taken), done
    state = (start, zero, zero, (zero,) * 3, zero, nan6, (zero,) * 3, zero, zero,
             jnp.ones((), jnp.int64), jnp.zeros((), jnp.int64), jnp.array(False), jnp.zeros((), jnp.int64),
             jnp.array(True), ~valid)

    def body(state):
        point, f, noise, g, res, h, direction, slope, step, trials, it, polishing, polished, first, _ = state
        p, at, bt = point
        d1, d2, d3 = direction
        trial = (p + step * d1,
                 jnp.maximum(at - 2.0 * step * d3, (1.0 - BREGMAN_BOUNDARY_FRACTION) * at),
                 jnp.maximum(bt - 2.0 * step * d2, (1.0 - BREGMAN_BOUNDARY_FRACTION) * bt))
        out = first_and_second(*trial)
        f_t, noise_t = _objective(out[0], out[1], *trial, l, m)
        g_t = (out[2] - l, out[3] - m, out[4] - m)
        res_t = _residual(g_t, m)
        accepted = first | ((res_t < res) & (f_t <= f + noise)) | (
            ~polishing & (f_t <= f + BREGMAN_ARMIJO * step * slope))
        # Rejected: halve the step, stop when the trials are spent.
        rejected = (point, f, noise, g, res, h, direction, slope, 0.5 * step, trials - 1, it, polishing,
                    polished, first, trials <= 1)
        # Accepted: move, then take the decisions of the top of a Newton iteration.
        it_new = jnp.where(first | polishing, it, it + 1)
        polished_new = jnp.where(polishing & ~first, polished + 1, polished)
        stop = ~(it_new < maxiter) | ~jnp.isfinite(f_t) | ((res_t <= tol) & (polished_new >= GIG_POLISH_STEPS))
        polishing_new = polishing | (res_t <= tol)
        h_new = tuple(out[5:])
        h_dir = tuple(jnp.where(polishing_new & (it_new > 0), x, y) for x, y in zip(h, h_new))
        dir_new = _newton_direction(h_dir, g_t)
        slope_new = g_t[0] * dir_new[0] + g_t[1] * dir_new[1] + g_t[2] * dir_new[2]
        stop = stop | ~(slope_new < 0.0)
        trials_new = jnp.where(polishing_new, 1, GIG_NEWTON_MAX_HALVINGS)
        moved = (trial, f_t, noise_t, g_t, res_t, h_dir, dir_new, slope_new, jnp.ones_like(step),
                 trials_new.astype(jnp.int64), it_new, polishing_new, polished_new, jnp.array(False), stop)
        return jax.tree_util.tree_map(lambda x, y: jnp.where(accepted, x, y), moved, rejected)

    final = jax.lax.while_loop(lambda state: ~state[-1], body, state)
    (p, at, bt), res, it = final[0], final[4], final[10]
    params = jnp.where(valid, jnp.stack([p, at * s, bt / s]), jnp.nan)
    return params, valid & (res <= tol), jnp.where(valid, it, 0)
