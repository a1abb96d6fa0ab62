"""GIG kernels: the inverse map η → θ, warm single solves and batched expectation parameters.

Table 1 (batches) divides our time by the speed floor F(n) of the same n (one
vectorised ``log(kve) - z`` call, ``common.floor_time``).  Table 2 (latency) divides by
the absolute target of each row, so ratio <= 1 means the target is met:

* ``gig_eta_to_theta`` on 10,000 independent problems, CPU: <= 50 ms;
* one warm-started solve through the kernel: <= 20 us;
* ``GIG.from_expectation(eta, backend='cpu')`` warm-started, per call: <= 0.5 ms.

Problems: p uniform in [-5, 5], a/b log-uniform in [1e-8, 1e8], sqrt(ab) log-uniform in
[0.1, 100] (seed 0); warm starts are the true parameters perturbed by 1 %.

Usage: python benchmarks/gig.py [n]        (default n = 1e4)
"""
import sys

import jax
import numba
import numpy as np

from common import best_time, floor_time, print_table
from normix import GIG
from normix._kernels import dispatch


def problems(n, seed=0):
    rng = np.random.default_rng(seed)
    p = rng.uniform(-5.0, 5.0, n)
    half_log_ratio = 0.5 * rng.uniform(np.log(1e-8), np.log(1e8), n)
    w = np.exp(rng.uniform(np.log(0.1), np.log(100.0), n))
    truth = np.stack([p, w * np.exp(half_log_ratio), w * np.exp(-half_log_ratio)], -1)
    warm = truth * (1.0 + 0.01 * rng.standard_normal(truth.shape))
    return truth, warm


def main(n=10_000):
    cpu, jx = dispatch.kernels("cpu"), dispatch.kernels("jax")
    truth, warm = problems(n)
    eta = np.stack(cpu.gig_moments(*truth.T), -1)
    cold = np.full_like(eta, np.nan)
    floor = floor_time(n)
    print(f"n = {n:.0e}, numba threads = {numba.get_num_threads()}, jax devices = {jax.devices()}, "
          f"F(n) = {floor * 1e3:.2f} ms")
    _, converged, steps = cpu.gig_eta_to_theta(eta, cold, 500, 1e-10)
    print(f"cold: {converged.mean():.4f} converged, {steps.mean():.2f} Newton steps on average")
    _, converged, steps = cpu.gig_eta_to_theta(eta, warm, 500, 1e-10)
    print(f"warm: {converged.mean():.4f} converged, {steps.mean():.2f} Newton steps on average")
    rows = [
        ("gig_eta_to_theta cpu cold", best_time(lambda: cpu.gig_eta_to_theta(eta, cold, 500, 1e-10)), floor),
        ("gig_eta_to_theta cpu warm", best_time(lambda: cpu.gig_eta_to_theta(eta, warm, 500, 1e-10)), floor),
        ("gig_eta_to_theta jax cold", best_time(lambda: jx.gig_eta_to_theta(eta, cold, 500, 1e-10)[0], 3), floor),
        ("gig_eta_to_theta jax warm", best_time(lambda: jx.gig_eta_to_theta(eta, warm, 500, 1e-10)[0], 3), floor),
    ]
    big = 100_000
    params = np.tile(truth.T, (1, big // n + 1))[:, :big]
    floor_big = floor_time(big)
    rows += [
        ("expectation_params_batch cpu 1e5", best_time(lambda: GIG.expectation_params_batch(*params, "cpu")),
         floor_big),
        ("expectation_params_batch jax 1e5", best_time(lambda: GIG.expectation_params_batch(*params, "jax")),
         floor_big),
    ]
    print_table(rows)

    one_eta, one_warm = eta[:1], warm[:1]
    dist = GIG(*truth[0])
    eta0 = dist.expectation_params("cpu")
    theta0 = GIG(*warm[0]).natural_params()
    single = best_time(lambda: [cpu.gig_eta_to_theta(one_eta, one_warm, 500, 1e-10) for _ in range(1000)]) / 1000
    per_call = best_time(lambda: [GIG.from_expectation(eta0, theta0=theta0, backend="cpu") for _ in range(100)]) / 100
    print()
    print_table([
        ("gig_eta_to_theta 1e4 cold, cpu", best_time(lambda: cpu.gig_eta_to_theta(eta, cold, 500, 1e-10)), 50e-3),
        ("one warm solve, kernel", single, 20e-6),
        ("GIG.from_expectation cpu, warm", per_call, 0.5e-3),
    ], reference="target")


if __name__ == "__main__":
    main(*[int(float(a)) for a in sys.argv[1:2]])
