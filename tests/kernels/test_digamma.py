"""digamma_inv twins and the numba digamma/trigamma cores, against scipy and mpmath."""
import math

import jax
import jax.numpy as jnp
import mpmath as mp
import numpy as np
import pytest
from scipy.special import digamma, polygamma

import normix  # noqa: F401  (turns on float64 in JAX)
from normix._kernels import digamma_cpu, digamma_jax
from normix._kernels.parity_cases.digamma import CASES, RTOL

def reference_root(c):
    """α with ψ(α) − log α = c by mpmath findroot in log α, with enough digits for the cancellation."""
    digits = 40 + (int(-math.log10(-c)) if -c < 1 else 0)
    with mp.workdps(digits):
        cm = mp.mpf(c)
        start = mp.log(-0.5 / cm) if -c < 1 else mp.log(-1 / cm)
        s = mp.findroot(lambda s: mp.digamma(mp.exp(s)) - s - cm, start, tol=mp.mpf(10) ** -30, verify=False)
        return float(mp.exp(s))


GRID = np.concatenate([-np.geomspace(1e-300, 1e300, 31), -np.geomspace(1e-13, 700.0, 60)])
REFERENCE = np.array([reference_root(c) for c in GRID])


def test_digamma_core_matches_scipy():
    x = np.concatenate([np.geomspace(1e-150, 1e300, 400), np.linspace(0.01, 30.0, 600)])
    got = np.array([digamma_cpu.digamma_scalar(v) for v in x])
    # relative accuracy is lost only next to the zero of ψ (x ≈ 1.4616), where the
    # absolute error stays below 1e-15
    np.testing.assert_allclose(got, digamma(x), rtol=4e-15, atol=1e-15)


def test_trigamma_core_matches_scipy():
    x = np.concatenate([np.geomspace(1e-150, 1e300, 400), np.linspace(0.01, 30.0, 600)])
    got = np.array([digamma_cpu.trigamma_scalar(v) for v in x])
    np.testing.assert_allclose(got, polygamma(1, x), rtol=2e-15, atol=0)


def test_cores_are_nan_off_their_domain():
    for core in (digamma_cpu.digamma_scalar, digamma_cpu.trigamma_scalar):
        assert math.isnan(core(0.0)) and math.isnan(core(-1.5)) and math.isnan(core(math.nan))


@pytest.mark.parametrize("twin", [digamma_cpu.digamma_inv, digamma_jax.digamma_inv], ids=["cpu", "jax"])
def test_digamma_inv_matches_mpmath_root(twin):
    np.testing.assert_allclose(np.asarray(twin(GRID)), REFERENCE, rtol=1e-13, atol=0)


@pytest.mark.parametrize("twin", [digamma_cpu.digamma_inv, digamma_jax.digamma_inv], ids=["cpu", "jax"])
def test_digamma_inv_solves_the_equation(twin):
    c = -np.geomspace(1e-3, 30.0, 50)
    alpha = np.asarray(twin(c))
    np.testing.assert_allclose(digamma(alpha) - np.log(alpha), c, rtol=1e-12)


@pytest.mark.parametrize("twin", [digamma_cpu.digamma_inv, digamma_jax.digamma_inv], ids=["cpu", "jax"])
def test_digamma_inv_edge_values_and_shapes(twin):
    c = np.array([[0.0, 3.0], [np.nan, -np.inf]])
    before = c.copy()
    out = np.asarray(twin(c))
    assert out.shape == (2, 2) and out.dtype == np.float64
    assert np.isnan(out[0, 0]) and np.isnan(out[0, 1]) and np.isnan(out[1, 0]) and out[1, 1] == 0.0
    np.testing.assert_array_equal(c, before)
    assert np.asarray(twin(-1.0)).shape == ()


def test_twins_agree_on_parity_cases():
    for case in CASES["digamma_inv"].values():
        cpu = digamma_cpu.digamma_inv(*case)
        jx = np.asarray(digamma_jax.digamma_inv(*case))
        np.testing.assert_allclose(cpu, jx, rtol=RTOL["digamma_inv"], atol=0, equal_nan=True)


def test_cpu_twin_parallel_path_matches_serial_path():
    c = -np.geomspace(1e-8, 100.0, 5000)
    np.testing.assert_array_equal(digamma_cpu.digamma_inv(c), np.concatenate(
        [digamma_cpu.digamma_inv(part) for part in np.split(c, 10)]))


def test_jax_twin_jit_and_vmap():
    c = jnp.asarray(-np.geomspace(1e-6, 50.0, 12))
    eager = digamma_jax.digamma_inv(c)
    np.testing.assert_array_equal(jax.jit(digamma_jax.digamma_inv)(c), eager)
    np.testing.assert_allclose(jax.vmap(digamma_jax.digamma_inv)(c), eager, rtol=1e-15)


def test_jax_twin_derivative_is_the_implicit_one():
    c = -np.geomspace(1e-6, 50.0, 12)
    grads = jax.vmap(jax.grad(digamma_jax.digamma_inv))(jnp.asarray(c))
    alpha = digamma_cpu.digamma_inv(c)
    with mp.workdps(50):
        implicit = [float(1 / (mp.psi(1, mp.mpf(a)) - 1 / mp.mpf(a))) for a in alpha]
    np.testing.assert_allclose(grads, implicit, rtol=1e-13)
    h = 1e-6
    fd = (reference_root(-0.3 + h) - reference_root(-0.3 - h)) / (2 * h)
    np.testing.assert_allclose(jax.grad(digamma_jax.digamma_inv)(-0.3), fd, rtol=1e-8)


def test_jax_twin_gradient_is_clean_where_masked():
    def masked(c):
        return jnp.where(c < 0, digamma_jax.digamma_inv(c), 0.0)

    assert float(jax.grad(masked)(1.0)) == 0.0
    assert float(jax.grad(masked)(0.0)) == 0.0
