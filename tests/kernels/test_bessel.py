"""The Bessel kernels (both twins) against mpmath, against identities, and at the edges.

The oracle is ``data/bessel_reference.npz`` (mpmath at 50 digits, written by
``make_bessel_reference.py``).  Errors are measured as |got - ref| / max(1, |ref|)
unless a test says otherwise.
"""
import functools
import pathlib
import types
import warnings

import jax
import jax.numpy as jnp
import mpmath
import numba
import numpy as np
import pytest

import normix  # noqa: F401  (turns on float64 in JAX)
from normix._kernels import bessel_cpu, bessel_half_cpu, bessel_jax
from normix._kernels._constants import LOG_KV_SERIAL_MAX_SIZE
from normix._kernels.log_bessel import log_kv as public_log_kv

REF = np.load(pathlib.Path(__file__).resolve().parent / "data" / "bessel_reference.npz")
KERNELS = ("log_kv", "log_kv_derivatives", "kv_ratio", "log_kv_ratio_dv")


@jax.jit
def _jax_all(v, z):
    return {name: getattr(bessel_jax, name)(v, z) for name in KERNELS}


def _run_jax(name, v, z):
    """The JAX twin's ``name`` through one jitted function of every kernel.

    Inputs are flattened and padded to a multiple of 512 elements, so that the
    whole module compiles the JAX twin only for a few shapes.
    """
    v, z = np.broadcast_arrays(np.asarray(v, dtype=np.float64), np.asarray(z, dtype=np.float64))
    size = v.size
    filler = np.ones(-(-max(size, 1) // 512) * 512 - size)
    out = _jax_all(np.concatenate([v.ravel(), filler]), np.concatenate([z.ravel(), filler]))[name]
    if isinstance(out, tuple):
        return tuple(np.asarray(x)[:size].reshape(v.shape) for x in out)
    return np.asarray(out)[:size].reshape(v.shape)


TWINS = {
    "cpu": bessel_cpu,
    "jax": types.SimpleNamespace(**{name: functools.partial(_run_jax, name) for name in KERNELS}),
}


def in_region(*names):
    codes = [list(REF["regions"]).index(name) for name in names]
    return np.isin(REF["region"], codes)


STRICT = in_region("strict", "floor") | (
    in_region("special") & (np.abs(REF["v"]) <= 100) & (REF["z"] >= 1e-10) & (REF["z"] <= 1e4)
)


def scaled_error(got, ref):
    return np.abs(np.asarray(got) - ref) / np.maximum(1.0, np.abs(ref))


@pytest.fixture(params=sorted(TWINS))
def twin(request):
    return TWINS[request.param]


@pytest.fixture(scope="module")
def outputs():
    """Every twin's outputs on the reference points, computed once."""
    v, z = REF["v"], REF["z"]
    return {
        name: {
            "log_kv": np.asarray(mod.log_kv(v, z)),
            "derivatives": [np.asarray(x) for x in mod.log_kv_derivatives(v, z)],
            "kv_ratio": np.asarray(mod.kv_ratio(v, z)),
            "fused": [np.asarray(x) for x in mod.log_kv_ratio_dv(v, z)],
        }
        for name, mod in TWINS.items()
    }


@pytest.mark.parametrize("name", sorted(TWINS))
def test_log_kv_matches_mpmath(outputs, name):
    err = scaled_error(outputs[name]["log_kv"], REF["log_k"])
    assert err[STRICT].max() <= 1e-13
    assert err.max() <= 1e-11


@pytest.mark.parametrize("name", sorted(TWINS))
def test_derivatives_match_mpmath(outputs, name):
    log_k, dz, dv, d2v = outputs[name]["derivatives"]
    assert scaled_error(log_k, REF["log_k"]).max() <= 1e-11
    assert scaled_error(dv, REF["dlogk_dv"]).max() <= 1e-12
    assert (np.abs(dz / REF["dlogk_dz"] - 1.0)).max() <= 1e-12
    assert scaled_error(d2v, REF["d2logk_dv2"]).max() <= 1e-11


@pytest.mark.parametrize("name", sorted(TWINS))
def test_kv_ratio_matches_mpmath(outputs, name):
    log_ratio = np.log(outputs[name]["kv_ratio"])
    err = np.abs(log_ratio - REF["log_ratio"])
    assert err[STRICT].max() <= 1e-13
    assert err.max() <= 1e-12


@pytest.mark.parametrize("name", sorted(TWINS))
def test_fused_kernel_agrees_with_the_single_ones(outputs, name):
    out = outputs[name]
    log_k, ratio, dv = out["fused"]
    np.testing.assert_allclose(log_k, out["log_kv"], rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(ratio, out["kv_ratio"], rtol=1e-14)
    np.testing.assert_allclose(dv, out["derivatives"][2], rtol=1e-14, atol=1e-14)


@numba.njit
def _one_pass_cpu(a, z):
    out = np.empty((7, a.size))
    for i in range(a.size):
        out[0, i], out[1, i], out[2, i], out[3, i], out[4, i], out[5, i], out[6, i] = (
            bessel_cpu.log_kv_orders_scalar(a[i], z[i])
        )
    return out


def test_one_pass_core_matches_mpmath_and_the_lower_orders():
    """log_kv_orders_scalar (the GIG Newton's core): value, ratios and order derivatives at a, a - 1, a - 2."""
    keep = REF["v"] >= 0.0
    a, z = REF["v"][keep], REF["z"][keep]
    log_k, up, down, dv, d2v, d_lo, down_lo = _one_pass_cpu(a, z)
    err = scaled_error(log_k, REF["log_k"][keep])
    assert err[STRICT[keep]].max() <= 1e-13 and err.max() <= 1e-11
    assert np.abs(np.log(up) - REF["log_ratio"][keep]).max() <= 1e-12
    assert scaled_error(dv, REF["dlogk_dv"][keep]).max() <= 1e-12
    assert scaled_error(d2v, REF["d2logk_dv2"][keep]).max() <= 1e-11
    # the lower orders against separate evaluations at a - 1 and a - 2 (checked against mpmath above)
    inside = a <= 500.0
    a, z = a[inside], z[inside]
    _, ratio_lo, dv_lo = bessel_cpu.log_kv_ratio_dv(a - 1.0, z)
    assert np.abs(np.log(down[inside] * ratio_lo)).max() <= 1e-12
    assert scaled_error(d_lo[inside], dv_lo).max() <= 1e-12
    ratio_lo2 = bessel_cpu.kv_ratio(a - 2.0, z)
    assert np.abs(np.log(down_lo[inside] * ratio_lo2)).max() <= 1e-12


@numba.njit
def _exp_e1_cpu(x):
    out = np.empty(x.size)
    for i in range(x.size):
        out[i] = bessel_half_cpu.exp_e1(x[i])
    return out


def test_exp_e1_matches_mpmath_on_every_piece():
    """e^x E_1(x), the order derivative at v = 1/2: series, each Chebyshev piece and its ends, continued fraction."""
    ends = 0.5 * 2.0 ** np.arange(7)
    x = np.concatenate([np.geomspace(1e-300, 1e300, 121), np.linspace(0.3, 40.0, 150), ends,
                        np.nextafter(ends, 0.0), np.nextafter(ends, np.inf)])
    ref = np.array([float(mpmath.exp(t) * mpmath.e1(t)) if t < 1e6 else float(1.0 / (t + 1.0 - 1.0 / (t + 3.0)))
                    for t in map(mpmath.mpf, x)])
    np.testing.assert_allclose(_exp_e1_cpu(x), ref, rtol=1e-15)


@functools.cache
def _half_integer_reference():
    a = np.repeat([0.5, 1.5, 2.5, 5.5, 13.5, 32.5], 9)
    z = np.tile([1e-300, 1e-20, 1e-3, 0.4, 2.0, 7.0, 60.0, 1e4, 1e300], 6)
    rows = []
    with mpmath.workdps(40):
        for order, arg in zip(a, z):
            order, arg = mpmath.mpf(order), mpmath.mpf(arg)
            k = mpmath.besselk(order, arg)
            dv = mpmath.diff(lambda t: mpmath.log(mpmath.besselk(t, arg)), order)
            rows.append([float(mpmath.log(k)), float(mpmath.besselk(order + 1, arg) / k),
                         float(mpmath.besselk(order - 1, arg) / k), float(dv)])
    return a, z, np.array(rows).T


def test_half_integer_closed_forms_match_mpmath():
    """|v| = n + 1/2: log K_v, both ratios and ∂/∂v log K_v from the closed forms, both signs of v."""
    a, z, (log_k, up, down, dv) = _half_integer_reference()
    for sign in (1.0, -1.0):
        got_log_k, got_ratio, got_dv = bessel_cpu.log_kv_ratio_dv(sign * a, z)
        assert scaled_error(got_log_k, log_k).max() <= 1e-14
        np.testing.assert_allclose(got_ratio, up if sign > 0 else down, rtol=1e-14)
        assert scaled_error(got_dv, sign * dv).max() <= 1e-14
        np.testing.assert_array_equal(bessel_cpu.log_kv(sign * a, z), got_log_k)
        np.testing.assert_array_equal(bessel_cpu.kv_ratio(sign * a, z), got_ratio)


def test_half_integer_orders_join_their_neighbours():
    """The closed forms and the quadrature or series one ulp away in the order agree (no seam)."""
    a = np.repeat(np.arange(33) + 0.5, 5)
    z = np.tile([1e-5, 0.5, 1.9, 3.0, 200.0], 33)
    exact = bessel_cpu.log_kv_ratio_dv(a, z)
    beside = bessel_cpu.log_kv_ratio_dv(np.nextafter(a, np.inf), z)
    for got, near in zip(exact, beside):
        np.testing.assert_allclose(got, near, rtol=5e-14, atol=1e-14)


def test_order_symmetry_is_exact(twin):
    v = np.array([0.0, 0.3, 1.0, 2.5, 6.5, 7.25, 40.0, 499.0])
    z = np.array([1e-200, 1e-3, 0.5, 2.0, 3.0, 10.0, 1e3, 1e200])
    vv, zz = np.meshgrid(v, z)
    plus = [np.asarray(x) for x in twin.log_kv_derivatives(vv, zz)]
    minus = [np.asarray(x) for x in twin.log_kv_derivatives(-vv, zz)]
    for k, parity in enumerate([1.0, 1.0, -1.0, 1.0]):
        np.testing.assert_array_equal(minus[k], parity * plus[k])


def test_recurrence(twin):
    """K_(v+1) = K_(v-1) + (2v/z) K_v (DLMF 10.29.1), in logs and as ratios."""
    rng = np.random.default_rng(3)
    v = rng.uniform(1.0, 60.0, 400)
    z = np.exp(rng.uniform(np.log(1e-2), np.log(1e3), 400))
    low, mid, high = (np.asarray(twin.log_kv(v + k, z)) for k in (-1.0, 0.0, 1.0))
    expected = np.logaddexp(low, np.log(2.0 * v / z) + mid)
    assert scaled_error(high, expected).max() <= 5e-14
    ratio_low = np.asarray(twin.kv_ratio(v - 1.0, z))
    ratio = np.asarray(twin.kv_ratio(v, z))
    np.testing.assert_allclose(ratio, 1.0 / ratio_low + 2.0 * v / z, rtol=5e-14)


EDGE_V = np.array([np.nan, 1.0, 1.0, 1.0, 0.0, -2.0, -0.5, -0.7, 2.0, np.inf, -np.inf, np.inf, 0.0])
EDGE_Z = np.array([1.0, np.nan, -1.0, 0.0, 0.0, 0.0, 0.0, 0.0, np.inf, 1.0, 1.0, 0.0, np.inf])
INF, NAN = np.inf, np.nan
EDGE_EXPECTED = {
    "log_k": [NAN, NAN, NAN, INF, INF, INF, INF, INF, -INF, INF, INF, INF, -INF],
    "dlogk_dz": [NAN, NAN, NAN, -INF, -INF, -INF, -INF, -INF, -1.0, -INF, -INF, -INF, -1.0],
    "dlogk_dv": [NAN, NAN, NAN, INF, 0.0, -INF, -INF, -INF, 0.0, INF, -INF, INF, 0.0],
    "d2logk_dv2": [NAN, NAN, NAN, INF, INF, INF, INF, INF, 0.0, 0.0, 0.0, INF, 0.0],
    "ratio": [NAN, NAN, NAN, INF, INF, 0.0, 1.0, 0.0, 1.0, INF, 0.0, INF, 1.0],
}


def test_edge_values(twin):
    derivatives = [np.asarray(x) for x in twin.log_kv_derivatives(EDGE_V, EDGE_Z)]
    for key, got in zip(["log_k", "dlogk_dz", "dlogk_dv", "d2logk_dv2"], derivatives):
        np.testing.assert_array_equal(got, EDGE_EXPECTED[key], err_msg=key)
    np.testing.assert_array_equal(np.asarray(twin.log_kv(EDGE_V, EDGE_Z)), EDGE_EXPECTED["log_k"])
    np.testing.assert_array_equal(np.asarray(twin.kv_ratio(EDGE_V, EDGE_Z)), EDGE_EXPECTED["ratio"])
    fused = [np.asarray(x) for x in twin.log_kv_ratio_dv(EDGE_V, EDGE_Z)]
    for key, got in zip(["log_k", "ratio", "dlogk_dv"], fused):
        np.testing.assert_array_equal(got, EDGE_EXPECTED[key], err_msg=key)


def test_cpu_broadcasting_and_dtypes():
    v = np.array([[0.5], [1.5], [3.0]])
    z = np.array([0.1, 1.0, 10.0, 100.0], dtype=np.float32)
    out = bessel_cpu.log_kv(v, z)
    assert out.shape == (3, 4) and out.dtype == np.float64
    np.testing.assert_array_equal(out[1], bessel_cpu.log_kv(1.5, z.astype(np.float64)))
    scalar = bessel_cpu.log_kv(2, 3.0)
    assert np.shape(scalar) == () and scalar.dtype == np.float64
    assert all(x.shape == (3, 4) for x in bessel_cpu.log_kv_derivatives(v, z))
    assert all(x.shape == (3, 4) for x in bessel_cpu.log_kv_ratio_dv(v, z))


@pytest.mark.parametrize("name", KERNELS)
def test_jax_shapes_and_dtypes(name):
    v = jax.ShapeDtypeStruct((3, 1), jnp.float64)
    z = jax.ShapeDtypeStruct((4,), jnp.float32)
    outs = jax.tree_util.tree_leaves(jax.eval_shape(getattr(bessel_jax, name), v, z))
    assert all(x.shape == (3, 4) and x.dtype == jnp.float64 for x in outs)
    scalars = jax.tree_util.tree_leaves(jax.eval_shape(getattr(bessel_jax, name), 2, 3.0))
    assert all(x.shape == () and x.dtype == jnp.float64 for x in scalars)


def test_cpu_parallel_and_serial_paths_agree():
    rng = np.random.default_rng(11)
    v = rng.uniform(-30.0, 30.0, 5000)
    z = np.exp(rng.uniform(-10.0, 10.0, 5000))
    whole = bessel_cpu.log_kv_derivatives(v, z)
    step = LOG_KV_SERIAL_MAX_SIZE  # pieces run the serial variant, the whole the parallel one
    pieces = [bessel_cpu.log_kv_derivatives(v[i : i + step], z[i : i + step]) for i in range(0, 5000, step)]
    for k in range(4):
        np.testing.assert_array_equal(whole[k], np.concatenate([p[k] for p in pieces]))


def test_scalar_cores_compile_inside_a_users_parallel_function():
    with warnings.catch_warnings():
        warnings.simplefilter("error", numba.NumbaWarning)

        @numba.njit(parallel=True)
        def user(v, z):
            out = np.empty((3, v.size))
            for i in numba.prange(v.size):
                out[0, i] = bessel_cpu.log_kv_scalar(v[i], z[i])
                out[1, i] = bessel_cpu.kv_ratio_scalar(v[i], z[i])
                out[2, i] = bessel_cpu.log_kv_ratio_dv_scalar(v[i], z[i])[2]
                out[2, i] -= bessel_cpu.log_kv_derivatives_scalar(v[i], z[i])[2]
            return out

        v = np.linspace(-4.0, 9.0, 50)
        z = np.geomspace(1e-4, 40.0, 50)
        out = user(v, z)
    np.testing.assert_array_equal(out[0], bessel_cpu.log_kv(v, z))
    np.testing.assert_array_equal(out[1], bessel_cpu.kv_ratio(v, z))
    assert np.abs(out[2]).max() <= 1e-13


MIXED_V = np.array([0.0, 0.3, -1.7, 4.2, -6.4, 6.6, 25.0, -80.0, 0.5, 2.0, 1.0])
MIXED_Z = np.array([1e-6, 0.01, 1.99, 2.01, 0.3, 0.3, 7.0, 1e-30, 40.0, 1e5, 0.0])


def test_gradients_through_the_jax_twin_are_finite_and_right():
    """Autodiff straight through the twin (no custom rule) sees no NaN from unused branches."""
    regular = MIXED_Z > 0.0

    def total(v, z):
        log_k = bessel_jax.log_kv(v, z)
        return jnp.sum(jnp.where(jnp.isfinite(log_k), log_k, 0.0))

    grad_v, grad_z = jax.grad(total, argnums=(0, 1))(jnp.asarray(MIXED_V), jnp.asarray(MIXED_Z))
    _, dz, dv, _ = bessel_cpu.log_kv_derivatives(MIXED_V, MIXED_Z)
    assert np.all(np.isfinite(np.asarray(grad_v))) and np.all(np.isfinite(np.asarray(grad_z)[regular]))
    nonzero = MIXED_V != 0.0
    np.testing.assert_allclose(np.asarray(grad_v)[regular & nonzero], dv[regular & nonzero], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(np.asarray(grad_z)[regular], dz[regular], rtol=1e-9)


@jax.jit
@jax.vmap
def _public_value_and_derivatives(v, z):
    value, (grad_v, grad_z) = jax.value_and_grad(public_log_kv, argnums=(0, 1))(v, z)
    return value, grad_v, grad_z, jax.grad(jax.grad(public_log_kv))(v, z)


def test_public_log_kv_derivatives_under_jit_and_vmap_match_mpmath():
    """jit(vmap(...)) of the value, both gradients and the second order derivative (v = 0 included)."""
    pick = np.flatnonzero(STRICT)[::25]
    v = np.concatenate([REF["v"][pick], np.zeros(4)])
    z = np.concatenate([REF["z"][pick], [1e-8, 0.5, 3.0, 200.0]])
    value, grad_v, grad_z, hess_v = (np.asarray(x) for x in _public_value_and_derivatives(v, z))
    ref = slice(0, pick.size)
    assert scaled_error(value[ref], REF["log_k"][pick]).max() <= 1e-13
    assert scaled_error(grad_v[ref], REF["dlogk_dv"][pick]).max() <= 1e-12
    assert (np.abs(grad_z[ref] / REF["dlogk_dz"][pick] - 1.0)).max() <= 1e-12
    assert scaled_error(hess_v[ref], REF["d2logk_dv2"][pick]).max() <= 1e-11
    at_zero = slice(pick.size, None)
    np.testing.assert_array_equal(grad_v[at_zero], 0.0)
    expected = bessel_cpu.log_kv_derivatives(v[at_zero], z[at_zero])[3]
    np.testing.assert_allclose(hess_v[at_zero], expected, rtol=1e-14)
    assert np.all(hess_v[at_zero] > 0.0)


def test_public_log_kv_backends():
    on_cpu = public_log_kv(MIXED_V, MIXED_Z, backend="cpu")
    assert isinstance(on_cpu, np.ndarray)
    np.testing.assert_array_equal(on_cpu, bessel_cpu.log_kv(MIXED_V, MIXED_Z))
    with pytest.raises(TypeError, match="backend='jax'"):
        jax.jit(lambda x: public_log_kv(x, 1.0, backend="cpu"))(1.0)
    with pytest.raises(ValueError, match="backend"):
        public_log_kv(1.0, 1.0, backend="gpu")


def test_utils_facade_reexports_the_public_function():
    from normix.utils import bessel

    assert bessel.log_kv is public_log_kv
