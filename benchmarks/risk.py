"""Portfolio risk: exact VaR and ES, contributions and the min-ES portfolio, and Monte-Carlo ES for comparison.

Models: GH fitted by EM (CPU E-step) to 20,000 draws of a GH law with a random
well-conditioned Σ, in d = 50 and d = 100 (the fits are not timed).  Cases and goals
(2 cores):

* VaR and ES at 3 levels (0.95, 0.99, 0.999) of 1e4 long-only portfolios, d = 50: <= 0.5 s;
* ES with its exact Euler contributions, d = 100, one portfolio per call: <= 1 ms
  (also reported per portfolio for a batch of 1,000);
* the long-only min-ES portfolio (0.99), d = 100: <= 2 s;
* Monte-Carlo ES from 1e6 draws of X (sample VaR, mean of the losses beyond it), d = 50,
  against the exact value: its relative error over 5 seeds and its time.

The table prints ours / the floor F(n) of ``benchmarks/common.py`` measured in the same
run (n = the number of (portfolio, level) pairs, or 1 per portfolio) and, beside each
wall time, the process's CPU time (on a shared machine the CPU time of single-threaded
work estimates the idle wall time).

Usage: python benchmarks/risk.py
"""
import time

import numpy as np

from common import best_time, floor_time, print_table
from normix import GeneralizedHyperbolic
from normix.risk import expected_shortfall, optimize_portfolio, risk_contributions, tail_risk

LEVELS = [0.95, 0.99, 0.999]


def fitted_model(d, n=20_000, seed=0):
    """GH fitted to n draws of a GH law with random μ, γ (daily-return scales) and Σ."""
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(d, d))
    sigma = 1e-4 * (A @ A.T / d + 0.5 * np.eye(d))
    truth = GeneralizedHyperbolic.from_classical(mu=5e-4 * rng.normal(size=d), gamma=-5e-4 * rng.uniform(size=d),
                                                 sigma=sigma, p=-1.0, a=1.5, b=1.5)
    X = np.asarray(truth.rvs(n, seed=seed + 1))
    return GeneralizedHyperbolic.default_init(X).fit(X, e_step_backend="cpu", max_iter=200).model


def timed(f, reps=5):
    """(best wall time, CPU time of the same run) in seconds after one warm-up."""
    f()
    best, best_cpu = float("inf"), float("inf")
    for _ in range(reps):
        t0, c0 = time.perf_counter(), time.process_time()
        f()
        best, best_cpu = min(best, time.perf_counter() - t0), min(best_cpu, time.process_time() - c0)
    return best, best_cpu


def monte_carlo_es(model, w, level, n, seed):
    losses = -(np.asarray(model.rvs(n, seed=seed)) @ w)
    var = np.quantile(losses, level)
    return losses[losses >= var].mean()


def main():
    rng = np.random.default_rng(1)
    model50, model100 = fitted_model(50), fitted_model(100)
    W = rng.dirichlet(np.ones(50), size=10_000)
    w100 = rng.dirichlet(np.ones(100))
    W100 = rng.dirichlet(np.ones(100), size=1000)

    cases = []  # (case, wall, cpu, goal or None, n for the floor or None)
    wall, cpu = timed(lambda: tail_risk(model50, W, LEVELS), 3)
    cases.append(("VaR+ES, 3 levels, 1e4 portfolios, d=50", wall, cpu, 0.5, W.shape[0] * len(LEVELS)))
    wall, cpu = timed(lambda: risk_contributions(model100, w100, 0.99), 20)
    cases.append(("ES + contributions, d=100, one call", wall, cpu, 1e-3, None))
    wall, cpu = timed(lambda: risk_contributions(model100, W100, 0.99), 3)
    cases.append(("ES + contributions, d=100, 1000 per call", wall, cpu, None, W100.shape[0]))
    result = optimize_portfolio(model100, "es", 0.99)
    wall, cpu = timed(lambda: optimize_portfolio(model100, "es", 0.99), 3)
    cases.append((f"min-ES long-only, d=100, {result.n_iter} iterations", wall, cpu, 2.0, None))

    print_table([(case, wall, floor_time(n)) for case, wall, _, _, n in cases if n is not None])
    print()
    width = max(len(case) for case, *_ in cases)
    print(f"{'case':<{width}} | {'wall ms':>9} | {'CPU ms':>9} | {'goal ms':>8}")
    print(f"{'-' * width}-+-{'-' * 9}-+-{'-' * 9}-+-{'-' * 8}")
    for case, wall, cpu, goal, _ in cases:
        print(f"{case:<{width}} | {wall * 1e3:>9.2f} | {cpu * 1e3:>9.2f} | "
              f"{'' if goal is None else f'{goal * 1e3:.0f}':>8}")
    print(f"min-ES portfolio: success={result.success}, ES={result.risk:.6g}, "
          f"{int(np.sum(result.weights > 1e-8))} of 100 assets held")

    w = np.full(50, 1 / 50)
    print("\nMonte-Carlo ES (1e6 draws of X, d = 50, equal weights) against the exact value")
    print(f"{'level':>6} | {'exact ES':>12} | {'MC mean rel. error':>18} | {'MC max rel. error':>17} | "
          f"{'MC s':>6} | {'exact ms':>8}")
    for level in (0.975, 0.99):
        exact = float(expected_shortfall(model50, w, level))
        errors = []
        begin = time.perf_counter()
        for seed in range(5):
            errors.append(abs(monte_carlo_es(model50, w, level, 1_000_000, seed) / exact - 1))
        mc_time = (time.perf_counter() - begin) / 5
        ours, _ = timed(lambda: expected_shortfall(model50, w, level), 20)
        print(f"{level:>6} | {exact:>12.6g} | {np.mean(errors):>18.2e} | {np.max(errors):>17.2e} | "
              f"{mc_time:>6.2f} | {ours * 1e3:>8.3f}")
    print("(exact: ES of test_measures.py, within 1e-10 of mpmath quadrature)")


if __name__ == "__main__":
    main()
