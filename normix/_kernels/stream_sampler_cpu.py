"""Seeded random streams inside numba kernels: xoshiro256++ and the variates built on it.

A stream is a ``uint64`` array of 4 words, advanced in place by :func:`next_uint64`;
:func:`uniform`, :func:`standard_exponential` and :func:`standard_normal_pair` turn its
output into variates.  The samplers give every block of draws its own stream, seeded from
``numpy.random.SeedSequence`` (:func:`stream_states`), so that their output depends on
the seed alone and not on how blocks are spread over threads.  The generator runs in
registers, without calls through numpy's bit-generator interface.

References
----------
D. Blackman and S. Vigna (2021), "Scrambled linear pseudorandom number generators",
ACM Transactions on Mathematical Software 47(4):36 (xoshiro256++, Sect. 4 and 10).
G. Marsaglia and T. A. Bray (1964), "A convenient method for generating normal
variables", SIAM Review 6:260-264 (the polar method).
"""
import math

import numpy as np

from normix._kernels._numba import scalar_core

_R11, _R17, _R23, _R45 = (np.uint64(k) for k in (11, 17, 23, 45))
_U64_BITS = np.uint64(64)
_ULP = 2.0**-53


def stream_states(seed, count):
    """``(count, 4)`` uint64 stream states; row k comes from child k of ``SeedSequence(seed)``.

    ``seed`` is anything ``numpy.random.SeedSequence`` accepts (None draws fresh entropy)
    or a ``SeedSequence``.  Row k does not depend on ``count``.
    """
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    states = np.empty((count, 4), dtype=np.uint64)
    for k, child in enumerate(root.spawn(count)):
        states[k] = child.generate_state(4, np.uint64)
    return states


@scalar_core
def _rotl(x, k):
    return (x << k) | (x >> (_U64_BITS - k))


@scalar_core
def next_uint64(state):
    """The next 64-bit output of xoshiro256++ on ``state`` (advanced in place)."""
    s0, s1, s2, s3 = state[0], state[1], state[2], state[3]
    result = _rotl(s0 + s3, _R23) + s0
    t = s1 << _R17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, _R45)
    state[0], state[1], state[2], state[3] = s0, s1, s2, s3
    return result


@scalar_core
def uniform(state):
    """A uniform variate in (0, 1]: ``(k + 1) 2**-53`` from the top 53 bits k of one output."""
    return float((next_uint64(state) >> _R11) + np.uint64(1)) * _ULP


@scalar_core
def standard_exponential(state):
    """An Exp(1) variate by inversion, ``-log U`` with U in (0, 1]."""
    return -math.log(uniform(state))


@scalar_core
def standard_normal_pair(state):
    """Two independent N(0, 1) variates by the polar method of Marsaglia & Bray.

    A point (x, y) uniform in the square [-1, 1]^2 is kept when ``s = x**2 + y**2`` is in
    (0, 1); then ``(x, y) sqrt(-2 log(s) / s)`` are independent standard normals.
    """
    while True:
        x = 2.0 * uniform(state) - 1.0
        y = 2.0 * uniform(state) - 1.0
        s = x * x + y * y
        if 0.0 < s < 1.0:
            f = math.sqrt(-2.0 * math.log(s) / s)
            return x * f, y * f
