"""Where each numba array kernel's parallel variant starts to beat its serial one.

Every array kernel is compiled twice from one body (``normix._kernels._numba.array_kernel``)
and a call picks the serial variant up to a threshold of ``normix._kernels._constants``.
For each kernel this script times both variants on the same inputs over sizes 2^k (in the
unit of the kernel's outer loop: elements, problems, rows, random-stream blocks) and prints
per-call times (the fastest of many calls, the time no other process delayed), their
ratio, and the crossover: the smallest size from which the parallel variant is faster at
every larger size measured.  Run it on an idle machine; the number of threads is numba's
default (``NUMBA_NUM_THREADS``), printed in the header.

Usage: python benchmarks/serial_threshold.py [--only bessel gig_moments ...] [--reps 200]
"""
import argparse
import time

import numba
import numpy as np

from common import floor_inputs
from normix._kernels import _constants, bessel_cpu, digamma_cpu, estep_cpu, gig_cdf_cpu, gig_cpu, gig_sampler_cpu
from normix._kernels._constants import GIG_SAMPLE_BLOCK
from normix._kernels.parity_cases.estep import problem
from normix._kernels.stream_sampler_cpu import stream_states


def per_call(f, reps, budget=0.5):
    """Fastest of ``reps`` single calls of ``f()`` (after a warm-up), fewer if they take over ``budget`` seconds.

    The fastest call is the one no other process delayed: what an idle machine gives.
    """
    f()
    best = float("inf")
    start = time.perf_counter()
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        t1 = time.perf_counter()
        best = min(best, t1 - t0)
        if t1 - start > budget:
            break
    return best


def _gig_params(n, rng):
    return rng.uniform(-3.0, 3.0, n), np.exp(rng.uniform(-3.0, 3.0, n)), np.exp(rng.uniform(-3.0, 3.0, n))


def bessel(n, rng):
    v, z = floor_inputs(n)
    return bessel_cpu._KERNELS["log_kv"], (v, z, np.empty((1, n)))


def gig_moments(n, rng):
    return gig_cpu._moments_kernel, (*_gig_params(n, rng), np.empty((3, n)))


def digamma_inv(n, rng):
    return digamma_cpu._digamma_inv_kernel, (-np.exp(rng.uniform(-8.0, 4.0, n)), np.empty(n))


def gig_cdf(n, rng):
    p, a, b = _gig_params(n, rng)
    x = np.exp(rng.uniform(-2.0, 2.0, n)) * np.sqrt(b / a)
    return gig_cdf_cpu._cdf_kernel, (p, a, b, x, np.empty(n))


def gig_eta_to_theta(n, rng):
    eta = np.stack(gig_cpu.gig_moments(*_gig_params(n, rng)), axis=-1)
    theta0 = np.full((n, 3), np.nan)
    outputs = (np.empty((n, 3)), np.empty(n, dtype=np.bool_), np.empty(n, dtype=np.int64))
    return gig_cpu._solve_kernel, (np.ascontiguousarray(eta), theta0, 500, 1e-10, *outputs)


def estep(n, rng):
    X, mu, gamma, L, p, a, b = problem(rng, n, 2, -0.5, 1.0, 1.0)
    acc = np.empty((estep_cpu.part_count(n), estep_cpu.N_SCALARS + 2 * 2 + 3))
    return estep_cpu._fused_kernel, (X, mu, L, gamma, float(p), float(a), float(b), acc)


def gig_sample(blocks, rng):
    regime, c, d, invert = gig_sampler_cpu._setup(-0.5, 1.0, 1.0)
    out = np.empty(blocks * GIG_SAMPLE_BLOCK)
    return gig_sampler_cpu._fill, (stream_states(0, blocks), regime, c, d, invert, out)


# kernel -> (input builder, name of its threshold in _constants, sizes timed)
KERNELS = {
    "bessel": (bessel, "LOG_KV_SERIAL_MAX_SIZE", [2**k for k in range(2, 12)]),
    "gig_moments": (gig_moments, "LOG_KV_SERIAL_MAX_SIZE", [2**k for k in range(2, 12)]),
    "digamma_inv": (digamma_inv, "DIGAMMA_INV_SERIAL_MAX_SIZE", [2**k for k in range(4, 14)]),
    "gig_cdf": (gig_cdf, "GIG_CDF_SERIAL_MAX_SIZE", [2**k for k in range(1, 12)]),
    "gig_eta_to_theta": (gig_eta_to_theta, "GIG_SERIAL_MAX_PROBLEMS", [2**k for k in range(0, 8)]),
    "estep": (estep, "ESTEP_SERIAL_MAX_ROWS", [2**k for k in range(6, 16)]),
    "gig_sample": (gig_sample, "GIG_SAMPLE_SERIAL_MAX_BLOCKS", [1, 2, 4]),
}


def crossover(sizes, serial, parallel):
    """Smallest size from which the parallel time is below the serial one at every larger size, or None."""
    found = None
    for size, s, p in zip(sizes, serial, parallel):
        if p < s:
            found = size if found is None else found
        else:
            found = None
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=list(KERNELS), default=list(KERNELS))
    parser.add_argument("--reps", type=int, default=200)
    opts = parser.parse_args()
    print(f"numba threads = {numba.get_num_threads()}, threading layer = {numba.config.THREADING_LAYER}")
    for name in opts.only:
        build, threshold, sizes = KERNELS[name]
        rng = np.random.default_rng(0)
        serial, parallel = [], []
        print(f"\n{name} ({threshold} = {getattr(_constants, threshold)})")
        print(f"{'size':>7} | {'serial us':>10} | {'parallel us':>11} | {'par/ser':>7}")
        for size in sizes:
            kernel, args = build(size, rng)
            serial.append(per_call(lambda: kernel.serial(*args), opts.reps))
            parallel.append(per_call(lambda: kernel.parallel(*args), opts.reps))
            print(f"{size:>7} | {serial[-1] * 1e6:>10.1f} | {parallel[-1] * 1e6:>11.1f} | {parallel[-1] / serial[-1]:>7.2f}")
        print(f"crossover: parallel faster from size {crossover(sizes, serial, parallel)}")


if __name__ == "__main__":
    main()
