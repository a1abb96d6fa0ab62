"""The xoshiro256++ streams and the uniform, exponential and normal variates built on them."""
import numba
import numpy as np
import pytest
import scipy.stats as st

from normix._kernels.stream_sampler_cpu import (
    next_uint64,
    standard_exponential,
    standard_normal_pair,
    stream_states,
    uniform,
)

MASK = (1 << 64) - 1


def reference_xoshiro(state, count):
    """xoshiro256++ in Python integers, from the published definition (Blackman & Vigna 2021)."""
    s = [int(w) for w in state]

    def rotl(x, k):
        return ((x << k) | (x >> (64 - k))) & MASK

    out = []
    for _ in range(count):
        out.append((rotl((s[0] + s[3]) & MASK, 23) + s[0]) & MASK)
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
    return out


@numba.njit
def draw_words(state, count):
    out = np.empty(count, np.uint64)
    for i in range(count):
        out[i] = next_uint64(state)
    return out


@numba.njit
def draw_uniforms(state, count):
    out = np.empty(count)
    for i in range(count):
        out[i] = uniform(state)
    return out


@numba.njit
def draw_exponentials(state, count):
    out = np.empty(count)
    for i in range(count):
        out[i] = standard_exponential(state)
    return out


@numba.njit
def draw_normal_pairs(state, count):
    out = np.empty((count, 2))
    for i in range(count):
        out[i, 0], out[i, 1] = standard_normal_pair(state)
    return out


def test_generator_matches_the_published_recurrence():
    state = stream_states(2024, 1)[0]
    expected = reference_xoshiro(state, 1000)
    got = draw_words(state.copy(), 1000)
    assert [int(w) for w in got] == expected


def test_generator_advances_its_state_in_place():
    state = stream_states(1, 1)[0]
    first = draw_words(state, 10)
    second = draw_words(state, 10)
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(np.concatenate([first, second]), draw_words(stream_states(1, 1)[0], 20))


def test_uniform_is_the_top_53_bits_plus_one_ulp():
    state = stream_states(3, 1)[0]
    words = draw_words(state.copy(), 1000)
    expected = ((words >> np.uint64(11)) + np.uint64(1)).astype(np.float64) * 2.0**-53
    np.testing.assert_array_equal(draw_uniforms(state, 1000), expected)


def test_stream_states_are_reproducible_and_prefix_stable():
    states = stream_states(7, 5)
    assert states.shape == (5, 4) and states.dtype == np.uint64
    np.testing.assert_array_equal(stream_states(7, 2), states[:2])
    np.testing.assert_array_equal(stream_states(np.random.SeedSequence(7), 5), states)
    assert not np.any(stream_states(8, 5) == states)
    assert len({tuple(row) for row in states}) == 5


def test_uniforms_are_uniform_and_serially_uncorrelated():
    n = 1_000_000
    u = draw_uniforms(stream_states(4, 1)[0], n)
    assert u.min() > 0.0 and u.max() <= 1.0
    # mean 1/2 (sd 1/sqrt(12 n)); lag-1 correlation 0 (sd 1/sqrt(n)); 5 sd each
    assert abs(u.mean() - 0.5) < 5.0 / np.sqrt(12.0 * n)
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 5.0 / np.sqrt(n)
    counts = np.bincount(np.minimum((u * 1000).astype(int), 999), minlength=1000)
    assert st.chisquare(counts).pvalue > 1e-3


def test_exponentials_are_exponential():
    x = draw_exponentials(stream_states(5, 1)[0], 50_000)
    assert st.kstest(x, st.expon.cdf).pvalue > 1e-3


def test_normal_pairs_are_independent_standard_normals():
    n = 100_000
    z = draw_normal_pairs(stream_states(6, 1)[0], n)
    for column in z.T:
        assert st.kstest(column, st.norm.cdf).pvalue > 1e-3
    assert abs(np.corrcoef(z[:, 0], z[:, 1])[0, 1]) < 5.0 / np.sqrt(n)
    # the radius and angle of a pair are independent: corr of squares is 0 too
    assert abs(np.corrcoef(z[:, 0] ** 2, z[:, 1] ** 2)[0, 1]) < 5.0 / np.sqrt(n)


@pytest.mark.parametrize("count", [0, 1, 3])
def test_stream_states_count(count):
    assert stream_states(None, count).shape == (count, 4)
