"""Univariate laws of a mixture: log F, log sf and ppf of an NIG and a GH law at n = 1e6 on both
backends; ``track_ratio_to_floor`` gives ours / F(n).  The script ``benchmarks/univariate_cdf.py``
prints the same table and the speed-up over scipy.stats.genhyperbolic.
"""
import numpy as np

from normix._kernels import dispatch

from .common import best_time, floor_time

N = 1_000_000
LAWS = {"NIG": (5e-4, -2e-3, 1e-2, -0.5, 1.0, 1.0), "GH": (5e-4, -2e-3, 1e-2, 1.5, 2.0, 0.5)}


class UnivariateCdf:
    params = [["cpu"], ["NIG", "GH"], ["univariate_logcdf", "univariate_logsf", "univariate_ppf"]]
    param_names = ["backend", "law", "kernel"]
    timeout = 900

    def setup(self, backend, law, kernel):
        rng = np.random.default_rng(0)
        self.law = LAWS[law]
        cpu = dispatch.kernels("cpu")
        q = rng.uniform(0.001, 0.999, N)
        self.v = q if kernel == "univariate_ppf" else cpu.univariate_ppf(q, *self.law)
        self.kernel = getattr(dispatch.kernels(backend), kernel)
        self.kernel(self.v[:1000], *self.law)

    def time_kernel(self, backend, law, kernel):
        np.asarray(self.kernel(self.v, *self.law))

    def track_ratio_to_floor(self, backend, law, kernel):
        return best_time(lambda: np.asarray(self.kernel(self.v, *self.law)), 1) / floor_time(N)

    track_ratio_to_floor.unit = "ratio"
