"""Exact sampling from the generalized inverse Gaussian law (numba, CPU only: no JAX twin).

GIG(p, a, b) has density proportional to ``y**(p-1) * exp(-(a*y + b/y)/2)`` on y > 0.
With lam = |p|, omega = sqrt(a*b) and the symmetry ``1/GIG(p, a, b) = GIG(-p, b, a)``,
every case reduces to the standardized density ``g(x) = x**(lam-1) exp(-omega/2 (x + 1/x))``
with lam >= 0, and ``y = x * sqrt(b/a)``.  The generator of Hormann & Leydold (2014)
picks one of three exact rejection methods, each with a rejection constant bounded over
its whole regime (boundaries in :mod:`normix._kernels._constants`):

* ratio-of-uniforms with mode shift (Dagpunar 1989) for lam >= 1 or omega > 1;
* ratio-of-uniforms without shift for moderate omega and lam < 1 (both in
  :mod:`.gig_rou_sampler_cpu`);
* the rejection method of Hormann & Leydold for small omega and lam < 1: a hat that is
  constant on [0, x0], ``exp(-omega) x**(lam-1)`` on [x0, 2/omega] and
  ``xs**(lam-1) exp(-omega x/2)`` beyond xs = max(x0, 2/omega), x0 = omega/(1 - lam).

The first method runs in ``z = omega*x = a*y`` and the third in ``log x`` and
``log omega``, so that no intermediate overflows or underflows for any a, b > 0.  The
limits b = 0 (Gamma) and a = 0 (InverseGamma) use the generator of
:mod:`.gamma_sampler_cpu`.

Draw i belongs to block ``i // GIG_SAMPLE_BLOCK``, and block k has its own xoshiro256++
stream seeded by the k-th child of ``SeedSequence(seed)`` (:mod:`.stream_sampler_cpu`).
The blocks run in parallel, so the result depends only on (p, a, b, n, seed), never on
the thread count, and the first n draws of a larger sample are the sample of size n.

References
----------
W. Hormann and J. Leydold (2014), "Generating generalized inverse Gaussian random
variates", Statistics and Computing 24:547-557.
J. S. Dagpunar (1989), "An easily implemented generalised inverse Gaussian generator",
Communications in Statistics - Simulation and Computation 18:703-710.
"""
import math
import numbers
import operator

import numpy as np

from normix._kernels._constants import (
    GIG_MAX_OMEGA,
    GIG_ROU_MIN_OMEGA,
    GIG_ROU_MIN_OMEGA_SLOPE,
    GIG_SAMPLE_BLOCK,
    GIG_SAMPLE_SERIAL_MAX_BLOCKS,
    GIG_SHIFT_MIN_LAMBDA,
    GIG_SHIFT_MIN_OMEGA,
    LOG_2,
)
from normix._kernels._numba import array_kernel, prange, scalar_core, serial_kernel
from normix._kernels.gamma_sampler_cpu import standard_gamma_block
from normix._kernels.gig_rou_sampler_cpu import rou_block, rou_setup, rou_shift_block, rou_shift_setup
from normix._kernels.stream_sampler_cpu import standard_exponential, stream_states, uniform

__all__ = ["gig_sample"]


_GAMMA, _ROU_SHIFT, _ROU, _HAT = 0, 1, 2, 3


@scalar_core
def _log_expm1_over(lam, t):
    """``log(expm1(lam t) / lam)`` for t > 0, with the limit log t at lam = 0, without overflow."""
    if lam == 0.0:
        return math.log(t)
    return lam * t + math.log(-math.expm1(-lam * t)) - math.log(lam)


@scalar_core
def _hat_setup(lam, log_omega):
    """Constants of the three-piece hat of Hormann & Leydold, all in log x.

    Returns ``(lam, log omega, log x0, log xs, log g(m), w1, w2, w3, q)``: the hat
    pieces live on [0, x0], [x0, xs] and [xs, inf) with xs = max(x0, 2/omega), w_i are
    their areas divided by the largest, and ``q = -expm1(-lam log(xs/x0))`` inverts the
    middle piece.
    """
    omega = math.exp(log_omega)
    l1 = lam - 1.0
    lx0 = log_omega - math.log(-l1)
    lxs = max(lx0, LOG_2 - log_omega)
    lm = log_omega - math.log(math.hypot(l1, omega) - l1)
    log_gm = l1 * lm - 0.5 * (math.exp(log_omega + lm) + math.exp(log_omega - lm))
    log_a1 = log_gm + lx0
    width = lxs - lx0
    log_a2 = -math.inf
    if width > 0.0:
        log_a2 = -omega + lam * lx0 + _log_expm1_over(lam, width)
    log_a3 = l1 * lxs + LOG_2 - log_omega - 0.5 * math.exp(log_omega + lxs)
    top = max(log_a1, log_a2, log_a3)
    w1, w2, w3 = math.exp(log_a1 - top), math.exp(log_a2 - top), math.exp(log_a3 - top)
    return lam, log_omega, lx0, lxs, log_gm, w1, w2, w3, -math.expm1(-lam * width)


@scalar_core
def _draw_hat(state, lam, log_omega, lx0, lxs, log_gm, w1, w2, w3, q):
    """One standardized ``log x`` by the rejection method of Hormann & Leydold (lam < 1).

    ``log_ratio`` is log(g/hat) at the proposal; the middle piece is inverted through
    ``x**lam = xs**lam (1 - (1 - r) q)``, and the tail piece is xs + 2 E / omega, E ~ Exp(1).
    """
    omega = math.exp(log_omega)
    l1 = lam - 1.0
    while True:
        t = (w1 + w2 + w3) * uniform(state)
        if t <= w1:
            lx = lx0 + math.log(t / w1)
            log_ratio = l1 * lx - 0.5 * (math.exp(log_omega + lx) + math.exp(log_omega - lx)) - log_gm
        elif t <= w1 + w2:
            r = (t - w1) / w2
            lx = lx0 + r * (lxs - lx0) if lam == 0.0 else lxs + math.log1p(-(1.0 - r) * q) / lam
            log_ratio = omega - 0.5 * (math.exp(log_omega + lx) + math.exp(log_omega - lx))
        else:
            half_wx = 0.5 * math.exp(log_omega + lxs) + standard_exponential(state)
            lx = LOG_2 - log_omega + math.log(half_wx)
            log_ratio = l1 * (lx - lxs) - 0.5 * math.exp(log_omega - lx)
        if math.log(uniform(state)) <= log_ratio:
            return lx


@serial_kernel
def _setup(p, a, b):
    """``(regime, c, d, invert)`` for GIG(p, a, b) (validated input).

    ``c`` holds the constants returned by the regime's setup function (the shape lam for
    ``_GAMMA``).  A standardized draw v maps to ``y = v / d`` (``d / v`` if ``invert``);
    for the hat method v is a logarithm and ``y = exp(+-(v - d))``.  The limits are
    b = 0, y = G/(a/2), and a = 0, y = (b/2)/G, with G ~ Gamma(|p|, 1).
    """
    c = np.zeros(9)
    invert = p < 0.0
    if invert:
        a, b = b, a
    lam = abs(p)
    if b == 0.0:
        c[0] = lam
        return _GAMMA, c, 0.5 * a, invert
    log_omega = 0.5 * (math.log(a) + math.log(b))
    omega = math.exp(log_omega)
    if lam >= GIG_SHIFT_MIN_LAMBDA or omega > GIG_SHIFT_MIN_OMEGA:
        c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7] = rou_shift_setup(lam, omega)
        return _ROU_SHIFT, c, a, invert
    if omega >= min(GIG_ROU_MIN_OMEGA, GIG_ROU_MIN_OMEGA_SLOPE * math.sqrt(1.0 - lam)):
        c[0], c[1], c[2], c[3] = rou_setup(lam, omega)
        return _ROU, c, math.sqrt(a) / math.sqrt(b), invert
    c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8] = _hat_setup(lam, log_omega)
    return _HAT, c, 0.5 * (math.log(a) - math.log(b)), invert


@scalar_core
def _to_gig(seg, logarithmic, d, invert):
    """Map standardized draws v in place to y = v/d or d/v (exp(+-(v - d)) if ``logarithmic``)."""
    for i in range(seg.shape[0]):
        if logarithmic:
            seg[i] = math.exp(d - seg[i] if invert else seg[i] - d)
        else:
            seg[i] = d / seg[i] if invert else seg[i] / d


@scalar_core
def _fill_block(states, k, regime, c, d, invert, out):
    """Fill block k of ``out`` (draws k*GIG_SAMPLE_BLOCK onwards) from stream ``states[k]``."""
    state = states[k]
    seg = out[k * GIG_SAMPLE_BLOCK : min(out.shape[0], (k + 1) * GIG_SAMPLE_BLOCK)]
    if regime == _HAT:
        for i in range(seg.shape[0]):
            seg[i] = _draw_hat(state, c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8])
    elif regime == _ROU:
        rou_block(state, c, seg)
    elif regime == _ROU_SHIFT:
        rou_shift_block(state, c, seg)
    else:
        standard_gamma_block(state, c[0], seg)
    _to_gig(seg, regime == _HAT, d, invert)


@array_kernel(GIG_SAMPLE_SERIAL_MAX_BLOCKS)
def _fill(states, regime, c, d, invert, out):
    """All blocks of ``out``, one thread per block in the parallel variant."""
    for k in prange(states.shape[0]):
        _fill_block(states, k, regime, c, d, invert, out)


def _real(name, value):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return value


def _check_parameters(p, a, b):
    """Validated ``(p, a, b)`` as floats; ``ValueError`` naming the offending parameter."""
    p, a, b = _real("p", p), _real("a", a), _real("b", b)
    if a < 0.0:
        raise ValueError(f"a must be >= 0, got {a!r}")
    if b < 0.0:
        raise ValueError(f"b must be >= 0, got {b!r}")
    if a == 0.0 and b == 0.0:
        raise ValueError("a and b must not both be 0")
    if a == 0.0 and p >= 0.0:
        raise ValueError(f"a = 0 (the InverseGamma limit) needs p < 0, got p = {p!r}")
    if b == 0.0 and p <= 0.0:
        raise ValueError(f"b = 0 (the Gamma limit) needs p > 0, got p = {p!r}")
    if math.sqrt(a) * math.sqrt(b) > GIG_MAX_OMEGA:
        raise ValueError(f"sqrt(a*b) must be <= {GIG_MAX_OMEGA:g}, got a = {a!r}, b = {b!r}")
    return p, a, b


def gig_sample(p, a, b, n, seed=None):
    """Draw n exact variates from GIG(p, a, b).

    The density is proportional to ``y**(p-1) exp(-(a y + b/y)/2)`` on y > 0; ``a = 0``
    (p < 0) is InverseGamma(-p, rate b/2) and ``b = 0`` (p > 0) is Gamma(p, rate a/2).
    The method is the generator of Hormann & Leydold (2014), see the module docstring.
    The sample depends only on (p, a, b, n, seed), not on the number of threads, and the
    first m draws for a given seed do not depend on n >= m.  Values too large or too
    small for float64 come back as inf or 0.

    Parameters
    ----------
    p : float
        Index, any finite real.
    a, b : float
        Finite, >= 0, not both 0, with sqrt(a*b) <= 1e300.
    n : int
        Number of draws, >= 0.
    seed : int, sequence of int, numpy.random.SeedSequence or None
        Entropy for ``numpy.random.SeedSequence``; None draws fresh entropy.

    Returns
    -------
    numpy.ndarray
        Shape (n,), float64.

    Raises
    ------
    ValueError
        If a parameter is not finite, a or b is negative, both are 0, a = 0 with p >= 0,
        b = 0 with p <= 0, sqrt(a*b) > 1e300, or n is not a non-negative integer; the
        message names the parameter.

    References
    ----------
    W. Hormann and J. Leydold (2014), Statistics and Computing 24:547-557.
    """
    p, a, b = _check_parameters(p, a, b)
    try:
        n = operator.index(n)
    except TypeError:
        raise ValueError(f"n must be an integer, got {n!r}") from None
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    out = np.empty(n)
    if n:
        regime, c, d, invert = _setup(p, a, b)
        states = stream_states(seed, -(-n // GIG_SAMPLE_BLOCK))
        _fill.run(states.shape[0], states, regime, c, d, invert, out)
    return out
