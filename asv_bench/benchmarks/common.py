"""Setup shared by the asv benchmarks: the speed floor F(n) and its inputs.

F(n) is the best-of-5 wall time of one vectorised ``log(scipy.special.kve(v, z)) - z``
call over n values, v uniform in [-5, 5], z log-uniform in [1e-3, 50], seed 0: the
definition in the project's design notes, also used by ``benchmarks/common.py`` at the
repository root.  ``track_*`` benchmarks divide a best-of-5 time of ours by it (or by
another reference) measured in the same process, so the ratio does not depend on the
machine.
"""
import time

import numpy as np
import scipy.special as sc


def floor_inputs(n, seed=0):
    """The (v, z) arrays of F(n): v uniform in [-5, 5], z log-uniform in [1e-3, 50]."""
    rng = np.random.default_rng(seed)
    return rng.uniform(-5, 5, n), np.exp(rng.uniform(np.log(1e-3), np.log(50), n))


def best_time(f, reps=5):
    """Best wall time in seconds of ``f()`` over ``reps`` runs after one warm-up (JAX results awaited)."""
    f()
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        result = f()
        if hasattr(result, "block_until_ready"):
            result.block_until_ready()
        best = min(best, time.perf_counter() - t0)
    return best


def floor_time(n, reps=5):
    """F(n) in seconds."""
    v, z = floor_inputs(n)
    return best_time(lambda: np.log(sc.kve(v, z)) - z, reps)
