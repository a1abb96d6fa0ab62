"""Batch EM over 1, 2, 4 JAX devices and 1, 2, 4 dask workers, and the E-step's cost per row.

Three parts, each printing ``case | ours ms | reference ms | ratio``:

* ``jax``: a NIG fit (``e_step_backend = m_step_backend = 'jax'``, the compiled loop) on
  rows sharded with ``shard_rows`` over k host devices
  (``XLA_FLAGS=--xla_force_host_platform_device_count=k``, one fresh interpreter per k);
  time per EM iteration, reference the same fit on one device.
* ``dask``: the same fit with numba E-steps (``'cpu'``) on a dask array persisted in a
  ``LocalCluster`` of k single-threaded worker processes (``NUMBA_NUM_THREADS=1``);
  reference the in-memory fit in this process (numba on all cores).
* ``cost``: XLA's cost analysis of the compiled JAX E-step (``cost_analysis()`` of the
  jitted ``estep_statistics``): floating-point operations, transcendental functions
  (exp, log, ...) and bytes accessed per row,
  for the paper estimate of a large fit in ``docs/user_guide/scaling.md``.

Times are best of ``--reps`` warm fits of ``--iters`` iterations (``tol`` small enough
that every fit runs all of them), divided by the iteration count.

Usage: python benchmarks/scaling.py [--part jax dask cost] [--n 200000] [--d 4] [--iters 5]
                                    [--counts 1 2 4] [--reps 3]
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np

from common import best_time, print_table

TOL = 1e-300


def nig_problem(n, d, seed=0):
    """(start model, X): n rows of a NIG model in dimension d and the moment-based start."""
    from normix import NormalInverseGaussian

    rng = np.random.default_rng(seed)
    A = rng.standard_normal((d, d))
    truth = NormalInverseGaussian.from_classical(mu=0.1 * rng.standard_normal(d), gamma=0.3 * rng.standard_normal(d),
                                                 sigma=A @ A.T / d + np.eye(d), mu_ig=1.0, lam=1.5)
    X = np.asarray(truth.rvs(n, seed=seed))
    return NormalInverseGaussian.default_init(X), X


def per_iteration(fit, iters, reps):
    return best_time(fit, reps) / iters


def jax_worker(args):
    """Time per iteration on the k devices of this interpreter (run with XLA_FLAGS set)."""
    import jax

    from normix import BatchEMFitter
    from normix.fitting.distributed import shard_rows

    start, X = nig_problem(args.n, args.d)
    X = shard_rows(X) if jax.device_count() > 1 else jax.numpy.asarray(X)
    fitter = BatchEMFitter(max_iter=args.iters, tol=TOL, e_step_backend="jax", m_step_backend="jax")
    seconds = per_iteration(lambda: fitter.fit(start, X), args.iters, args.reps)
    print(json.dumps({"devices": jax.device_count(), "seconds": seconds}))


def jax_part(args):
    rows = []
    for k in args.counts:
        env = dict(os.environ, XLA_FLAGS=f"--xla_force_host_platform_device_count={k}")
        command = [sys.executable, __file__, "--jax-worker", "--n", str(args.n), "--d", str(args.d),
                   "--iters", str(args.iters), "--reps", str(args.reps)]
        out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
        rows.append((k, json.loads(out.strip().splitlines()[-1])["seconds"]))
    base = rows[0][1]
    print(f"\nJAX, NIG n={args.n} d={args.d}: time per EM iteration, reference {rows[0][0]} device(s)")
    print_table([(f"{k} device(s)", t, base) for k, t in rows], reference="base")


def dask_part(args):
    import dask.array as da
    from dask.distributed import Client, LocalCluster

    from normix import BatchEMFitter

    start, X = nig_problem(args.n, args.d)
    fitter = BatchEMFitter(max_iter=args.iters, tol=TOL, e_step_backend="cpu", m_step_backend="cpu")
    base = per_iteration(lambda: fitter.fit(start, X), args.iters, args.reps)
    rows = [("in memory, numba", base, base)]
    chunk_rows = -(-args.n // 16)
    for k in args.counts:
        with LocalCluster(n_workers=k, threads_per_worker=1, processes=True, dashboard_address=None,
                          env={"NUMBA_NUM_THREADS": "1"}) as cluster, Client(cluster):
            Xd = da.from_array(X, chunks=(chunk_rows, args.d)).persist()
            rows.append((f"dask, {k} worker(s)", per_iteration(lambda: fitter.fit(start, Xd), args.iters,
                                                               args.reps), base))
    print(f"\ndask, NIG n={args.n} d={args.d}, 16 chunks: time per EM iteration, reference the in-memory fit")
    print_table(rows, reference="memory")


def cost_part(args):
    import jax

    from normix._kernels import estep_jax

    print("\nXLA cost analysis of the jitted JAX E-step (estep_statistics), per row")
    print(f"{'family':<6} | {'d':>4} | {'flop/row':>9} | {'transc./row':>11} | {'bytes/row':>9}")
    families = {"GH": (1.0, 2.0, 1.0), "NIG": (-0.5, 2.0, 1.0), "VG": (2.0, 4.0, 0.0), "NInvG": (-3.0, 0.0, 6.0)}
    n = 4096
    for name, (p, a, b) in families.items():
        for d in (2, 10, 50):
            inputs = (np.ones((n, d)), np.zeros(d), np.zeros(d), np.eye(d), p, a, b)
            cost = jax.jit(estep_jax.estep_statistics).lower(*inputs).compile().cost_analysis()
            cost = cost[0] if isinstance(cost, list) else cost
            print(f"{name:<6} | {d:>4} | {cost['flops'] / n:>9.0f} | {cost.get('transcendentals', 0) / n:>11.0f} | "
                  f"{cost['bytes accessed'] / n:>9.0f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", nargs="+", default=["jax", "dask", "cost"], choices=["jax", "dask", "cost"])
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--d", type=int, default=4)
    parser.add_argument("--iters", type=int, default=5)
    parser.add_argument("--counts", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--jax-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    import normix  # noqa: F401  (float64 in JAX)

    if args.jax_worker:
        return jax_worker(args)
    for part in args.part:
        {"jax": jax_part, "dask": dask_part, "cost": cost_part}[part](args)


if __name__ == "__main__":
    main()
