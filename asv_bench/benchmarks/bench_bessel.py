"""The Bessel kernels: speed against the floor F(n), and accuracy on the parity cases.

``track_ratio_to_floor`` reports ours / F(n) measured in one process (targets: log_kv
<= 0.6, value with ∂/∂v <= 0.9, one fixed order with n arguments <= 1.0, all on
the numba twin; the JAX twin is reported, not targeted); ``time_call`` times one
call; ``track_max_error_between_twins`` reports the largest
|cpu - jax| / max(1, |cpu|) of log K_v(z) on the parity cases of
``normix._kernels.parity_cases.bessel`` (the mpmath oracle lives in ``tests/kernels``).
The plain script ``benchmarks/kernels.py`` prints the speed table at n = 1e6.
"""
import jax
import jax.numpy as jnp
import numpy as np

import normix  # noqa: F401  (float64 in JAX)
from normix._kernels import bessel_cpu, bessel_jax
from normix._kernels.parity_cases.bessel import CASES

from .common import best_time, floor_inputs, floor_time

N = 100_000
FIXED_ORDER = -2.7
HALF_ORDER = -5.5  # the NIG posterior order -(d + 1)/2 at d = 10: closed forms on the numba twin


def _calls(backend, v, z):
    if backend == "cpu":
        return {
            "log_kv": lambda: bessel_cpu.log_kv(v, z),
            "log_kv + d/dv": lambda: bessel_cpu.log_kv_ratio_dv(v, z),
            "fixed v: log_kv_ratio_dv": lambda: bessel_cpu.log_kv_ratio_dv(FIXED_ORDER, z),
            "half-integer v: log_kv_ratio_dv": lambda: bessel_cpu.log_kv_ratio_dv(HALF_ORDER, z),
            "log_kv_derivatives": lambda: bessel_cpu.log_kv_derivatives(v, z),
        }
    vj, zj = jnp.asarray(v), jnp.asarray(z)
    fixed = jnp.full_like(zj, FIXED_ORDER)
    half = jnp.full_like(zj, HALF_ORDER)
    log_kv = jax.jit(bessel_jax.log_kv)
    ratio_dv = jax.jit(bessel_jax.log_kv_ratio_dv)
    derivatives = jax.jit(bessel_jax.log_kv_derivatives)
    return {
        "log_kv": lambda: log_kv(vj, zj),
        "log_kv + d/dv": lambda: ratio_dv(vj, zj),
        "fixed v: log_kv_ratio_dv": lambda: ratio_dv(fixed, zj),
        "half-integer v: log_kv_ratio_dv": lambda: ratio_dv(half, zj),
        "log_kv_derivatives": lambda: derivatives(vj, zj),
    }


class BesselSpeed:
    params = (["cpu", "jax"], ["log_kv", "log_kv + d/dv", "fixed v: log_kv_ratio_dv", "half-integer v: log_kv_ratio_dv",
                               "log_kv_derivatives"])
    param_names = ["backend", "case"]
    timeout = 600

    def setup(self, backend, case):
        v, z = floor_inputs(N)
        self.call = _calls(backend, v, z)[case]
        jax.block_until_ready(self.call())  # compile outside the timings

    def time_call(self, backend, case):
        jax.block_until_ready(self.call())

    def track_ratio_to_floor(self, backend, case):
        return best_time(lambda: jax.block_until_ready(self.call())) / floor_time(N)

    track_ratio_to_floor.unit = "ratio"


class BesselAccuracy:
    params = ["regular", "extreme"]
    param_names = ["case"]

    def setup(self, case):
        self.v, self.z = CASES["log_kv"][case]

    def track_max_error_between_twins(self, case):
        cpu = bessel_cpu.log_kv(self.v, self.z)
        jax_ = np.asarray(bessel_jax.log_kv(self.v, self.z))
        finite = np.isfinite(cpu)
        return float(np.max(np.abs(cpu[finite] - jax_[finite]) / np.maximum(1.0, np.abs(cpu[finite]))))

    track_max_error_between_twins.unit = "relative error"
