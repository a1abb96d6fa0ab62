"""Rolling VaR/ES backtest of the S&P 500 / NASDAQ 60/40 portfolio: wall time and refit statistics.

The case of the performance target: the daily log-returns (per cent) of the ``arch``
package's S&P 500 and NASDAQ Composite series, 5,030 days; NIG refitted every day on a
window of 1,000 days (4,030 refits), levels 0.99 and 0.975, the Z2 p-value from 1,000
simulated paths.  Goal: <= 60 s on 2 cores.

Refits start from the previous day's fit and stop at ``tol`` (relative change of μ, γ,
L_Σ per EM iteration) or ``max_iter`` iterations.  The script reports how many refits
ran out of ``max_iter``, and how far the forecasts of the budgeted refits are from
those of a chain of refits run to tol = 1e-9 on the first ``--check`` days: the price
of the budget in VaR and ES.

The refits of windows of 1000 rows run on one thread (the E-step kernel's serial
variant), so on a machine shared with other work the process's CPU time, printed
beside the wall time, is the better estimate of the wall time on an idle machine.

The table compares the time of one EM iteration (the fits' wall time over the
iterations run) with the floor F(1000) of ``benchmarks/common.py`` measured in the same
run.

Usage: ``python benchmarks/backtest.py [--tol 1e-5] [--max-iter 50] [--check 250]``
"""
import argparse
import os
import time

import numpy as np

from common import floor_time, print_table


def demo_returns_percent():
    from normix.cli.backtest import demo_frame

    return 100.0 * demo_frame()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tol", type=float, default=1e-5)
    parser.add_argument("--max-iter", type=int, default=50)
    parser.add_argument("--window", type=int, default=1000)
    parser.add_argument("--family", default="nig")
    parser.add_argument("--check", type=int, default=250, help="days of the tight-tolerance comparison (0: none)")
    args = parser.parse_args()

    from normix.risk.backtest import backtest

    returns = demo_returns_percent()
    weights, levels = [0.6, 0.4], [0.99, 0.975]
    backtest(returns.iloc[:args.window + 3], weights, levels, args.family, args.window, progress=False)  # compile

    begin, begin_cpu = time.perf_counter(), time.process_time()
    result = backtest(returns, weights, levels, args.family, args.window, max_iter=args.max_iter, tol=args.tol,
                      progress=None)
    wall, cpu = time.perf_counter() - begin, time.process_time() - begin_cpu
    fits = result.fits
    warm = fits.n_iter[1:]
    print(f"{args.family.upper()} rolling backtest: {result.losses.size} forecast days, window {args.window}, daily "
          f"refit, levels {levels}; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPU(s)")
    print(f"wall time {wall:.1f} s (goal <= 60 s), CPU time of the process {cpu:.1f} s; refits: {result.status_counts}; warm refits: "
          f"{warm.mean():.1f} EM iterations on average, max {warm.max()}, {fits.status.count('max_iter')} of "
          f"{warm.size} hit max_iter = {args.max_iter} (tol = {args.tol:g}); first fit {fits.n_iter[0]} iterations")
    print()
    print(result.summary())
    print()

    per_iteration = wall / fits.n_iter.sum()
    print_table([(f"wall time per EM iteration, n = {args.window}", per_iteration, floor_time(args.window))])

    if args.check:
        head = returns.iloc[:args.window + args.check]
        budget = backtest(head, weights, levels, args.family, args.window, max_iter=args.max_iter, tol=args.tol,
                          progress=False)
        tight = backtest(head, weights, levels, args.family, args.window, max_iter=5000, tol=1e-9, progress=False)
        var_gap = np.max(np.abs(budget.var / tight.var - 1.0))
        es_gap = np.max(np.abs(budget.es / tight.es - 1.0))
        print(f"\nfirst {args.check} days, tol = {args.tol:g} / max_iter = {args.max_iter} against tol = 1e-9: "
              f"max relative difference VaR {var_gap:.2e}, ES {es_gap:.2e}; tight chain "
              f"{tight.fits.n_iter[1:].mean():.1f} iterations per refit, {tight.status_counts}")


if __name__ == "__main__":
    main()
