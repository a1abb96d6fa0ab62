"""Whole EM fits: one batch iteration against F(n), the tutorial's NIG fit, many fits, stochastic EM.

The plain script ``benchmarks/em.py`` at the repository root prints the same cases in
one table (and the fresh-process fit).  Targets: one CPU GH iteration at d = 10,
n = 1e5 within 1.5 F(n); the tutorial's NIG fit (n = 3000, d = 2, tol = 1e-4) within
20 ms warm; the mini-batch fitter's defaults within 1e-3 of the batch optimum's mean
log-likelihood on n = 1e5.
"""
import jax
import jax.numpy as jnp
import numpy as np

from normix import BatchEMFitter, GeneralizedHyperbolic, MiniBatchEMFitter, NormalInverseGaussian

from .common import best_time, floor_time


def _gh_data(n, d, seed=1):
    rng = np.random.default_rng(0)
    A = rng.standard_normal((d, d))
    truth = GeneralizedHyperbolic.from_classical(mu=0.1 * rng.standard_normal(d), gamma=0.2 * rng.standard_normal(d),
                                                 sigma=A @ A.T / d + np.eye(d), p=1.0, a=2.0, b=1.0)
    X = truth.rvs(n, seed=seed)
    start = GeneralizedHyperbolic.from_classical(mu=X.mean(0), gamma=np.zeros(d), sigma=np.cov(X, rowvar=False),
                                                 p=-0.5, a=1.0, b=1.0)
    return X, start


def _tutorial():
    true = NormalInverseGaussian.from_classical(mu=jnp.array([0.0, 0.0]), gamma=jnp.array([0.5, -0.4]),
                                                sigma=jnp.array([[1.0, 0.4], [0.4, 1.0]]), mu_ig=1.0, lam=1.2)
    X = np.asarray(true.rvs(3000, seed=0))
    return X, NormalInverseGaussian.default_init(X)


class GHIteration:
    """One batch-EM iteration, GH, d = 10, n = 1e5: (T(11 iterations) - T(1)) / 10."""

    params = (["cpu", "jax"],)
    param_names = ["backend"]
    timeout = 900

    def setup(self, backend):
        self.X, self.start = _gh_data(100_000, 10)
        self.fitters = {k: BatchEMFitter(max_iter=k, tol=1e-300, regularization="det_sigma_one",
                                         e_step_backend=backend, m_step_backend=backend) for k in (1, 11)}
        for fitter in self.fitters.values():
            fitter.fit(self.start, self.X)

    def _fit(self, k):
        return self.fitters[k].fit(self.start, self.X)

    def time_eleven_iterations(self, backend):
        self._fit(11)

    def track_iteration_ratio_to_floor(self, backend):
        per_iteration = (best_time(lambda: self._fit(11), 3) - best_time(lambda: self._fit(1), 3)) / 10
        return per_iteration / floor_time(100_000)

    track_iteration_ratio_to_floor.unit = "ratio"


class TutorialNIGFit:
    """The tutorial's NIG fit: n = 3000, d = 2, tol = 1e-4, CPU kernels, warm."""

    timeout = 300

    def setup(self):
        self.X, self.init = _tutorial()
        self.run()

    def run(self):
        return self.init.fit(self.X, max_iter=100, tol=1e-4, e_step_backend="cpu")

    def time_fit(self):
        self.run()

    def track_ratio_to_20_ms(self):
        return best_time(self.run, 10) / 20e-3

    track_ratio_to_20_ms.unit = "ratio"


class FitMany:
    """Eight starts of the tutorial's NIG fit in one ``fit_many`` call, against eight ``fit`` calls."""

    params = (["cpu", "jax"],)
    param_names = ["backend"]
    timeout = 900

    def setup(self, backend):
        self.X, _ = _tutorial()
        rng = np.random.default_rng(1)
        self.starts = [NormalInverseGaussian.from_classical(
            mu=self.X.mean(0), gamma=rng.normal(scale=0.6, size=2), sigma=np.cov(self.X, rowvar=False),
            mu_ig=rng.uniform(0.5, 2.0), lam=rng.uniform(0.5, 2.0)) for _ in range(8)]
        self.fitter = BatchEMFitter(max_iter=100, tol=1e-4, e_step_backend=backend, m_step_backend=backend)
        self.many()
        self.one_by_one()

    def many(self):
        return self.fitter.fit_many(self.starts, self.X)

    def one_by_one(self):
        return [self.fitter.fit(start, self.X) for start in self.starts]

    def time_fit_many(self, backend):
        self.many()

    def track_ratio_to_one_by_one(self, backend):
        return best_time(self.many, 3) / best_time(self.one_by_one, 3)

    track_ratio_to_one_by_one.unit = "ratio"


class MiniBatchGap:
    """Mean log-likelihood gap of the mini-batch defaults to the batch optimum, NIG, d = 2, n = 1e5."""

    timeout = 900

    def setup(self):
        truth = NormalInverseGaussian.from_classical(mu=jnp.array([0.1, -0.2]), gamma=jnp.array([0.4, -0.3]),
                                                     sigma=jnp.array([[1.0, 0.3], [0.3, 0.7]]), mu_ig=1.0, lam=1.5)
        self.X = np.asarray(truth.rvs(100_000, seed=11))
        self.start = NormalInverseGaussian.default_init(self.X)
        batch = BatchEMFitter(max_iter=2000, tol=1e-8, e_step_backend="cpu", m_step_backend="cpu")
        self.best = float(batch.fit(self.start, self.X).model.marginal_log_likelihood(self.X))

    def track_gap(self):
        result = MiniBatchEMFitter().fit(self.start, self.X, key=jax.random.PRNGKey(0))
        return self.best - float(result.model.marginal_log_likelihood(self.X))

    track_gap.unit = "mean log-likelihood"


class AcceleratedEM:
    """Plain against SQUAREM-accelerated EM to tol = 1e-9: the tutorial's NIG data (n = 3000, d = 2), CPU kernels.

    ``benchmarks/em_accelerate.py`` runs the full comparison (four families, generated and
    real data).
    """

    params = ([None, "squarem"],)
    param_names = ["accelerate"]
    timeout = 300

    def setup(self, accelerate):
        self.X, self.init = _tutorial()
        self.run(accelerate)

    def run(self, accelerate):
        return self.init.fit(self.X, max_iter=2000, tol=1e-9, e_step_backend="cpu", accelerate=accelerate)

    def time_fit(self, accelerate):
        self.run(accelerate)

    def track_e_steps(self, accelerate):
        return self.run(accelerate).n_iter

    track_e_steps.unit = "E-steps"
