"""The fused E-step ``estep_statistics`` (both twins) at the sizes of a small and a large fit.

Problems come from the E-step parity case generator; the plain script
``benchmarks/estep.py`` draws data from each family's model and runs the full grid
(d up to 50, n up to 1e6).  Target: CPU GH at n = 1e5, d = 10 within 1.2 F(n).
"""
import jax
import numpy as np

import normix  # noqa: F401  (float64 in JAX)
from normix._kernels import estep_cpu, estep_jax
from normix._kernels.parity_cases.estep import problem

from .common import best_time, floor_time

FAMILIES = {"GH": (1.0, 2.0, 1.0), "NIG": (-0.5, 2.0, 1.0), "VG": (2.0, 4.0, 0.0), "NInvG": (-3.0, 0.0, 6.0)}
SIZES = {"n=3000 d=2": (3000, 2), "n=1e5 d=10": (100_000, 10)}


class EStepStatistics:
    params = (["cpu", "jax"], list(FAMILIES), list(SIZES))
    param_names = ["backend", "family", "size"]
    timeout = 600

    def setup(self, backend, family, size):
        n, d = SIZES[size]
        args = problem(np.random.default_rng(0), n, d, *FAMILIES[family])
        if backend == "cpu":
            self.run = lambda: estep_cpu.estep_statistics(*args)
        else:
            stats = jax.jit(estep_jax.estep_statistics)
            device_args = [jax.device_put(x) for x in args]
            self.run = lambda: jax.block_until_ready(stats(*device_args))
        self.run()
        self.n = n

    def time_estep_statistics(self, backend, family, size):
        self.run()

    def peakmem_estep_statistics(self, backend, family, size):
        self.run()

    def track_ratio_to_floor(self, backend, family, size):
        return best_time(self.run) / floor_time(self.n)

    track_ratio_to_floor.unit = "ratio"
