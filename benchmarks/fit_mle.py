"""Maximum-likelihood fits of each univariate distribution on n draws, against F(n).

``fit_mle`` averages the sufficient statistics (one pass over the data) and solves the
η → θ map once (closed form, a 1-D Newton solve, or the GIG Newton kernel); its time
is compared with the floor F(n) of the same n, measured in the same run.

Usage: python benchmarks/fit_mle.py [n] [reps]      (defaults n = 1e6, reps = 3)
"""
import sys

import jax

from common import best_time, floor_time, print_table
from normix import GIG, Gamma, InverseGamma, InverseGaussian

LAWS = {
    "Gamma(2.5, 1.5)": Gamma(alpha=2.5, beta=1.5),
    "InverseGamma(3, 2)": InverseGamma(alpha=3.0, beta=2.0),
    "InverseGaussian(1.5, 4)": InverseGaussian(mu=1.5, lam=4.0),
    "GIG(-0.5, 2, 1)": GIG(p=-0.5, a=2.0, b=1.0),
}


def main(n, reps):
    floor = floor_time(n, reps)
    rows = []
    for name, law in LAWS.items():
        x = law.rvs(n, seed=0)
        cls = type(law)
        rows.append((f"{name} fit_mle", best_time(lambda: cls.fit_mle(x), reps), floor))
        fitted = ", ".join(f"{float(v):.4f}" for v in jax.tree_util.tree_leaves(cls.fit_mle(x)))
        print(f"{name}: fitted ({fitted})")
    print(f"n = {n:.0e}, F(n) = {floor * 1e3:.2f} ms")
    print_table(rows)


if __name__ == "__main__":
    main(int(float(sys.argv[1])) if len(sys.argv) > 1 else 1_000_000,
         int(sys.argv[2]) if len(sys.argv) > 2 else 3)
