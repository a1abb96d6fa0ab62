"""Helpers shared by the benchmark scripts in this folder.

Every performance target of normix is a ratio measured in one run on one machine:
our time over a reference time.  The usual reference is the speed floor F(n), the
best-of-5 wall time of one vectorised ``log(scipy.special.kve(v, z)) - z`` call over n
values, v uniform in [-5, 5], z log-uniform in [1e-3, 50], seed 0 (the definition in
the project's design notes; ``asv_bench/benchmarks/common.py`` uses the same one).

A script times its cases with :func:`best_time`, collects rows
``(case, ours, reference)`` and prints them with :func:`print_table`.
"""
import time

import numpy as np
import scipy.special as sc


def floor_inputs(n, seed=0):
    """The (v, z) arrays of F(n): v uniform in [-5, 5], z log-uniform in [1e-3, 50]."""
    rng = np.random.default_rng(seed)
    return rng.uniform(-5, 5, n), np.exp(rng.uniform(np.log(1e-3), np.log(50), n))


def best_time(f, reps=5):
    """Best wall time in seconds of ``f()`` over ``reps`` runs, after one untimed warm-up.

    The warm-up absorbs numba compilation and JAX tracing; a result with
    ``block_until_ready`` (a JAX array) is awaited inside the timed region.
    """
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
    """F(n) in seconds: best-of-``reps`` time of ``log(kve(v, z)) - z`` over n floor inputs."""
    v, z = floor_inputs(n)
    return best_time(lambda: np.log(sc.kve(v, z)) - z, reps)


def print_table(rows, reference="floor"):
    """Print ``case | ours | <reference> | ratio`` with times in ms and ratio = ours / reference.

    ``rows`` is a sequence of ``(case, ours_seconds, reference_seconds)``.
    """
    width = max([len("case")] + [len(case) for case, _, _ in rows])
    print(f"{'case':<{width}} | {'ours ms':>10} | {reference + ' ms':>12} | {'ratio':>6}")
    print(f"{'-' * width}-+-{'-' * 10}-+-{'-' * 12}-+-{'-' * 6}")
    for case, ours, ref in rows:
        print(f"{case:<{width}} | {ours * 1e3:>10.2f} | {ref * 1e3:>12.2f} | {ours / ref:>6.2f}")
