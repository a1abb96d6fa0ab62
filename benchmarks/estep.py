"""The fused E-step ``estep_statistics`` against the speed floor F(n), measured in the same run.

Data are drawn from each family's own model (GH, NIG, VG, NInvG) in dimension d,
so the posterior GIG arguments are those an EM fit meets.  One row per (backend,
family, d, n): our best time, F(n) and the ratio.  Target: CPU GH, d = 10,
n = 1e5 <= 1.2 F(n).  The JAX twin is timed jitted and warm.

``--memory`` also reports the CPU path's peak memory above the baseline for
n = 1e6, d = 10 and (BLAS path) n = 2e5, d = 100 (target: at most twice the size of
X), measured in a fresh process
both by ``tracemalloc`` (numpy allocations) and by the resident set's high-water mark
(everything: numba, BLAS; Linux ``/proc/self``).

Usage: python benchmarks/estep.py [--n 1e4 1e5 1e6] [--d 2 10 50] [--family GH NIG VG NInvG]
                                  [--backend cpu jax] [--reps 5] [--memory]
"""
import argparse
import subprocess
import sys

import jax
import numba
import numpy as np

import normix  # noqa: F401  (float64 in JAX)
from common import best_time, floor_time, print_table
from normix._kernels import estep_cpu, estep_jax
from normix._kernels.gig_sampler_cpu import gig_sample

FAMILIES = {"GH": (1.0, 2.0, 1.0), "NIG": (-0.5, 2.0, 1.0), "VG": (2.0, 4.0, 0.0), "NInvG": (-3.0, 0.0, 6.0)}
TARGET = ("cpu GH d=10 n=1e+05", 1.2)


def model_problem(family, n, d, seed=0):
    """(X, mu, gamma, L_Sigma, p, a, b) with X drawn from the family's model."""
    p, a, b = FAMILIES[family]
    rng = np.random.default_rng(seed)
    mu = 0.1 * rng.standard_normal(d)
    gamma = 0.2 * rng.standard_normal(d)
    A = rng.standard_normal((d, d))
    L = np.linalg.cholesky(A @ A.T / d + np.eye(d))
    y = gig_sample(p, a, b, n, seed=seed)
    X = mu + np.outer(y, gamma) + np.sqrt(y)[:, None] * (rng.standard_normal((n, d)) @ L.T)
    return X, mu, gamma, L, p, a, b


_JAX_STATS = jax.jit(estep_jax.estep_statistics)  # p, a, b traced: one compile per (n, d)


def runner(backend, args):
    if backend == "cpu":
        return lambda: estep_cpu.estep_statistics(*args)
    device_args = [jax.device_put(np.asarray(x, dtype=np.float64)) for x in args]
    return lambda: jax.block_until_ready(_JAX_STATS(*device_args))


_MEMORY_SCRIPT = """
import sys, tracemalloc, numpy as np
sys.path.insert(0, {here!r})
from estep import model_problem
from normix._kernels import estep_cpu

def status_mib(field):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field)) / 1024

args = model_problem("GH", {n}, {d})
estep_cpu.estep_statistics(*(a[:1000] if isinstance(a, np.ndarray) and a.ndim == 2 else a for a in args))
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
base = status_mib("VmRSS")
tracemalloc.start()
estep_cpu.estep_statistics(*args)
traced = tracemalloc.get_traced_memory()[1] / 2**20
tracemalloc.stop()
print(args[0].nbytes / 2**20, traced, status_mib("VmHWM") - base)
"""


def memory_report(sizes=((1_000_000, 10), (200_000, 100))):
    """Peak memory of one CPU call above the baseline (Linux: resets and reads VmHWM in /proc/self)."""
    here = sys.path[0]
    print()
    for n, d in sizes:
        script = _MEMORY_SCRIPT.format(here=here, n=n, d=d)
        out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
        size_x, traced, rss = (float(v) for v in out.stdout.split())
        print(f"CPU estep_statistics, GH, n = {n:.0e}, d = {d}: X is {size_x:.1f} MiB; peak above baseline "
              f"{traced:.2f} MiB by tracemalloc, {rss:.2f} MiB by resident-set high-water mark "
              f"({max(traced, rss) / size_x:.3f} x X; target <= 2)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=float, nargs="+", default=[1e4, 1e5, 1e6])
    parser.add_argument("--d", type=int, nargs="+", default=[2, 10, 50])
    parser.add_argument("--family", nargs="+", default=list(FAMILIES), choices=list(FAMILIES))
    parser.add_argument("--backend", nargs="+", default=["cpu", "jax"], choices=["cpu", "jax"])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--memory", action="store_true")
    opts = parser.parse_args()
    print(f"numba threads = {numba.get_num_threads()}, JAX device = {jax.devices()[0]}")
    rows = []
    for n in (int(x) for x in opts.n):
        floor = floor_time(n, opts.reps)
        for d in opts.d:
            for family in opts.family:
                args = model_problem(family, n, d)
                for backend in opts.backend:
                    ours = best_time(runner(backend, args), opts.reps)
                    rows.append((f"{backend} {family} d={d} n={n:.0e}", ours, floor))
    print_table(rows)
    target = [ours / ref for case, ours, ref in rows if case == TARGET[0]]
    if target:
        verdict = "met" if target[0] <= TARGET[1] else "missed"
        print(f"target {TARGET[0]} <= {TARGET[1]} F(n): {target[0]:.2f} ({verdict})")
    if opts.memory:
        memory_report()


if __name__ == "__main__":
    main()
