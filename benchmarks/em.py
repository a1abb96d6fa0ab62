"""Whole EM fits against the speed floor F(n), measured in the same run.

Sections (``--only`` picks some; default all but ``stochastic``):

``iteration``
    Time of one batch-EM iteration, GH with d = 10, n = 1e5, through
    ``BatchEMFitter.fit``: (T(1 + k iterations) - T(1 iteration)) / k with best-of-reps
    times, so the fixed costs of a fit (data validation, model construction) are left
    out.  CPU backends target <= 1.5 F(n); the JAX backends (compiled loop, on this
    machine's CPU) are reported as a ratio.
``tutorial``
    The tutorial's NIG fit (``docs``' initialization and multi-start page): n = 3000,
    d = 2, ``default_init`` then ``fit(X, max_iter=100, tol=1e-4, e_step_backend='cpu')``,
    warm.  Target: <= 20 ms.
``fresh``
    A fresh ``python -c`` that imports normix and fits GH (``default_init`` + ``fit``
    with the defaults) to n = 1e4, d = 5 data: wall time of the whole process, best of
    reps after one warming run (warm numba cache; target <= 3 s), and once with an empty
    numba cache directory (cold).
``many``
    ``BatchEMFitter.fit_many`` against the same fits one after another: K = 8 starts
    (NIG, n = 3000, d = 2) and K = 8 bootstrap resamples (GH, n = 1e4, d = 5), CPU (with
    numba's threads and with one thread, which separates the work of the parallel passes
    from the start-up of their threads between Python steps) and JAX.
``stochastic``
    Gap between the batch-EM optimum and the mean log-likelihood reached by the
    mini-batch and online fitters with their defaults, NIG d = 2, n = 1e5 drawn from the
    model (target: gap <= 1e-3), and their wall times.

Usage: python benchmarks/em.py [--only iteration tutorial fresh many stochastic] [--reps 5]
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import jax
import jax.numpy as jnp
import numba
import numpy as np

import normix
from common import best_time, floor_time
from normix import (
    BatchEMFitter,
    GeneralizedHyperbolic,
    MiniBatchEMFitter,
    NormalInverseGaussian,
    OnlineEMFitter,
)

SECTIONS = ("iteration", "tutorial", "fresh", "many", "stochastic")


def gh_truth(d, seed=0):
    """A GH model in dimension d with moderate skewness and a correlated Sigma."""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((d, d))
    sigma = A @ A.T / d + np.eye(d)
    return GeneralizedHyperbolic.from_classical(mu=0.1 * rng.standard_normal(d), gamma=0.2 * rng.standard_normal(d),
                                                sigma=sigma, p=1.0, a=2.0, b=1.0)


def moment_start(cls, X, **subordinator):
    """Sample mean and covariance, gamma = 0, the given subordinator parameters."""
    return cls.from_classical(mu=X.mean(0), gamma=np.zeros(X.shape[1]), sigma=np.cov(X, rowvar=False),
                              **subordinator)


def tutorial_data():
    true = NormalInverseGaussian.from_classical(mu=jnp.array([0.0, 0.0]), gamma=jnp.array([0.5, -0.4]),
                                                sigma=jnp.array([[1.0, 0.4], [0.4, 1.0]]), mu_ig=1.0, lam=1.2)
    return np.asarray(true.rvs(3000, seed=0))


def table(rows):
    """Print ``case | ours ms | reference ms | ratio | target``; rows are (case, ours_s, ref_s, ref_name, target)."""
    width = max(len(r[0]) for r in rows)
    print(f"{'case':<{width}} | {'ours ms':>10} | {'reference ms':>17} | {'ratio':>7} | target")
    print(f"{'-' * width}-+-{'-' * 10}-+-{'-' * 17}-+-{'-' * 7}-+-------")
    for case, ours, ref, ref_name, target in rows:
        ref_text = f"{ref_name} {ref * 1e3:.2f}" if ref else ""
        ratio = f"{ours / ref:7.2f}" if ref else ""
        print(f"{case:<{width}} | {ours * 1e3:>10.2f} | {ref_text:>17} | {ratio:>7} | {target}")


def per_iteration(model, X, backends, reps, k=10):
    """(T(1 + k) - T(1)) / k of BatchEMFitter.fit with a tolerance no fit meets."""
    e_backend, m_backend = backends
    regularization = "det_sigma_one" if isinstance(model, GeneralizedHyperbolic) else "none"

    def timed(iterations):
        fitter = BatchEMFitter(max_iter=iterations, tol=1e-300, e_step_backend=e_backend, m_step_backend=m_backend,
                               regularization=regularization)
        return best_time(lambda: fitter.fit(model, X), reps)

    return (timed(1 + k) - timed(1)) / k


def section_iteration(reps):
    n, d = 100_000, 10
    X = gh_truth(d).rvs(n, seed=1)
    start = moment_start(GeneralizedHyperbolic, X, p=-0.5, a=1.0, b=1.0)
    floor = floor_time(n, reps)
    rows = [(f"GH iteration {b[0]}/{b[1]} d={d} n=1e5", per_iteration(start, X, b, reps), floor, "F(n)",
             "<= 1.5 F" if b == ("cpu", "cpu") else "report")
            for b in (("cpu", "cpu"), ("jax", "jax"))]
    return rows


def section_tutorial(reps):
    X = tutorial_data()
    init = NormalInverseGaussian.default_init(X)
    fit = lambda: init.fit(X, max_iter=100, tol=1e-4, e_step_backend="cpu")  # noqa: E731
    result = fit()
    whole = best_time(fit, max(reps, 10))
    floor = floor_time(X.shape[0], reps)
    print(f"tutorial NIG fit: {result.n_iter} iterations, converged={result.converged}")
    return [("tutorial NIG fit n=3000 d=2 (whole)", whole, 20e-3, "target", "<= 20 ms"),
            ("tutorial NIG fit, per iteration", whole / result.n_iter, floor, "F(n)", "report")]


_FRESH_SCRIPT = """
import numpy as np
import normix
from normix import GeneralizedHyperbolic
rng = np.random.default_rng(0)
n, d = 10_000, 5
y = rng.gamma(2.0, 0.5, n)
X = 0.1 + np.outer(y, np.linspace(-0.3, 0.3, d)) + np.sqrt(y)[:, None] * rng.standard_normal((n, d))
result = GeneralizedHyperbolic.default_init(X).fit(X)
assert result.converged, result.message
"""


def fresh_process(env):
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", _FRESH_SCRIPT], check=True, env=env)
    return time.perf_counter() - t0


def section_fresh(reps):
    env = dict(os.environ)
    fresh_process(env)
    warm = min(fresh_process(env) for _ in range(max(1, min(reps, 3))))
    with tempfile.TemporaryDirectory() as cache:
        cold = fresh_process(dict(env, NUMBA_CACHE_DIR=cache))
    return [("fresh process: import + GH fit n=1e4 d=5, warm cache", warm, 3.0, "target", "<= 3 s"),
            ("fresh process: same, empty numba cache", cold, 3.0, "target", "report")]


def section_many(reps):
    """fit_many against one fit per problem; the CPU rows with numba's default threads and with one thread."""
    rows = []
    X = tutorial_data()
    rng = np.random.default_rng(1)
    starts = [NormalInverseGaussian.from_classical(mu=X.mean(0), gamma=rng.normal(scale=0.6, size=2),
                                                   sigma=np.cov(X, rowvar=False), mu_ig=rng.uniform(0.5, 2.0),
                                                   lam=rng.uniform(0.5, 2.0)) for _ in range(8)]
    gh_X = gh_truth(5).rvs(10_000, seed=2)
    resamples = np.stack([gh_X[rng.integers(0, len(gh_X), len(gh_X))] for _ in range(8)])
    gh_start = moment_start(GeneralizedHyperbolic, gh_X, p=-0.5, a=1.0, b=1.0)
    cases = (("NIG 8 starts n=3000 d=2", starts, X, "none"),
             ("GH 8 resamples n=1e4 d=5", gh_start, resamples, "det_sigma_one"))
    threads = numba.get_num_threads()
    for backend, n_threads in (("cpu", threads), ("cpu", 1), ("jax", threads)):
        numba.set_num_threads(n_threads)
        for label, models, data, regularization in cases:
            fitter = BatchEMFitter(max_iter=100, tol=1e-4, e_step_backend=backend, m_step_backend=backend,
                                   regularization=regularization)
            pairs = list(zip(models, [data] * len(models))) if data.ndim == 2 else [(models, x) for x in data]
            many = best_time(lambda: fitter.fit_many(models, data), max(1, reps // 2))
            one_by_one = best_time(lambda: [fitter.fit(m, x) for m, x in pairs], max(1, reps // 2))
            where = f"{backend}, {n_threads} thread{'s' if n_threads > 1 else ''}" if backend == "cpu" else backend
            rows.append((f"fit_many {label} ({where})", many, one_by_one, "one by one", "< 1"))
    numba.set_num_threads(threads)
    return rows


def section_stochastic(reps):
    truth = NormalInverseGaussian.from_classical(mu=jnp.array([0.1, -0.2]), gamma=jnp.array([0.4, -0.3]),
                                                 sigma=jnp.array([[1.0, 0.3], [0.3, 0.7]]), mu_ig=1.0, lam=1.5)
    X = np.asarray(truth.rvs(100_000, seed=11))
    start = NormalInverseGaussian.default_init(X)
    batch = BatchEMFitter(max_iter=2000, tol=1e-8, e_step_backend="cpu", m_step_backend="cpu").fit(start, X)
    best = float(batch.model.marginal_log_likelihood(X))
    print(f"batch EM optimum: mean log-lik {best:.8f} ({batch.n_iter} iterations, {batch.elapsed_time:.2f} s)")
    rows = []
    for name, fitter in (("mini-batch", MiniBatchEMFitter()), ("online", OnlineEMFitter())):
        fitter.fit(start, X, key=jax.random.PRNGKey(0))
        t0 = time.perf_counter()
        result = fitter.fit(start, X, key=jax.random.PRNGKey(0))
        elapsed = time.perf_counter() - t0
        gap = best - float(result.model.marginal_log_likelihood(X))
        print(f"{name:>10}: gap to batch optimum {gap:.2e} (target <= 1e-3), converged={result.converged}, "
              f"{result.message}")
        rows.append((f"{name} EM NIG n=1e5 d=2 (gap {gap:.1e})", elapsed, batch.elapsed_time, "batch fit",
                     "gap <= 1e-3"))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=[s for s in SECTIONS if s != "stochastic"])
    parser.add_argument("--reps", type=int, default=5)
    opts = parser.parse_args()
    load = os.getloadavg()
    print(f"normix {normix.__version__}, numba threads = {numba.get_num_threads()}, JAX device = {jax.devices()[0]}, "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    rows = []
    for section in opts.only:
        rows += globals()[f"section_{section}"](opts.reps)
    table(rows)


if __name__ == "__main__":
    main()
