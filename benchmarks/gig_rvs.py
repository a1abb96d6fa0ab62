"""GIG sampling: normix's ``gig_sample`` against scipy on the same parameters.

For each (p, a, b) the table shows the best-of-``reps`` time of n draws by
``normix._kernels.gig_sampler_cpu.gig_sample`` and by ``scipy.stats.geninvgauss.rvs`` with
the same law (``geninvgauss(p, sqrt(ab), scale=sqrt(b/a))``; for b = 0 and a = 0,
``scipy.stats.gamma`` and ``scipy.stats.invgamma``), and ratio = ours / scipy.  The
target is ratio <= 1 on every row.  F(n) is printed for scale.

Usage: python benchmarks/gig_rvs.py [n] [reps]        (default n = 1e6, reps = 3)
"""
import math
import sys

import numba
import scipy.stats as st

from common import best_time, floor_time, print_table
from normix._kernels.gig_sampler_cpu import gig_sample

CASES = [
    (0.5, 1.0, 1.0),
    (-0.5, 2.0, 3.0),
    (1.0, 1.0, 1.0),
    (2.0, 5.0, 5.0),
    (0.3, 0.2, 2.0),
    (0.1, 0.01, 0.01),
    (-1.5, 1e-3, 1e3),
    (50.0, 1e-12, 1e-12),
    (-50.0, 1e12, 1e12),
    (5.0, 1e12, 1e-12),
    (0.0, 1e-12, 1e12),
    (1e-6, 1e-12, 1e-12),
    (0.9, 1e-12, 1e-12),
    (-0.9, 1e12, 1e-12),
    (3.0, 2.0, 0.0),
    (0.2, 2.0, 0.0),
    (-3.0, 0.0, 2.0),
]


def scipy_law(p, a, b):
    """The frozen scipy distribution of GIG(p, a, b), with its limits at b = 0 and a = 0."""
    if b == 0.0:
        return st.gamma(p, scale=2.0 / a)
    if a == 0.0:
        return st.invgamma(-p, scale=b / 2.0)
    return st.geninvgauss(p, math.sqrt(a * b), scale=math.sqrt(b / a))


def main(n=1_000_000, reps=3):
    print(f"n = {n:.0e}, numba threads = {numba.get_num_threads()}, F(n) = {floor_time(n) * 1e3:.2f} ms")
    rows = []
    for p, a, b in CASES:
        law = scipy_law(p, a, b)
        ours = best_time(lambda: gig_sample(p, a, b, n, seed=1), reps)
        ref = best_time(lambda: law.rvs(size=n, random_state=1), reps)
        rows.append((f"p={p:g} a={a:g} b={b:g}", ours, ref))
    print_table(rows, reference="scipy")


if __name__ == "__main__":
    args = [float(x) for x in sys.argv[1:]]
    main(int(args[0]) if args else 1_000_000, int(args[1]) if len(args) > 1 else 3)
