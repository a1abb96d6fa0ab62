"""Univariate laws of a mixture: log F, log sf and ppf of one NIG and one GH law (numba twin).

Prints ours / floor F(n) / ratio for n = 1e6 points (goals: log F and log sf <= 4 F(n), ppf
<= 12 F(n)), and the per-point ratio scipy.stats.genhyperbolic(...).cdf / .ppf over ours on
1e3 points (goal >= 1000).  Usage: python benchmarks/univariate_cdf.py [n]
"""
import sys

import numpy as np
import scipy.stats as st

from common import best_time, floor_time, print_table
from normix._kernels import univariate_cdf_cpu as cpu

LAWS = {"NIG": (5e-4, -2e-3, 1e-2, -0.5, 1.0, 1.0), "GH": (5e-4, -2e-3, 1e-2, 1.5, 2.0, 0.5)}


def scipy_law(m, g, s, p, a, b):
    beta = g / s**2
    delta = s * np.sqrt(b)
    return st.genhyperbolic(p, np.sqrt(a / s**2 + beta**2) * delta, beta * delta, m, delta)


def main(n):
    rng = np.random.default_rng(0)
    floor = floor_time(n)
    rows = []
    for name, law in LAWS.items():
        x = cpu.univariate_ppf(rng.uniform(0.001, 0.999, n), *law)
        q = rng.uniform(0.0, 1.0, n)
        rows.append((f"{name} logcdf n={n}", best_time(lambda: cpu.univariate_logcdf(x, *law), 3), floor))
        rows.append((f"{name} logsf n={n}", best_time(lambda: cpu.univariate_logsf(x, *law), 3), floor))
        rows.append((f"{name} ppf n={n}", best_time(lambda: cpu.univariate_ppf(q, *law), 1), floor))
    print_table(rows)
    print()
    rows = []
    for name, law in LAWS.items():
        ref = scipy_law(*law)
        x = cpu.univariate_ppf(np.linspace(0.01, 0.99, 1000), *law)
        q = np.linspace(0.01, 0.99, 1000)
        ours = best_time(lambda: cpu.univariate_logcdf(x, *law))
        rows.append((f"{name} scipy cdf / ours, n=1e3", ours, best_time(lambda: ref.cdf(x[:20]), 1) * 50))
        ours = best_time(lambda: cpu.univariate_ppf(q, *law))
        rows.append((f"{name} scipy ppf / ours, n=1e3", ours, best_time(lambda: ref.ppf(q[:5]), 1) * 200))
    print_table(rows, reference="scipy")
    print("(ratio = ours / scipy; scipy timed on 20 / 5 points and scaled to 1e3)")


if __name__ == "__main__":
    main(int(float(sys.argv[1])) if len(sys.argv) > 1 else 1_000_000)
