"""Factor-structured Sigma against the full-Sigma fit: time per EM iteration and memory, in one run.

NIG with d = 500, k = 5, n = 1e5 rows drawn from a model whose Sigma = B Bᵀ + diag(D).
Both run on the CPU backends from the same start; one iteration is one E-step + M-step of
the family the EM loop drives (the mixture class, or its ``FactorFamily``), so the fixed
costs of a fit (data validation, the start, the final model) are left out.  The two are
timed in turn, ``--reps`` times each (full, factor, full, ...), so that each pair sees the
same load; the table shows the best time of each, then the ratio of each pair.
Memory: the peak of the allocations of one E-step + M-step (``tracemalloc``: numpy
buffers, the E-step's part accumulators and BLAS blocks included; the rows themselves,
400 MB here, are not) and the size of the E-step's statistics.  Goal: the factor iteration
>= 10x faster than the full one.

Measured with two numba threads (``--reps 5``)::

                s / iteration    peak MB   stats MB
        full           4.2046      74.78      2.008
      factor           0.3131       2.23      0.032
    ratio full / factor of each interleaved pair: 13.3x, 13.8x, 13.6x, 14.5x, 14.5x  (median 13.8x)
    ratio full / factor: time 13.4x (best of each), peak memory 33.5x, statistics 62.8x

The factor E-step's time is about half the GIG work of its rows (the full E-step does the
same GIG work) and half its O(n d k) sums; the full one is dominated by its two
O(n d²) BLAS products (whitening and S6).

Usage: python benchmarks/em_factor.py [--d 500] [--k 5] [--n 100000] [--reps 3]
"""
import argparse
import time
import tracemalloc

import numpy as np

from normix import NormalInverseGaussian
from normix._em.factor import FactorFamily


def data(d, k, n, seed=0):
    rng = np.random.default_rng(seed)
    B = rng.standard_normal((d, k))
    D = rng.uniform(0.2, 1.0, d)
    model = NormalInverseGaussian.from_classical(mu=np.full(d, 0.05), gamma=0.05 * rng.standard_normal(d),
                                                 sigma=B @ B.T + np.diag(D), mu_ig=1.0, lam=1.0)
    return model.rvs(n, seed=seed)


def iteration(family, model, X):
    """A function timing one EM iteration (E-step + M-step on the CPU) of ``family`` from ``model``."""
    state = family.em_state(model, "cpu")

    def run():
        start = time.perf_counter()
        stats, _ = family.em_e_step(X, state, "cpu")
        family.em_m_step(stats, state, "cpu", "newton")
        return time.perf_counter() - start

    run()
    return run


def interleaved_times(runs, reps):
    """``reps`` timings of each of ``runs``, taken in turn (full, factor, full, ...) so that both see the same load."""
    times = [[] for _ in runs]
    for _ in range(reps):
        for run, out in zip(runs, times):
            out.append(run())
    return [np.array(t) for t in times]


def peak_memory(family, model, X, k=None):
    """Peak bytes allocated (tracemalloc) during one E-step + M-step, and the size of the E-step's statistics."""
    state = family.em_state(model, "cpu")
    tracemalloc.start()
    stats, _ = family.em_e_step(X, state, "cpu")
    family.em_m_step(stats, state, "cpu", "newton")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    d = X.shape[1]
    return peak, (3 * d + d * k if k else 2 * d + d * d) * 8


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--d", type=int, default=500)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    X = data(args.d, args.k, args.n)
    model = NormalInverseGaussian.default_init(X)
    factor = FactorFamily(NormalInverseGaussian, args.k)
    full_times, factor_times = interleaved_times([iteration(NormalInverseGaussian, model, X),
                                                  iteration(factor, model, X)], args.reps)
    t_full, t_factor = full_times.min(), factor_times.min()
    ratios = full_times / factor_times
    m_full, s_full = peak_memory(NormalInverseGaussian, model, X)
    m_factor, s_factor = peak_memory(factor, model, X, args.k)
    print(f"NIG, d = {args.d}, k = {args.k}, n = {args.n}, CPU backends")
    print(f"{'':>8} {'s / iteration':>14} {'peak MB':>10} {'stats MB':>10}")
    print(f"{'full':>8} {t_full:>14.4f} {m_full / 1e6:>10.2f} {s_full / 1e6:>10.3f}")
    print(f"{'factor':>8} {t_factor:>14.4f} {m_factor / 1e6:>10.2f} {s_factor / 1e6:>10.3f}")
    print("ratio full / factor of each interleaved pair: " + ", ".join(f"{r:.1f}x" for r in ratios)
          + f"  (median {np.median(ratios):.1f}x)")
    print(f"ratio full / factor: time {t_full / t_factor:.1f}x (best of each), peak memory {m_full / m_factor:.1f}x, "
          f"statistics {s_full / s_factor:.1f}x  (goal: time >= 10x)")


if __name__ == "__main__":
    main()
