"""GIG sampling by ``gig_sample`` against ``scipy.stats.geninvgauss.rvs`` on the same law.

One case per method of the sampler and two extreme corners; the plain script
``benchmarks/gig_rvs.py`` runs the full grid at n = 1e6.  Target: ratio <= 1.
"""
import math

import scipy.stats as st

from normix._kernels.gig_sampler_cpu import gig_sample

from .common import best_time

N = 100_000
CASES = {
    "rou p=0.5 a=1 b=1": (0.5, 1.0, 1.0),
    "shift p=2 a=5 b=5": (2.0, 5.0, 5.0),
    "hat p=0.1 a=b=0.01": (0.1, 0.01, 0.01),
    "shift p=50 a=b=1e-12": (50.0, 1e-12, 1e-12),
    "hat p=0.9 a=b=1e-12": (0.9, 1e-12, 1e-12),
    "shift p=-0.9 a=1e12 b=1e-12": (-0.9, 1e12, 1e-12),
}


def scipy_law(p, a, b):
    return st.geninvgauss(p, math.sqrt(a * b), scale=math.sqrt(b / a))


class GIGSample:
    params = list(CASES)
    param_names = ["case"]
    timeout = 300

    def setup(self, case):
        self.p, self.a, self.b = CASES[case]
        self.law = scipy_law(self.p, self.a, self.b)
        gig_sample(self.p, self.a, self.b, 10, seed=0)  # compile outside the timings

    def time_normix(self, case):
        gig_sample(self.p, self.a, self.b, N, seed=1)

    def time_scipy(self, case):
        self.law.rvs(size=N, random_state=1)

    def track_ratio_to_scipy(self, case):
        ours = best_time(lambda: gig_sample(self.p, self.a, self.b, N, seed=1))
        return ours / best_time(lambda: self.law.rvs(size=N, random_state=1))

    track_ratio_to_scipy.unit = "ratio"
