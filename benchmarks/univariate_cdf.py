"""Univariate laws of a mixture: log F, log sf and ppf of one NIG and one GH law (numba twin).

Prints ours / floor F(n) / ratio for n = 1e6 points (goals: log F and log sf <= 4 F(n), ppf
<= 12 F(n)), and the per-point ratio scipy.stats.genhyperbolic(...).cdf / .ppf over ours on
1e3 points (goal >= 1000).  Then the time to project 1e4 portfolios of a d = 50 GH model (``model.project(W)``) and
evaluate each portfolio's cdf at 100 points.  Usage: python benchmarks/univariate_cdf.py [n]
"""
import time

import sys

import numpy as np
import scipy.stats as st

from common import best_time, floor_time, print_table
from normix import GeneralizedHyperbolic
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
    print()
    portfolios()


def portfolios(k=10_000, d=50, points=100):
    """Seconds to project k portfolios of a d-dimensional GH law and take each one's cdf at ``points`` points."""
    rng = np.random.default_rng(1)
    root = rng.normal(size=(d, d)) / np.sqrt(d)
    model = GeneralizedHyperbolic.from_classical(mu=rng.normal(0.0, 0.05, d), gamma=rng.normal(0.0, 0.05, d),
                                                 sigma=root @ root.T + np.eye(d), p=-0.8, a=1.5, b=0.9)
    x = np.linspace(-3.0, 3.0, points)[:, None]
    start = time.perf_counter()
    model.project(rng.dirichlet(np.ones(d), size=k))
    print(f"first projection of {k} portfolios (JAX compiles its operations for these shapes): "
          f"{time.perf_counter() - start:.2f} s")
    W = rng.dirichlet(np.ones(d), size=k)
    start = time.perf_counter()
    batch = model.project(W)
    projected = time.perf_counter() - start
    values = np.asarray(batch.cdf(x))
    total = time.perf_counter() - start
    print(f"{k} portfolios, d = {d}: project {projected * 1e3:.1f} ms, cdf at {points} points each "
          f"({values.size} values) {total - projected:.2f} s, total {total:.2f} s")


if __name__ == "__main__":
    main(int(float(sys.argv[1])) if len(sys.argv) > 1 else 1_000_000)
