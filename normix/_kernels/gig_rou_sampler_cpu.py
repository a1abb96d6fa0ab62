"""The two ratio-of-uniforms methods of the GIG sampler (numba).

Both sample the standardized density ``g(x) = x**(lam-1) exp(-omega/2 (x + 1/x))`` with
the ratio-of-uniforms method (Kinderman & Monahan 1977): for (u, v) uniform on
``{0 < v <= sqrt(f(u/v))}``, u/v has density proportional to f; that region is put in a
rectangle and points outside it are rejected.

* :func:`rou_shift_setup` / :func:`rou_shift_block`: with the mode shifted to the
  origin (Dagpunar 1989), in ``z = omega*x`` with density
  ``z**(lam-1) exp(-z/2 - omega**2/(2z))``, which stays finite as omega -> 0, and with
  the squeeze of Leydold (2000);
* :func:`rou_setup` / :func:`rou_block`: without shift (as in Hormann & Leydold 2014),
  for lam < 1 and moderate omega.

:mod:`.gig_sampler_cpu` chooses between them and the hat method of Hormann & Leydold (2014).
Candidates are generated and tested ``_CHUNK`` at a time without data-dependent branches
(:func:`_keep_accepted`), which keeps the outcome of the one-at-a-time loop.

References
----------
A. J. Kinderman and J. F. Monahan (1977), "Computer generation of random variables using
the ratio of uniform deviates", ACM Transactions on Mathematical Software 3:257-260.
J. S. Dagpunar (1989), "An easily implemented generalised inverse Gaussian generator",
Communications in Statistics - Simulation and Computation 18:703-710.
J. Leydold (2000), "Automatic sampling with the ratio-of-uniforms method", ACM
Transactions on Mathematical Software 26:78-98.
W. Hormann and J. Leydold (2014), "Generating generalized inverse Gaussian random
variates", Statistics and Computing 24:547-557.
"""
import math

import numpy as np

from normix._kernels._constants import GIG_ROOT_MAX_STEPS, GIG_ROOT_RTOL
from normix._kernels._numba import scalar_core
from normix._kernels.stream_sampler_cpu import uniform

_CHUNK = 256
"""Candidates per round (see :func:`_keep_accepted`)."""


@scalar_core
def _z_mode(lam, omega):
    """``(mu, s)``: mu = lam - 1 + s, s = hypot(lam - 1, omega), the mode of the z-density."""
    l1 = lam - 1.0
    s = math.hypot(l1, omega)
    if l1 >= 0.0:
        return l1 + s, s
    return omega * (omega / (s - l1)), s


@scalar_core
def _shift_log_ratio(tau, l1, mu):
    """``log h(tau)``, h(tau) = z-density at mu + tau over its value at the mode mu.

    Written as ``l1 log1p(tau/mu) - tau (tau + 2 l1) / (2 (mu + tau))`` (from
    ``mu**2 - 2 l1 mu - omega**2 = 0``), which has no cancellation for large omega.
    """
    power = l1 * math.log1p(tau / mu) if l1 != 0.0 else 0.0
    return power - 0.5 * tau * ((tau + 2.0 * l1) / (mu + tau))


@scalar_core
def _bound_equation(tau, sign, mu, s):
    """``(H, H')`` at tau of ``H(tau) = sign*tau - 2 (mu + tau) / sqrt(tau + 2 s)``.

    The extremes of ``u(tau) = tau sqrt(h(tau))`` solve ``tau**2 (tau + 2s) = 4 (mu + tau)**2``;
    on tau > -mu that is H = 0 with sign = +1 (the maximum, tau > 0) or -1 (the minimum,
    -mu < tau < 0).  H is convex in tau (``mu <= 2s``) and free of overflow.
    """
    root = math.sqrt(tau + 2.0 * s)
    t = 2.0 * (mu + tau) / root
    return sign * tau - t, sign - (2.0 - (mu + tau) / (tau + 2.0 * s)) / root


@scalar_core
def _bound_root(y, sign, lo, hi, mu, s):
    """The root of :func:`_bound_equation` in (lo, hi): H > 0 left of it for sign = -1, H < 0 for +1.

    Newton's method from y; a step that leaves the shrinking bracket is replaced by
    bisection, so it converges from any start; it stops at a relative step of
    ``GIG_ROOT_RTOL``.
    """
    if not lo < y < hi:
        y = 0.5 * (lo + hi)
    for _ in range(GIG_ROOT_MAX_STEPS):
        f, df = _bound_equation(y, sign, mu, s)
        if f == 0.0:
            break
        if (f > 0.0) == (sign < 0.0):
            lo = y
        else:
            hi = y
        y_new = y - f / df
        if not lo < y_new < hi:
            y_new = 0.5 * (lo + hi)
        if abs(y_new - y) <= GIG_ROOT_RTOL * abs(y_new):
            return y_new
        y = y_new
    return y


@scalar_core
def rou_shift_setup(lam, omega):
    """Constants of the mode-shifted ratio-of-uniforms in tau = z - mu.

    Returns ``(l1, mu, u_lo, u_width, tau_lo, tau_hi, k_lo, k_hi)``.  The rectangle is
    ``[u_lo, u_lo + u_width] x (0, 1]``: v <= sqrt(h) <= 1, and ``u = tau sqrt(h(tau))``
    is extremal at the roots tau_lo in (-mu, 0) and tau_hi in (0, max(mu, 16)] of the
    cubic ``tau**2 (tau + 2s) = 4 (mu + tau)**2`` (Dagpunar 1989).  They are found by
    :func:`_bound_root` rather than Cardano's formula, whose small roots lose all accuracy
    when the three roots are far apart (omega >> 1); the upper one starts from its
    large-omega limit ``2 mu / sqrt(2s)``, the lower one from 0.

    In this regime (lam >= 1 or omega >= 1) the density is T_(-1/2)-concave (for lam >= 1
    it is log-concave; for lam < 1 the condition ``l'**2 >= 2 l''`` on its log l holds
    when omega >= 1), so the region ``{(u, v): v <= sqrt(h(u/v))}`` is convex and holds
    the quadrilateral with corners (0, 0), (u_lo, v_lo), (0, 1), (u_hi, v_hi), v = u/tau
    (Leydold 2000).  ``k_lo``, ``k_hi`` are the slopes ``(1 - v)/u`` of its upper edges: a
    point below them is accepted without evaluating h.
    """
    mu, s = _z_mode(lam, omega)
    l1 = lam - 1.0
    hi = max(mu, 16.0)
    tau_hi = _bound_root(min(hi, 2.0 * mu / math.sqrt(2.0 * s)), 1.0, 0.0, hi, mu, s)
    tau_lo = _bound_root(0.0, -1.0, -mu, 0.0, mu, s)
    v_hi = math.exp(0.5 * _shift_log_ratio(tau_hi, l1, mu))
    v_lo = math.exp(0.5 * _shift_log_ratio(tau_lo, l1, mu))
    u_hi, u_lo = tau_hi * v_hi, tau_lo * v_lo
    k_lo = (1.0 - v_lo) / u_lo if u_lo < 0.0 else 0.0
    return l1, mu, u_lo, u_hi - u_lo, tau_lo, tau_hi, k_lo, (1.0 - v_hi) / u_hi


@scalar_core
def _keep_accepted(values, accepted, offset, seg, j):
    """Append ``offset + values[i]`` for the accepted candidates i, in order, to seg[j:].

    Candidates are generated and tested ``_CHUNK`` at a time, with the tests written
    without data-dependent branches, and the accepted ones kept in candidate order: the
    first m accepted candidates are exactly the m draws of the one-at-a-time rejection
    loop, whatever the chunk size.  Returns the new fill level j.
    """
    m = seg.shape[0]
    for i in range(values.shape[0]):
        if j < m:
            seg[j] = offset + values[i]
            j += accepted[i]
    return j


@scalar_core
def rou_shift_block(state, c, seg):
    """Fill seg with z = omega*x by the mode-shifted ratio-of-uniforms (see :func:`rou_shift_setup`).

    Each candidate is first tested against the squeeze; only those outside it evaluate h.
    """
    l1, mu, u_lo, u_width, tau_lo, tau_hi, k_lo, k_hi = c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]
    tau, v = np.empty(_CHUNK), np.empty(_CHUNK)
    accepted, pending = np.empty(_CHUNK, np.bool_), np.empty(_CHUNK, np.int64)
    j = 0
    while j < seg.shape[0]:
        n_pending = 0
        for i in range(_CHUNK):
            u = u_lo + u_width * uniform(state)
            v[i] = uniform(state)
            tau[i] = u / v[i]
            slope = k_hi if u >= 0.0 else k_lo
            accepted[i] = (tau_lo <= tau[i]) & (tau[i] <= tau_hi) & (v[i] <= 1.0 - u * slope)
            pending[n_pending] = i
            n_pending += not accepted[i]
        for q in range(n_pending):
            i = pending[q]
            inside = tau[i] > -mu
            log_h = _shift_log_ratio(tau[i] if inside else 0.0, l1, mu)
            accepted[i] = inside & (v[i] * v[i] <= math.exp(log_h))
        j = _keep_accepted(tau, accepted, mu, seg, j)


@scalar_core
def _rou_log_g(x, l1, omega):
    return l1 * math.log(x) - 0.5 * omega * (x + 1.0 / x)


@scalar_core
def rou_setup(lam, omega):
    """``(l1, omega, log g(m), u_max)`` of the ratio-of-uniforms without shift, lam < 1.

    The rectangle is ``(0, u_max] x (0, 1]`` for ``g/g(m)``: u_max = x+ sqrt(g(x+)/g(m))
    with x+ the mode of ``x**2 g(x)``.
    """
    l1 = lam - 1.0
    mu, _ = _z_mode(lam, omega)
    log_gm = _rou_log_g(mu / omega, l1, omega)
    x_plus = (lam + 1.0 + math.hypot(lam + 1.0, omega)) / omega
    return l1, omega, log_gm, x_plus * math.exp(0.5 * (_rou_log_g(x_plus, l1, omega) - log_gm))


@scalar_core
def rou_block(state, c, seg):
    """Fill seg with standardized x by the ratio-of-uniforms without shift (see :func:`rou_setup`)."""
    l1, omega, log_gm, u_max = c[0], c[1], c[2], c[3]
    x, accepted = np.empty(_CHUNK), np.empty(_CHUNK, np.bool_)
    j = 0
    while j < seg.shape[0]:
        for i in range(_CHUNK):
            v = uniform(state)
            x[i] = u_max * uniform(state) / v
            accepted[i] = v * v <= math.exp(_rou_log_g(x[i], l1, omega) - log_gm)
        j = _keep_accepted(x, accepted, 0.0, seg, j)
