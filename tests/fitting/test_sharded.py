"""EM on rows sharded over 4 JAX devices equals the one-device fit.

The 4-device tests (``test_four_*``) need ``XLA_FLAGS=--xla_force_host_platform_device_count=4``
set before jax is imported, so the launchers below run them in a fresh interpreter
(``python -m pytest`` on this file with the flag set); in this process they skip.
The reference of every check is the same fit with the rows on one device.
"""
import os
import pathlib
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from normix import (
    BatchEMFitter,
    MiniBatchEMFitter,
    NormalInverseGaussian,
    VarianceGamma,
)
from family_table import FAMILIES, SIGMA

FOUR_DEVICES = jax.device_count() >= 4
four_devices = pytest.mark.skipif(not FOUR_DEVICES, reason="runs in a subprocess with 4 host devices")
REPO = pathlib.Path(__file__).resolve().parents[2]



def sample(name, n):
    cls, sub = FAMILIES[name]
    truth = cls.from_classical(mu=np.array([0.1, -0.2]), gamma=np.array([0.4, -0.3]), sigma=SIGMA, **sub)
    X = np.asarray(truth.rvs(n, seed=5))
    return cls.default_init(X), X


def leaves(model):
    return np.concatenate([np.ravel(leaf) for leaf in jax.tree_util.tree_leaves(model)])


def assert_same_fit(sharded, single):
    assert sharded.n_iter == single.n_iter and sharded.converged == single.converged
    assert sharded.message == single.message
    np.testing.assert_allclose(leaves(sharded.model), leaves(single.model), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(sharded.log_likelihoods, single.log_likelihoods, rtol=1e-10)


def run_four_device_tests(marker):
    env = dict(os.environ)
    env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=4").strip()
    command = [sys.executable, "-m", "pytest", __file__, "-q", "-p", "no:cacheprovider", "-k", "four",
               "-m", marker]
    proc = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=1800)
    report = proc.stdout + proc.stderr
    assert proc.returncode == 0, report
    assert " passed" in report and "skipped" not in report, report


@pytest.mark.skipif(FOUR_DEVICES, reason="this interpreter already has 4 devices")
def test_launch_fast_checks_in_a_subprocess():
    run_four_device_tests("not slow")


@pytest.mark.slow
@pytest.mark.skipif(FOUR_DEVICES, reason="this interpreter already has 4 devices")
def test_launch_slow_checks_in_a_subprocess():
    run_four_device_tests("slow")


# ----------------------------------------------------------------- on 4 devices
@four_devices
def test_four_shard_rows_splits_rows_evenly_in_order():
    from normix.fitting.distributed import shard_rows

    X = np.arange(24.0).reshape(12, 2)
    Xs = shard_rows(X)
    assert Xs.dtype == jnp.float64 and Xs.shape == (12, 2) and len(Xs.sharding.device_set) == 4
    blocks = {shard.device: np.asarray(shard.data) for shard in Xs.addressable_shards}
    for j, device in enumerate(jax.devices()):
        np.testing.assert_array_equal(blocks[device], X[3 * j:3 * j + 3])
    with pytest.raises(ValueError, match="multiple of the 4 device"):
        shard_rows(X[:10])
    with pytest.raises(ValueError, match=r"shape \(n, d\)"):
        shard_rows(X.ravel())
    assert len(shard_rows(X, jax.devices()[:2]).sharding.device_set) == 2


@four_devices
def test_foursharded_e_step_is_one_all_reduce_and_equals_one_device():
    from normix._em.sharded import sharded_e_step
    from normix.fitting.distributed import shard_rows

    start, X = sample("nig", 400)
    Xs = shard_rows(X)
    state = NormalInverseGaussian.em_state(start, "jax")
    program = sharded_e_step(NormalInverseGaussian, Xs.sharding.mesh, "rows", "jax").lower(Xs, state).compile()
    hlo = program.as_text()
    assert "all-reduce(" in hlo and "all-gather(" not in hlo
    sharded, ll_sharded = program(Xs, state)
    single, ll_single = NormalInverseGaussian.em_e_step(jnp.asarray(X), state, "jax")
    for a, b in zip(sharded, single):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(float(ll_sharded), float(ll_single), rtol=1e-13)


@four_devices
@pytest.mark.parametrize("name", ["nig"] + [pytest.param(n, marks=pytest.mark.slow) for n in ("gh", "ninvg", "vg")])
def test_four_batch_fit_equals_one_device_fit(name):
    from normix.fitting.distributed import shard_rows

    start, X = sample(name, 400)
    fitter = BatchEMFitter(max_iter=6, tol=1e-12, e_step_backend="jax", m_step_backend="cpu")
    assert_same_fit(fitter.fit(start, shard_rows(X)), fitter.fit(start, X))


@four_devices
def test_four_bad_sharded_input_is_named():
    from jax.sharding import Mesh, NamedSharding
    from jax.sharding import PartitionSpec as P

    from normix.fitting.distributed import shard_rows

    start, X = sample("nig", 400)
    fitter = BatchEMFitter(max_iter=2)
    bad = X.copy()
    bad[[7, 301]] = np.nan
    with pytest.raises(ValueError, match=r"2 row\(s\) hold NaN or inf \(rows 7, 301\)"):
        fitter.fit(start, shard_rows(bad))
    with pytest.raises(ValueError, match="e_step_backend='jax'"):
        BatchEMFitter(e_step_backend="cpu").fit(start, shard_rows(X))
    mesh = Mesh(np.asarray(jax.devices()[:2]), ("cols",))
    by_columns = jax.device_put(X, NamedSharding(mesh, P(None, "cols")))
    with pytest.raises(ValueError, match="sharded by rows"):
        fitter.fit(start, by_columns)
    with pytest.raises(ValueError, match="batch_size must be a multiple of the number of devices"):
        MiniBatchEMFitter(batch_size=30).fit(start, shard_rows(X), key=jax.random.key(0))


@four_devices
@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_four_compiled_loop_equals_one_device_fit(name):
    from normix.fitting.distributed import shard_rows

    start, X = sample(name, 400)
    fitter = BatchEMFitter(max_iter=6, tol=1e-12, e_step_backend="jax", m_step_backend="jax",
                           regularization="det_sigma_one" if name == "gh" else "none")
    assert_same_fit(fitter.fit(start, shard_rows(X)), fitter.fit(start, X))


@four_devices
@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_four_minibatch_fit_equals_one_device_fit(name):
    from normix.fitting.distributed import shard_rows

    start, X = sample(name, 400)
    fitter = MiniBatchEMFitter(batch_size=100, max_iter=12, tol=1e-12)
    key = jax.random.key(1)
    assert_same_fit(fitter.fit(start, shard_rows(X), key=key), fitter.fit(start, X, key=key))


@four_devices
def test_four_statuses_equal_one_device_statuses():
    """Converged, max_iter, non-finite and degenerate (VG with mu on a data row) as in memory."""
    from normix.fitting.distributed import shard_rows
    from normix.fitting.em import EMStatus

    start, X = sample("nig", 400)
    broken = X.copy()
    broken[17] = [3e160, -2e160]
    L = np.array([[1.4251, 0.0, 0.0], [-0.5308, 1.1756, 0.0], [-0.5525, 0.6088, 1.6308]])
    peaked = VarianceGamma.from_classical(mu=np.array([0.1257, -0.1321, 0.6404]), gamma=np.zeros(3),
                                          sigma=L @ L.T, alpha=1.0, beta=1.0).rvs(28, seed=0)
    cases = {EMStatus.CONVERGED: (start, X, 1e-3), EMStatus.MAX_ITER: (start, X, 0.0),
             EMStatus.NON_FINITE: (start, broken, 1e-12),
             EMStatus.DEGENERATE: (VarianceGamma.default_init(peaked), peaked, 1e-12)}
    for status, (model, data, tol) in cases.items():
        fitter = BatchEMFitter(max_iter=40, tol=tol, e_step_backend="jax", m_step_backend="cpu")
        single, sharded = fitter.fit(model, data), fitter.fit(model, shard_rows(data))
        assert single.status is status and sharded.status is status, (status, sharded.message)
        assert sharded.message == single.message
