"""The Bessel kernels against the speed floor F(n), measured in the same run.

Cases (n values each, the inputs of F(n): v uniform in [-5, 5], z log-uniform in
[1e-3, 50], seed 0):

* ``log_kv``: log K_v(z) by the numba twin (target <= 0.6 F);
* ``log_kv + d/dv``: log K_v(z) and ∂/∂v log K_v(z) from one call of
  ``log_kv_ratio_dv`` (target <= 0.9 F);
* ``fixed v: log_kv_ratio_dv``: one order (v = -2.7, a typical posterior order
  p - d/2) and the n arguments: log K_v, K_(v+1)/K_v and ∂/∂v log K_v, the
  per-row Bessel work of the E-step (target <= 1.0 F);
* ``half-integer v: log_kv_ratio_dv``: the same at v = -5.5, the NIG posterior order
  -(d + 1)/2 at d = 10, where the numba twin uses closed forms (no target);
* ``log_kv_derivatives``: all four outputs (no target);
* the three targeted cases again on one numba thread (against the one-thread
  floor, a like-for-like ratio that does not depend on the number of threads);
* the same on the JAX twin (jit, warm), for information.

Usage: python benchmarks/kernels.py [n] [reps] [--no-jax]   (default n = 1e6, reps = 5;
       --no-jax leaves out the JAX rows)
"""
import sys

import jax
import jax.numpy as jnp
import numba

import normix  # noqa: F401  (float64 in JAX)
from common import best_time, floor_inputs, floor_time, print_table
from normix._kernels import bessel_cpu, bessel_jax

FIXED_ORDER = -2.7
HALF_ORDER = -5.5
TARGETS = {"log_kv": 0.6, "log_kv + d/dv": 0.9, "fixed v: log_kv_ratio_dv": 1.0}


def cases(v, z):
    vj, zj = jnp.asarray(v), jnp.asarray(z)
    fixed = jnp.full_like(zj, FIXED_ORDER)
    half = jnp.full_like(zj, HALF_ORDER)
    log_kv = jax.jit(bessel_jax.log_kv)
    ratio_dv = jax.jit(bessel_jax.log_kv_ratio_dv)
    derivatives = jax.jit(bessel_jax.log_kv_derivatives)
    return [
        ("log_kv", lambda: bessel_cpu.log_kv(v, z)),
        ("log_kv + d/dv", lambda: bessel_cpu.log_kv_ratio_dv(v, z)),
        ("fixed v: log_kv_ratio_dv", lambda: bessel_cpu.log_kv_ratio_dv(FIXED_ORDER, z)),
        ("half-integer v: log_kv_ratio_dv", lambda: bessel_cpu.log_kv_ratio_dv(HALF_ORDER, z)),
        ("log_kv_derivatives", lambda: bessel_cpu.log_kv_derivatives(v, z)),
        ("jax log_kv", lambda: log_kv(vj, zj)),
        ("jax log_kv + d/dv", lambda: ratio_dv(vj, zj)),
        ("jax fixed v: log_kv_ratio_dv", lambda: ratio_dv(fixed, zj)),
        ("jax half-integer v: log_kv_ratio_dv", lambda: ratio_dv(half, zj)),
        ("jax log_kv_derivatives", lambda: derivatives(vj, zj)),
    ]


def main(n=1_000_000, reps=5, with_jax=True):
    v, z = floor_inputs(n)
    floor = floor_time(n, reps)
    print(f"n = {n:.0e}, numba threads = {numba.get_num_threads()}, F(n) = {floor * 1e3:.2f} ms")
    rows = []
    calls = [(name, run) for name, run in cases(v, z) if with_jax or not name.startswith("jax ")]
    for name, run in calls:
        ours = best_time(lambda: jax.block_until_ready(run()), reps)
        rows.append((name, ours, floor))
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    for name, run in calls:
        if name in TARGETS:
            rows.append((f"{name} (1 thread)", best_time(run, reps), floor))
    numba.set_num_threads(threads)
    print_table(rows)
    missed = [f"{name} ({ours / floor:.2f} > {TARGETS[name]})" for name, ours, _ in rows
              if name in TARGETS and ours / floor > TARGETS[name]]
    print("targets met" if not missed else "targets missed: " + ", ".join(missed))


if __name__ == "__main__":
    numbers = [int(float(a)) for a in sys.argv[1:] if not a.startswith("--")][:2]
    main(*numbers, with_jax="--no-jax" not in sys.argv)
