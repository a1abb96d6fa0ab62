"""EM on dask arrays (from memory and from chunk files) equals the in-memory fit.

References: the same fit on the numpy array (numba E-step, one pass over all rows),
and the files' own contents read back with numpy and pandas.  The cluster tests run
a ``dask.distributed.LocalCluster`` of worker processes on this machine; one of them
kills a worker while a fit is in flight.
"""
import os
import pathlib
import signal
import subprocess
import sys
import textwrap
import threading
import time

import dask
import dask.array as da
import jax
import numpy as np
import pandas as pd
import pytest

from normix import (
    BatchEMFitter,
    NormalInverseGaussian,
    VarianceGamma,
)
from normix._em.dask_stats import DaskRows
from normix.fitting.distributed import dask_array_from_files
from family_table import FAMILIES, SIGMA

REPO = pathlib.Path(__file__).resolve().parents[2]
FITTER = BatchEMFitter(max_iter=6, tol=1e-12, e_step_backend="cpu", m_step_backend="cpu")


def sample(name, n, seed=5):
    cls, sub = FAMILIES[name]
    truth = cls.from_classical(mu=np.array([0.1, -0.2]), gamma=np.array([0.4, -0.3]), sigma=SIGMA, **sub)
    X = np.asarray(truth.rvs(n, seed=seed))
    return cls.default_init(X), X


def leaves(model):
    return np.concatenate([np.ravel(leaf) for leaf in jax.tree_util.tree_leaves(model)])


def assert_same_fit(result, reference):
    assert result.n_iter == reference.n_iter and result.message == reference.message
    np.testing.assert_allclose(leaves(result.model), leaves(reference.model), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(result.log_likelihoods, reference.log_likelihoods, rtol=1e-10)


@pytest.fixture(scope="module")
def nig():
    return sample("nig", 600)


# ----------------------------------------------------------- threaded scheduler
@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_dask_fit_equals_in_memory_fit(name):
    start, X = sample(name, 600)
    assert_same_fit(FITTER.fit(start, da.from_array(X, chunks=(170, 2))), FITTER.fit(start, X))


def test_chunk_statistics_add_up_to_the_in_memory_statistics_in_a_fixed_order(nig):
    start, X = nig
    state = NormalInverseGaussian.em_state(start, "cpu")
    family = DaskRows(NormalInverseGaussian, 4)
    reference, ll = NormalInverseGaussian.em_e_step(X, state, "cpu")
    by_chunks = {}
    for rows in (600, 170, 7):
        stats, ll_chunks = family.em_e_step(da.from_array(X, chunks=(rows, 2)), state, "cpu")
        for got, want in zip(stats, reference):
            np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(ll_chunks, ll, rtol=1e-13)
        by_chunks[rows] = leaves(stats)
    with dask.config.set(scheduler="synchronous"):
        again = leaves(family.em_e_step(da.from_array(X, chunks=(7, 2)), state, "cpu")[0])
    np.testing.assert_array_equal(again, by_chunks[7])


def test_degenerate_vg_fit_of_real_returns_is_reported_on_dask():
    """The S&P 500 / NASDAQ VG fit ends with mu on a data row: not converged, in memory and on dask alike."""
    from normix.cli.data import demo_returns
    from normix.fitting.em import EMStatus

    _, X = demo_returns()
    start = VarianceGamma.default_init(X)
    fitter = BatchEMFitter(max_iter=200, tol=1e-5, e_step_backend="cpu", m_step_backend="cpu")
    in_memory = fitter.fit(start, X)
    on_dask = fitter.fit(start, da.from_array(X, chunks=(1000, 2)))
    assert in_memory.status is EMStatus.DEGENERATE and on_dask.status is EMStatus.DEGENERATE
    assert not on_dask.converged and on_dask.message == in_memory.message
    assert on_dask.message.startswith("degenerate fit: mu sits on data row")


def test_dask_fit_of_float32_and_column_chunks(nig):
    start, X = nig
    reference = FITTER.fit(start, X)
    assert_same_fit(FITTER.fit(start, da.from_array(X, chunks=(200, 1))), reference)
    X32 = X.astype(np.float32)
    assert_same_fit(FITTER.fit(start, da.from_array(X32, chunks=(200, 2))), FITTER.fit(start, X32.astype(float)))


def test_bad_chunk_in_memory_is_named(nig):
    start, X = nig
    bad = X.copy()
    bad[[400, 401]] = [np.nan, np.inf]
    with pytest.raises(ValueError, match=r"X chunk 2 \(rows 340 to 509\) holds NaN or inf in 2 row\(s\) "
                                         r"\(rows 400, 401\)"):
        FITTER.fit(start, da.from_array(bad, chunks=(170, 2)))
    narrow = da.from_delayed(dask.delayed(lambda: X[300:, :1])(), shape=(300, 2), dtype=np.float64)
    lying = da.concatenate([da.from_array(X[:300], chunks=(300, 2)), narrow])
    with pytest.raises(ValueError, match=r"X chunk 1 \(rows 300 to 599\) has shape \(300, 1\)"):
        FITTER.fit(start, lying)
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        FITTER.fit(start, da.from_array(X[:, :1], chunks=(100, 1)))
    with pytest.raises(ValueError, match="at least 4 row"):
        FITTER.fit(start, da.from_array(X[:3], chunks=(2, 2)))


def write_chunks(folder, X):
    """X split into a .npy file, a Parquet file of two row groups and a CSV file, in name order."""
    folder.mkdir(exist_ok=True)
    np.save(folder / "part0.npy", X[:250])
    pd.DataFrame(X[250:450], columns=["a", "b"]).to_parquet(folder / "part1.parquet", row_group_size=120)
    pd.DataFrame(X[450:], columns=["a", "b"]).to_csv(folder / "part2.csv", index=False)
    return folder


def test_files_are_read_in_order_as_chunks_and_fitted(nig, tmp_path):
    start, X = nig
    folder = write_chunks(tmp_path / "chunks", X)
    Xd = dask_array_from_files(folder, chunk_rows=100)
    assert Xd.chunks[0] == (100, 100, 50, 120, 80, 150)
    np.testing.assert_allclose(Xd.compute(), X, rtol=1e-15)
    picked = dask_array_from_files(sorted(folder.glob("*.[pc]*")), columns=["b"]).compute()
    np.testing.assert_allclose(picked[:, 0], X[250:, 1], rtol=1e-15)
    assert_same_fit(FITTER.fit(start, Xd), FITTER.fit(start, X))


def test_bad_chunk_files_are_named(nig, tmp_path):
    start, X = nig
    np.save(tmp_path / "a.npy", X[:300])
    np.save(tmp_path / "b.npy", np.column_stack([X[300:], X[300:, :1]]))
    with pytest.raises(ValueError, match=r"'.*b\.npy' has 3 column\(s\), but the first file '.*a\.npy' has 2"):
        dask_array_from_files(tmp_path)
    bad = X[300:].copy()
    bad[123] = np.nan
    np.save(tmp_path / "b.npy", bad)
    with pytest.raises(ValueError, match=r"'.*b\.npy' \(file rows 100 to 199\) holds NaN or inf in 1 row\(s\) "
                                         r"\(file rows 123\)"):
        FITTER.fit(start, dask_array_from_files(tmp_path, chunk_rows=100))
    with pytest.raises(ValueError, match="at least one chunk file"):
        dask_array_from_files(tmp_path / "*.parquet")
    with pytest.raises(ValueError, match="must end with one of"):
        dask_array_from_files([tmp_path / "a.txt"])
    pd.DataFrame(X, columns=["a", "b"]).to_parquet(tmp_path / "c.parquet")
    with pytest.raises(ValueError, match=r"no column\(s\) \['z'\]"):
        dask_array_from_files(tmp_path / "c.parquet", columns=["z"])
    pd.DataFrame({"a": X[:10, 0], "b": ["x"] * 10}).to_csv(tmp_path / "e.csv", index=False)
    with pytest.raises(ValueError, match=r"'.*e\.csv' \(file rows 0 to 9\): column 'b' .* is not numeric"):
        dask_array_from_files(tmp_path / "e.csv").compute()
    np.save(tmp_path / "d.npy", X.ravel())
    with pytest.raises(ValueError, match="2-D C-ordered numeric array"):
        dask_array_from_files(tmp_path / "d.npy")


# ----------------------------------------------------------- dask.distributed
@pytest.mark.slow
def test_local_cluster_fit_survives_a_killed_worker(tmp_path):
    from dask.distributed import Client, LocalCluster

    start, X = sample("nig", 40_000)
    for j, part in enumerate(np.array_split(X, 8)):
        np.save(tmp_path / f"part{j}.npy", part)
    fitter = BatchEMFitter(max_iter=8, tol=1e-12, e_step_backend="cpu", m_step_backend="cpu")
    reference = fitter.fit(start, X)
    with dask.config.set({"distributed.scheduler.allowed-failures": 10}), \
            LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        Xd = dask_array_from_files(tmp_path, chunk_rows=1000)
        assert_same_fit(fitter.fit(start, Xd), reference)
        pids = client.run(os.getpid)
        outcome = {}
        worker = threading.Thread(target=lambda: outcome.update(result=fitter.fit(start, Xd)))
        worker.start()
        victim = None
        while victim is None and worker.is_alive():
            busy = [address for address, keys in client.processing().items() if keys and address in pids]
            victim = busy[0] if busy else None
            time.sleep(0.01)
        assert victim is not None, "the fit ended before a worker could be killed"
        os.kill(pids[victim], signal.SIGKILL)
        worker.join()
        assert victim not in client.scheduler_info()["workers"] or client.run(os.getpid).get(victim) != pids[victim]
    assert_same_fit(outcome["result"], reference)


OUT_OF_CORE = textwrap.dedent("""
    import resource, sys, numpy as np
    import normix
    from normix import BatchEMFitter, NormalInverseGaussian
    from normix.fitting.distributed import dask_array_from_files

    path, headroom, chunk_rows = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    def status(key):
        for line in open("/proc/self/status"):
            if line.startswith(key):
                return int(line.split()[1]) * 1024
    X = np.load(path, mmap_mode="r")
    start = NormalInverseGaussian.default_init(np.array(X[:20000]))
    fitter = BatchEMFitter(max_iter=3, tol=1e-12, e_step_backend="cpu", m_step_backend="cpu")
    fitter.fit(start, np.array(X[:20000]))
    del X
    baseline, rss_before = status("VmSize"), status("VmRSS")
    resource.setrlimit(resource.RLIMIT_AS, (baseline + headroom, baseline + headroom))
    result = fitter.fit(start, dask_array_from_files(path, chunk_rows=chunk_rows))
    print(baseline, rss_before, status("VmHWM"), result.n_iter, *result.log_likelihoods)
""")


@pytest.mark.slow
def test_out_of_core_fit_under_an_address_space_limit(tmp_path):
    headroom, rows, d = 384 << 20, 13_000_000, 16
    path = tmp_path / "big.npy"
    big = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64, shape=(rows, d))
    rng = np.random.default_rng(0)
    for first in range(0, rows, 1_000_000):
        block = rng.standard_t(6.0, size=(min(1_000_000, rows - first), d))
        big[first:first + block.shape[0]] = block + 0.3 * np.abs(block[:, :1])
    big.flush()
    del big
    size = path.stat().st_size
    assert size > 4 * headroom
    proc = subprocess.run([sys.executable, "-c", OUT_OF_CORE, str(path), str(headroom), "250000"], cwd=REPO,
                          capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    baseline, rss_before, peak_rss, n_iter, *lls = proc.stdout.split()
    assert int(n_iter) == 3 and len(lls) == 3
    lls = np.asarray(lls, dtype=float)
    assert np.all(np.isfinite(lls)) and np.all(np.diff(lls) > 0)
    print(f"file {size / 2**30:.2f} GiB, address space limit {int(baseline) / 2**30:.2f} GiB + "
          f"{headroom / 2**20:.0f} MiB, RSS {int(rss_before) / 2**20:.0f} MiB before the fit, "
          f"peak {int(peak_rss) / 2**20:.0f} MiB")
