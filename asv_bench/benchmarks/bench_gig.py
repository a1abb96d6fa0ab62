"""GIG kernels: η → θ on 10,000 problems (cold and warm), one warm solve, and
``GIG.expectation_params_batch`` at N = 1e5; ``track_*`` give the ratio to the floor F(n)
or to the stated target.  The plain script ``benchmarks/gig.py`` prints the same table.
"""
import numpy as np

from normix import GIG
from normix._kernels import dispatch

from .common import best_time, floor_time

N = 10_000
N_BATCH = 100_000


def problems(n, seed=0):
    rng = np.random.default_rng(seed)
    p = rng.uniform(-5.0, 5.0, n)
    half_log_ratio = 0.5 * rng.uniform(np.log(1e-8), np.log(1e8), n)
    w = np.exp(rng.uniform(np.log(0.1), np.log(100.0), n))
    truth = np.stack([p, w * np.exp(half_log_ratio), w * np.exp(-half_log_ratio)], -1)
    return truth, truth * (1.0 + 0.01 * rng.standard_normal(truth.shape))


class GigEtaToTheta:
    params = [["cpu", "jax"], ["cold", "warm"]]
    param_names = ["backend", "start"]
    timeout = 600

    def setup(self, backend, start):
        truth, warm = problems(N)
        self.kernel = dispatch.kernels(backend).gig_eta_to_theta
        self.eta = np.stack(dispatch.kernels("cpu").gig_moments(*truth.T), -1)
        self.theta0 = np.full_like(self.eta, np.nan) if start == "cold" else warm
        self.kernel(self.eta, self.theta0, 500, 1e-10)

    def time_solve(self, backend, start):
        np.asarray(self.kernel(self.eta, self.theta0, 500, 1e-10)[0])

    def track_ratio_to_floor(self, backend, start):
        return best_time(lambda: np.asarray(self.kernel(self.eta, self.theta0, 500, 1e-10)[0])) / floor_time(N)

    track_ratio_to_floor.unit = "ratio"


class GigWarmSingle:
    timeout = 300

    def setup(self):
        truth, warm = problems(1)
        self.kernel = dispatch.kernels("cpu").gig_eta_to_theta
        self.eta = np.stack(dispatch.kernels("cpu").gig_moments(*truth.T), -1)
        self.warm = warm
        self.eta0 = GIG(*truth[0]).expectation_params("cpu")
        self.theta0 = GIG(*warm[0]).natural_params()
        self.kernel(self.eta, self.warm, 500, 1e-10)
        GIG.from_expectation(self.eta0, theta0=self.theta0, backend="cpu")

    def time_kernel(self):
        self.kernel(self.eta, self.warm, 500, 1e-10)

    def time_from_expectation_cpu(self):
        GIG.from_expectation(self.eta0, theta0=self.theta0, backend="cpu")

    def track_kernel_ratio_to_20us(self):
        return best_time(lambda: self.kernel(self.eta, self.warm, 500, 1e-10)) / 20e-6

    track_kernel_ratio_to_20us.unit = "ratio"

    def track_from_expectation_ratio_to_half_ms(self):
        return best_time(lambda: GIG.from_expectation(self.eta0, theta0=self.theta0, backend="cpu")) / 0.5e-3

    track_from_expectation_ratio_to_half_ms.unit = "ratio"


class GigExpectationBatch:
    params = ["cpu", "jax"]
    param_names = ["backend"]
    timeout = 600

    def setup(self, backend):
        truth, _ = problems(N_BATCH)
        self.p, self.a, self.b = truth.T
        GIG.expectation_params_batch(self.p, self.a, self.b, backend)

    def time_batch(self, backend):
        np.asarray(GIG.expectation_params_batch(self.p, self.a, self.b, backend))

    def track_ratio_to_floor(self, backend):
        return best_time(lambda: GIG.expectation_params_batch(self.p, self.a, self.b, backend)) / floor_time(N_BATCH)

    track_ratio_to_floor.unit = "ratio"
