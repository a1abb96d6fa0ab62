"""The EM engine: loop agreement, honest results, many fits in one call, stochastic fitters."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from normix import (
    BatchEMFitter,
    GeneralizedHyperbolic,
    MiniBatchEMFitter,
    NormalInverseGaussian,
    OnlineEMFitter,
    VarianceGamma,
)


def nig_truth():
    return NormalInverseGaussian.from_classical(
        mu=jnp.array([0.1, -0.2]), gamma=jnp.array([0.4, -0.3]),
        sigma=jnp.array([[1.0, 0.3], [0.3, 0.7]]), mu_ig=1.0, lam=1.5)


@pytest.fixture(scope="module")
def nig_data():
    return np.asarray(nig_truth().rvs(2000, seed=3))


def params(model):
    joint = model.joint
    return np.concatenate([np.ravel(joint.mu), np.ravel(joint.gamma), np.ravel(joint.L_Sigma),
                           np.ravel(joint.mu_ig), np.ravel(joint.lam)])


def test_compiled_loop_equals_python_loop(nig_data, capsys):
    start = NormalInverseGaussian.default_init(nig_data)
    compiled = BatchEMFitter(max_iter=30, tol=1e-6, e_step_backend="jax", m_step_backend="jax").fit(start, nig_data)
    looped = BatchEMFitter(max_iter=30, tol=1e-6, verbose=2, e_step_backend="jax",
                           m_step_backend="jax").fit(start, nig_data)
    table = capsys.readouterr().out
    assert "mean log-lik" in table and len(table.strip().splitlines()) >= looped.n_iter + 1
    assert compiled.n_iter == looped.n_iter
    np.testing.assert_allclose(params(compiled.model), params(looped.model), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(compiled.log_likelihoods, looped.log_likelihoods, rtol=1e-12)


@pytest.mark.parametrize("backends", [("cpu", "cpu"), ("jax", "jax")])
def test_converged_flag_is_honest(nig_data, backends):
    e_backend, m_backend = backends
    start = NormalInverseGaussian.default_init(nig_data)
    short = BatchEMFitter(max_iter=3, tol=1e-12, e_step_backend=e_backend, m_step_backend=m_backend).fit(start, nig_data)
    assert not short.converged and short.n_iter == 3 and "max_iter" in short.message
    full = BatchEMFitter(max_iter=500, tol=1e-5, e_step_backend=e_backend, m_step_backend=m_backend).fit(start, nig_data)
    assert full.converged and full.param_changes[-1] < 1e-5 <= np.min(full.param_changes[:-1])
    assert len(full.log_likelihoods) == full.n_iter


def test_non_finite_iterate_stops_the_fit_and_keeps_the_last_finite_model(nig_data, monkeypatch):
    start = NormalInverseGaussian.default_init(nig_data)
    honest = NormalInverseGaussian.em_m_step
    calls = []

    def breaks_on_third_call(stats, state, backend, method):
        calls.append(1)
        new = honest(stats, state, backend, method)
        if len(calls) == 3:
            return new._replace(mu=new.mu * np.nan)
        return new

    monkeypatch.setattr(NormalInverseGaussian, "em_m_step", staticmethod(breaks_on_third_call))
    result = BatchEMFitter(max_iter=50, tol=1e-12, e_step_backend="cpu", m_step_backend="cpu").fit(start, nig_data)
    assert not result.converged and result.n_iter == 2
    assert "non-finite" in result.message
    assert np.all(np.isfinite(params(result.model)))
    monkeypatch.setattr(NormalInverseGaussian, "em_m_step", honest)
    two = BatchEMFitter(max_iter=2, tol=1e-12, e_step_backend="cpu", m_step_backend="cpu").fit(start, nig_data)
    np.testing.assert_allclose(params(result.model), params(two.model), rtol=1e-12)


@pytest.mark.parametrize("backends", [("cpu", "cpu"), ("jax", "jax")])
def test_fit_many_equals_separate_fits(nig_data, backends):
    e_backend, m_backend = backends
    fitter = BatchEMFitter(max_iter=200, tol=1e-6, e_step_backend=e_backend, m_step_backend=m_backend)
    rng = np.random.default_rng(0)
    starts = [NormalInverseGaussian.from_classical(
        mu=jnp.asarray(nig_data.mean(0)), gamma=jnp.asarray(rng.normal(scale=0.5, size=2)),
        sigma=jnp.asarray(np.cov(nig_data, rowvar=False)), mu_ig=float(rng.uniform(0.5, 2)),
        lam=float(rng.uniform(0.5, 2))) for _ in range(3)]
    many = fitter.fit_many(starts, nig_data)
    for start, result in zip(starts, many):
        single = fitter.fit(start, nig_data)
        assert result.n_iter == single.n_iter and result.converged == single.converged
        np.testing.assert_allclose(params(result.model), params(single.model), rtol=1e-9, atol=1e-11)
    best = fitter.fit_many(starts, nig_data, select="best")
    scores = [float(r.model.marginal_log_likelihood(nig_data)) for r in many]
    assert float(best.model.marginal_log_likelihood(nig_data)) == pytest.approx(max(scores), abs=0)


def test_fit_many_over_bootstrap_datasets(nig_data):
    rng = np.random.default_rng(1)
    resamples = np.stack([nig_data[rng.integers(0, len(nig_data), len(nig_data))] for _ in range(3)])
    start = NormalInverseGaussian.default_init(nig_data)
    fitter = BatchEMFitter(max_iter=200, tol=1e-6, e_step_backend="jax", m_step_backend="jax")
    many = fitter.fit_many(start, resamples)
    assert len(many) == 3 and all(r.converged for r in many)
    for data, result in zip(resamples, many):
        np.testing.assert_allclose(params(result.model), params(fitter.fit(start, data).model), rtol=1e-9, atol=1e-11)


def test_fit_many_rejects_mismatched_inputs(nig_data):
    fitter = BatchEMFitter(e_step_backend="cpu")
    start = NormalInverseGaussian.default_init(nig_data)
    with pytest.raises(ValueError, match="one family"):
        fitter.fit_many([start, VarianceGamma.default_init(nig_data)], nig_data)
    with pytest.raises(ValueError, match="select"):
        fitter.fit_many([start], nig_data, select="worst")
    with pytest.raises(ValueError, match="datasets"):
        fitter.fit_many([start, start], np.stack([nig_data] * 3))


@pytest.mark.parametrize("option,value", [("max_iter", 0), ("tol", -1.0), ("verbose", 5),
                                          ("regularization", "ridge"), ("m_step_method", "sgd"),
                                          ("e_step_backend", "gpu")])
def test_fitter_options_are_validated(option, value):
    with pytest.raises(ValueError, match=option if option != "e_step_backend" else "backend"):
        BatchEMFitter(**{option: value})


def test_det_sigma_one_fit_keeps_unit_determinant():
    truth = GeneralizedHyperbolic.from_classical(mu=jnp.zeros(2), gamma=jnp.array([0.3, 0.1]),
                                                 sigma=jnp.array([[1.0, 0.2], [0.2, 0.5]]), p=-0.8, a=1.2, b=0.7)
    X = np.asarray(truth.rvs(2000, seed=5))
    result = GeneralizedHyperbolic.default_init(X).fit(X, max_iter=40)
    assert float(result.model.joint.log_det_sigma()) == pytest.approx(0.0, abs=1e-10)
    assert np.all(np.diff(result.log_likelihoods) >= -1e-10 * np.abs(result.log_likelihoods[1:]))


def batch_optimum(X):
    start = NormalInverseGaussian.default_init(X)
    result = BatchEMFitter(max_iter=1000, tol=1e-7, e_step_backend="cpu", m_step_backend="cpu").fit(start, X)
    return start, float(result.model.marginal_log_likelihood(X))


def test_stochastic_fitters_improve_on_the_start_and_report_honestly(nig_data):
    start = NormalInverseGaussian.default_init(nig_data)
    initial = float(start.marginal_log_likelihood(nig_data))
    mini = MiniBatchEMFitter(batch_size=256, max_iter=20, tol=1e-9).fit(start, nig_data, key=jax.random.PRNGKey(2))
    assert mini.n_iter == 20 and not mini.converged and len(mini.param_changes) == 20
    assert float(mini.model.marginal_log_likelihood(nig_data)) > initial
    again = MiniBatchEMFitter(batch_size=256, max_iter=20, tol=1e-9).fit(start, nig_data, key=jax.random.PRNGKey(2))
    np.testing.assert_array_equal(params(mini.model), params(again.model))


def test_stochastic_converged_flag_is_a_batch_em_certificate(nig_data):
    """converged means one batch EM step from the returned model moves it by less than tol (CPU kernels check)."""
    start = NormalInverseGaussian.default_init(nig_data)
    one_step = BatchEMFitter(max_iter=1, tol=1e-300, e_step_backend="cpu", m_step_backend="cpu")
    for tol in (1e-9, 0.5):
        result = MiniBatchEMFitter(batch_size=256, max_iter=20, tol=tol).fit(start, nig_data, key=jax.random.PRNGKey(2))
        step = float(one_step.fit(result.model, nig_data).param_changes[0])
        assert result.converged == (step < tol)
        assert f"{step:.2e}" in result.message
    assert result.converged and result.n_iter < 20  # tol = 0.5: the epoch-to-epoch change stopped the loop
    with pytest.raises(ValueError, match="step_exponent"):
        MiniBatchEMFitter(step_exponent=0.3)
    with pytest.raises(TypeError, match="averaging"):
        OnlineEMFitter(averaging="yes")


@pytest.mark.slow
def test_stochastic_fitters_reach_the_batch_optimum_on_1e5_rows():
    """The defaults end within 1e-3 of the batch-EM optimum's mean log-likelihood (NIG, d = 2, n = 1e5)."""
    X = np.asarray(nig_truth().rvs(100_000, seed=11))
    start, best = batch_optimum(X)
    for fitter in (MiniBatchEMFitter(), OnlineEMFitter()):
        result = fitter.fit(start, X, key=jax.random.PRNGKey(0))
        gap = best - float(result.model.marginal_log_likelihood(X))
        assert -1e-12 < gap < 1e-3, (type(fitter).__name__, gap)


@pytest.mark.slow
def test_stochastic_fitters_approach_the_batch_optimum():
    X = np.asarray(nig_truth().rvs(10_000, seed=11))
    start, best = batch_optimum(X)
    initial = float(start.marginal_log_likelihood(X))
    mini = MiniBatchEMFitter(batch_size=1024, max_iter=150, tol=1e-9).fit(start, X, key=jax.random.PRNGKey(0))
    mini_ll = float(mini.model.marginal_log_likelihood(X))
    assert initial + 0.8 * (best - initial) < mini_ll <= best + 1e-12
    shorter = MiniBatchEMFitter(batch_size=1024, max_iter=30, tol=1e-9).fit(start, X, key=jax.random.PRNGKey(0))
    assert float(shorter.model.marginal_log_likelihood(X)) < mini_ll
    assert mini.log_likelihoods[-1] == pytest.approx(mini_ll, rel=1e-10)
    assert not mini.converged and "without meeting tol" in mini.message
    online = OnlineEMFitter(max_epochs=1).fit(start, X[:3000], key=jax.random.PRNGKey(0))
    assert float(online.model.marginal_log_likelihood(X)) > initial


def test_callback_stops_the_fit_and_a_resumed_fit_continues_the_same_iterates(nig_data):
    start = NormalInverseGaussian.default_init(nig_data)
    fitter = BatchEMFitter(max_iter=500, tol=1e-5, e_step_backend="cpu", m_step_backend="cpu")
    full = fitter.fit(start, nig_data)
    seen = []

    def checkpoint(iteration, model, log_likelihood):
        seen.append((iteration, params(model), log_likelihood))
        return iteration == 7

    stopped = fitter.fit(start, nig_data, callback=checkpoint)
    assert [s[0] for s in seen] == list(range(1, 8))
    assert stopped.n_iter == 7 and not stopped.converged and "callback" in stopped.message
    np.testing.assert_array_equal([s[2] for s in seen], stopped.log_likelihoods)
    np.testing.assert_array_equal(seen[-1][1], params(stopped.model))
    resumed = fitter.fit(stopped.model, nig_data)
    assert resumed.converged and stopped.n_iter + resumed.n_iter == full.n_iter
    np.testing.assert_allclose(params(resumed.model), params(full.model), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(np.concatenate([stopped.log_likelihoods, resumed.log_likelihoods]),
                               full.log_likelihoods, rtol=1e-13)
    with pytest.raises(TypeError, match="callback"):
        fitter.fit(start, nig_data, callback="save")
