"""The tutorial "Initialization and multi-start", first two sections, as written."""
import time

import jax.numpy as jnp
import numpy as np

from normix import NormalInverseGaussian


def test_default_init_and_random_multistart():
    true = NormalInverseGaussian.from_classical(
        mu=jnp.array([0.0, 0.0]),
        gamma=jnp.array([0.5, -0.4]),
        sigma=jnp.array([[1.0, 0.4], [0.4, 1.0]]),
        mu_ig=1.0, lam=1.2)
    X = true.rvs(3000, seed=0)

    init = NormalInverseGaussian.default_init(X)
    ll0 = float(init.marginal_log_likelihood(X))
    res = init.fit(X, max_iter=100, tol=1e-4, e_step_backend="cpu")
    ll1 = float(res.model.marginal_log_likelihood(X))
    print(f"mean log-lik at default_init : {ll0:.4f}")
    print(f"mean log-lik after EM        : {ll1:.4f}  ({res.n_iter} iters)")
    # The published run (another sampler, hence another sample) reads -2.8339 -> -2.7405 in 70
    # iterations; the sample's own optimum must beat the true model on that sample.
    assert res.converged and res.n_iter < 100
    assert ll0 < ll1
    assert ll1 >= float(true.marginal_log_likelihood(X))

    emp_cov = jnp.asarray(np.cov(np.asarray(X), rowvar=False))
    rng = np.random.default_rng(1)

    def random_init(seed):
        g = jnp.asarray(rng.normal(scale=0.6, size=2))
        return NormalInverseGaussian.from_classical(
            mu=jnp.asarray(X.mean(axis=0)), gamma=g, sigma=emp_cov,
            mu_ig=float(rng.uniform(0.5, 2.0)), lam=float(rng.uniform(0.5, 2.0)))

    scores = []
    for s in range(5):
        r = random_init(s).fit(X, max_iter=100, tol=1e-4, e_step_backend="cpu")
        scores.append(float(r.model.marginal_log_likelihood(X)))
    print("random-start mean log-liks:", np.round(scores, 4))
    np.testing.assert_allclose(scores, ll1, atol=2e-3)

    start = time.perf_counter()
    init.fit(X, max_iter=100, tol=1e-4, e_step_backend="cpu", m_step_backend="cpu")
    print(f"warm fit: {time.perf_counter() - start:.4f} s")
