"""Many fits in one call: the many-problem E-step kernel and BatchEMFitter.fit_many on the CPU kernels."""
import jax.numpy as jnp
import numba
import numpy as np
import pytest

from normix import BatchEMFitter, GeneralizedHyperbolic, NormalInverseGaussian
from normix._kernels import estep_cpu, estep_many_cpu
from normix._kernels.parity_cases.estep_many import problem

SUBORDINATORS = [(-0.5, 1.0, 1.0), (1.5, 2.0, 0.5), (2.0, 1.0, 0.0), (-3.0, 0.0, 4.0)]  # NIG, GH, VG, NInvG


def many_problem(n, d, index, n_data, seed=0):
    rng = np.random.default_rng(seed)
    problems = [problem(rng, n, d, *SUBORDINATORS[k % 4]) for k in range(len(index))]
    X = np.stack([problems[k][0] for k in range(n_data)])
    return (X, np.asarray(index), *(np.stack([pr[j] for pr in problems]) for j in range(1, 7)))


@pytest.mark.parametrize("d", [2, 5])
def test_many_kernel_equals_one_call_per_problem(d):
    X, index, *params = many_problem(700, d, [0, 1, 1, 0], 2)
    many = estep_many_cpu.estep_statistics_many(X, index, *params)
    for k in range(len(index)):
        single = estep_cpu.estep_statistics(X[index[k]], *(param[k] for param in params))
        for got, expected in zip(many, single):
            np.testing.assert_allclose(got[k], expected, rtol=1e-13, atol=1e-15)


def test_many_kernel_does_not_depend_on_the_thread_count():
    X, index, *params = many_problem(5000, 3, [0, 0], 1)  # more than ESTEP_SERIAL_MAX_ROWS rows: the parallel pass
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        serial = estep_many_cpu.estep_statistics_many(X, index, *params)
    finally:
        numba.set_num_threads(threads)
    parallel = estep_many_cpu.estep_statistics_many(X, index, *params)
    for a, b in zip(serial, parallel):
        np.testing.assert_array_equal(a, b)


def test_many_kernel_rejects_mismatched_shapes():
    X, index, mu, gamma, L, p, a, b = many_problem(20, 2, [0, 0], 1)
    with pytest.raises(ValueError, match="X must have shape"):
        estep_many_cpu.estep_statistics_many(X[0], index, mu, gamma, L, p, a, b)
    with pytest.raises(ValueError, match="index must hold"):
        estep_many_cpu.estep_statistics_many(X, index + 1, mu, gamma, L, p, a, b)
    with pytest.raises(ValueError, match="gamma must have shape"):
        estep_many_cpu.estep_statistics_many(X, index, mu, gamma[:1], L, p, a, b)
    with pytest.raises(ValueError, match="b must have shape"):
        estep_many_cpu.estep_statistics_many(X, index, mu, gamma, L, p, a, b[0])


def nig_data(n=1500, seed=3):
    truth = NormalInverseGaussian.from_classical(mu=jnp.array([0.1, -0.2]), gamma=jnp.array([0.4, -0.3]),
                                                 sigma=jnp.array([[1.0, 0.3], [0.3, 0.7]]), mu_ig=1.0, lam=1.5)
    return np.asarray(truth.rvs(n, seed=seed))


def params(model):
    joint = model.joint
    return np.concatenate([np.ravel(joint.mu), np.ravel(joint.gamma), np.ravel(joint.L_Sigma),
                           *[np.ravel(v) for v in joint._subordinator_params()]])


def test_fit_many_reports_each_problem_as_its_own_fit():
    """Problems that stop at different iterations (converged, budget, far start) keep their own records."""
    X = nig_data()
    near = NormalInverseGaussian.default_init(X)
    far = NormalInverseGaussian.from_classical(mu=jnp.asarray(X.mean(0)), gamma=jnp.array([2.0, 2.0]),
                                               sigma=jnp.asarray(np.cov(X, rowvar=False)), mu_ig=5.0, lam=0.2)
    fitter = BatchEMFitter(max_iter=30, tol=1e-3, e_step_backend="cpu", m_step_backend="cpu")
    many = fitter.fit_many([near, far], X)
    singles = [fitter.fit(near, X), fitter.fit(far, X)]
    assert many[0].converged and many[0].n_iter < 30
    assert not many[1].converged and many[1].n_iter == 30 and "max_iter" in many[1].message
    for result, single in zip(many, singles):
        assert (result.n_iter, result.converged, result.message) == (single.n_iter, single.converged, single.message)
        np.testing.assert_allclose(params(result.model), params(single.model), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(result.log_likelihoods, single.log_likelihoods, rtol=1e-13)


def test_fit_many_over_rolling_windows_of_gh():
    X = np.asarray(GeneralizedHyperbolic.from_classical(
        mu=jnp.zeros(3), gamma=jnp.array([0.3, -0.1, 0.2]), sigma=jnp.eye(3) + 0.2, p=-0.8, a=1.2, b=0.7,
    ).rvs(1600, seed=5))
    windows = np.stack([X[t:t + 1000] for t in (0, 300, 600)])
    start = GeneralizedHyperbolic.from_classical(mu=jnp.asarray(X.mean(0)), gamma=jnp.zeros(3),
                                                 sigma=jnp.asarray(np.cov(X, rowvar=False)), p=-0.5, a=1.0, b=1.0)
    fitter = BatchEMFitter(max_iter=15, tol=1e-6, regularization="det_sigma_one", e_step_backend="cpu",
                           m_step_backend="cpu")
    many = fitter.fit_many(start, windows)
    assert len(many) == 3
    for window, result in zip(windows, many):
        single = fitter.fit(start, window)
        assert (result.n_iter, result.converged) == (single.n_iter, single.converged)
        np.testing.assert_allclose(params(result.model), params(single.model), rtol=1e-10, atol=1e-12)
    assert not np.allclose(params(many[0].model), params(many[2].model), rtol=1e-3)


def test_fit_many_best_is_the_highest_log_likelihood():
    X = nig_data()
    rng = np.random.default_rng(4)
    starts = [NormalInverseGaussian.from_classical(
        mu=jnp.asarray(X.mean(0)), gamma=jnp.asarray(rng.normal(scale=0.5, size=2)),
        sigma=jnp.asarray(np.cov(X, rowvar=False)), mu_ig=float(rng.uniform(0.5, 2)), lam=float(rng.uniform(0.5, 2)))
        for _ in range(3)]
    fitter = BatchEMFitter(max_iter=4, tol=1e-9, e_step_backend="cpu", m_step_backend="cpu")
    results = fitter.fit_many(starts, X)
    assert not any(r.converged for r in results)
    scores = [np.mean(estep_cpu.mixture_log_density(X, *r.model._kernel_params())) for r in results]
    best = fitter.fit_many(starts, X, select="best")
    assert params(best.model) == pytest.approx(params(results[int(np.argmax(scores))].model), rel=1e-12)
