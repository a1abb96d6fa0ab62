"""Fits from several Python threads at once, and many fits in one process.

The numba kernels release the GIL (``nogil=True``) and set their thread count per
calling thread, so concurrent fits must give exactly the sequential results.  Memory:
after a warm-up, 1,000 consecutive small fits must not grow the resident set size.
"""
import gc
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import psutil
import pytest

from normix import NormalInverseGaussian, VarianceGamma
from robustness_helpers import model_bits

# Allowed growth of the resident set over the 1,000 fits (a leak of one model or one
# data copy per fit would exceed it many times over).
_RSS_GROWTH_LIMIT_MB = 25.0


def _start(cls):
    sub = {"mu_ig": 1.0, "lam": 1.2} if cls is NormalInverseGaussian else {"alpha": 2.0, "beta": 2.0}
    return cls.from_classical(mu=np.zeros(3), gamma=np.array([0.3, -0.2, 0.1]), sigma=np.eye(3), **sub)


def _fit(args):
    cls, X, backend = args
    result = _start(cls).fit(X, max_iter=12, tol=1e-12, e_step_backend=backend, m_step_backend=backend)
    return model_bits(result.model), np.asarray(result.log_likelihoods).tobytes()


@pytest.mark.parametrize("backend", ["cpu", pytest.param("jax", marks=pytest.mark.slow)])
def test_threaded_fits_equal_sequential_fits(backend):
    jobs = [(cls, _start(cls).rvs(n, seed=seed), backend)
            for seed, (cls, n) in enumerate([(NormalInverseGaussian, 6000), (VarianceGamma, 300),
                                             (NormalInverseGaussian, 300), (VarianceGamma, 6000)])]
    sequential = [_fit(job) for job in jobs]
    with ThreadPoolExecutor(max_workers=4) as pool:
        threaded = list(pool.map(_fit, jobs + jobs))
    assert threaded == sequential + sequential


def _rss_mb():
    return psutil.Process().memory_info().rss / 2**20


def run_small_fits(count, X):
    model = _start(NormalInverseGaussian)
    for _ in range(count):
        model_fit = model.fit(X, max_iter=10, tol=1e-12, e_step_backend="cpu", m_step_backend="cpu")
        assert np.isfinite(model_fit.log_likelihoods[-1])


@pytest.mark.slow
def test_one_thousand_small_fits_do_not_grow_memory():
    X = _start(NormalInverseGaussian).rvs(200, seed=0)
    run_small_fits(100, X)  # warm-up: compilation caches, allocator pools
    gc.collect()
    before = _rss_mb()
    run_small_fits(1000, X)
    gc.collect()
    growth = _rss_mb() - before
    print(f"RSS before {before:.1f} MB, growth over 1000 fits {growth:.2f} MB")
    assert growth < _RSS_GROWTH_LIMIT_MB
