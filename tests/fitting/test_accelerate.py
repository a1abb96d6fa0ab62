"""SQUAREM-accelerated EM (``accelerate='squarem'``) against plain EM.

References: the plain-EM fit of the same data to the same tolerance (the optimum and
its mean log-likelihood, evaluated independently by the E-step of the returned model),
plain EM's own iterates (when every extrapolation is forced to fail, the accelerated
loop must follow them exactly), the in-memory fit (dask rows, several problems at once)
and the CPU fit (JAX E-step and compiled loop).
"""
import jax.numpy as jnp
import numpy as np
import pytest

import normix._em.squarem as squarem
from normix import (
    BatchEMFitter,
    MiniBatchEMFitter,
    OnlineEMFitter,
    VarianceGamma,
)
from family_table import FAMILIES, SIGMA

TOL = 1e-9


def family_data(name, n=1000, seed=4):
    cls, sub = FAMILIES[name]
    truth = cls.from_classical(mu=jnp.array([0.1, -0.2]), gamma=jnp.array([0.4, -0.3]), sigma=jnp.asarray(SIGMA),
                               **sub)
    return cls, np.asarray(truth.rvs(n, seed=seed))


def fit(cls, X, accelerate, **options):
    options = {"max_iter": 3000, "tol": TOL, "e_step_backend": "cpu", "m_step_backend": "cpu", **options}
    return BatchEMFitter(accelerate=accelerate, **options).fit(cls.default_init(X), X)


def mean_ll(cls, model, X):
    """Mean log-likelihood of ``model`` on X, from the E-step (independent of the fit's histories)."""
    return float(cls.em_e_step(X, cls.em_state(model, "cpu"), "cpu")[1])


def normal_params(model):
    """(mu, gamma, L_Sigma) of the law's |Sigma| = 1 form: every family has the same law along
    (gamma / c, Sigma / c, c Y), so two fits of one law agree only in that form."""
    joint = model.regularize_det_sigma_one().joint
    return np.concatenate([np.ravel(joint.mu), np.ravel(joint.gamma), np.ravel(joint.L_Sigma)])


@pytest.fixture(scope="module")
def plain_and_fast():
    out = {}
    for name in FAMILIES:
        cls, X = family_data(name)
        out[name] = (cls, X, fit(cls, X, None), fit(cls, X, "squarem"))
    return out


@pytest.mark.parametrize("name", list(FAMILIES))
def test_reaches_the_plain_em_optimum(plain_and_fast, name):
    cls, X, plain, fast = plain_and_fast[name]
    assert plain.converged and fast.converged, (plain.message, fast.message)
    assert mean_ll(cls, fast.model, X) >= mean_ll(cls, plain.model, X) - 1e-9
    np.testing.assert_allclose(normal_params(fast.model), normal_params(plain.model), atol=2e-5)
    assert fast.param_changes[-1] <= TOL


@pytest.mark.parametrize("name", list(FAMILIES))
def test_history_is_monotone_and_counts_e_steps(plain_and_fast, name):
    _, _, _, fast = plain_and_fast[name]
    assert np.all(np.diff(fast.log_likelihoods) >= -1e-13)
    assert len(fast.log_likelihoods) == len(fast.param_changes) <= fast.n_iter


@pytest.mark.parametrize("name", ["vg", "gh"])
def test_fewer_e_steps_on_slow_cases(plain_and_fast, name):
    _, _, plain, fast = plain_and_fast[name]
    assert fast.n_iter < plain.n_iter / 2, (fast.n_iter, plain.n_iter)


@pytest.mark.parametrize("bad", ["worse", "nan"])
def test_rejected_extrapolations_follow_plain_em(monkeypatch, bad):
    cls, X = family_data("nig", n=1000)
    plain = fit(cls, X, None, tol=1e-6)

    def worse(x0, x1, x2, alpha_max, free, xp):
        shift = np.full_like(np.asarray(x0.mu), np.nan if bad == "nan" else 50.0)
        return x0._replace(mu=np.asarray(x0.mu) + shift), -alpha_max, True

    monkeypatch.setattr(squarem, "extrapolate", worse)
    fast = fit(cls, X, "squarem", tol=1e-6)
    assert fast.converged
    np.testing.assert_array_equal(fast.log_likelihoods, plain.log_likelihoods)
    np.testing.assert_array_equal(fast.param_changes, plain.param_changes)
    np.testing.assert_allclose(normal_params(fast.model), normal_params(plain.model), rtol=0, atol=0)
    cycles = (plain.n_iter - 1) // 2  # completed pairs of EM steps before the last one
    assert fast.n_iter == plain.n_iter + (cycles if bad == "worse" else 0)


def test_max_iter_counts_e_steps_and_converged_is_honest():
    cls, X = family_data("vg", n=1000)
    short = fit(cls, X, "squarem", max_iter=7)
    assert short.n_iter == 7 and not short.converged and "max_iter" in short.message
    assert np.all(short.param_changes > TOL)


@pytest.mark.parametrize("bad", ["SQUAREM", "ecme", 1, True, ""])
def test_bad_accelerate_values_raise(bad):
    cls, X = family_data("nig", n=200)
    with pytest.raises(ValueError, match="accelerate"):
        BatchEMFitter(accelerate=bad)
    with pytest.raises(ValueError, match="accelerate"):
        cls.default_init(X).fit(X, accelerate=bad)


@pytest.mark.parametrize("fitter", [OnlineEMFitter, MiniBatchEMFitter])
def test_stochastic_fitters_refuse_acceleration(fitter):
    with pytest.raises(ValueError, match="accelerate must be None"):
        fitter(accelerate="squarem")
    assert fitter(accelerate=None) is not None


def test_fit_keyword_matches_the_fitter():
    cls, X = family_data("ninvg", n=1000)
    start = cls.default_init(X)
    a = start.fit(X, accelerate="squarem", tol=1e-8, max_iter=500, e_step_backend="cpu")
    b = fit(cls, X, "squarem", tol=1e-8, max_iter=500)
    assert a.n_iter == b.n_iter
    np.testing.assert_array_equal(a.log_likelihoods, b.log_likelihoods)


def test_jax_e_step_agrees_with_cpu():
    cls, X = family_data("nig", n=2000)  # the shape of tests/fitting/test_em.py's data: one JAX compilation
    cpu = fit(cls, X, "squarem")
    jx = fit(cls, X, "squarem", e_step_backend="jax")
    assert jx.converged
    assert abs(mean_ll(cls, jx.model, X) - mean_ll(cls, cpu.model, X)) < 1e-10
    np.testing.assert_allclose(normal_params(jx.model), normal_params(cpu.model), atol=1e-6)


def test_fit_many_equals_single_fits():
    cls, X = family_data("nig", n=1000)
    starts = [cls.default_init(X), cls.default_init(X[::2])]
    fitter = BatchEMFitter(max_iter=500, tol=1e-8, e_step_backend="cpu", m_step_backend="cpu", accelerate="squarem")
    many = fitter.fit_many(starts, X)
    for start, result in zip(starts, many):
        single = fitter.fit(start, X)
        assert result.n_iter == single.n_iter and result.converged
        np.testing.assert_array_equal(result.log_likelihoods, single.log_likelihoods)


def test_dask_rows_equal_the_in_memory_fit():
    da = pytest.importorskip("dask.array")
    cls, X = family_data("nig", n=1000)
    fitter = BatchEMFitter(max_iter=500, tol=1e-8, e_step_backend="cpu", accelerate="squarem")
    memory = fitter.fit(cls.default_init(X), X)
    chunked = fitter.fit(cls.default_init(X), da.from_array(X, chunks=(300, 2)))
    assert chunked.converged and abs(chunked.n_iter - memory.n_iter) <= 3
    np.testing.assert_allclose(normal_params(chunked.model), normal_params(memory.model), atol=1e-6)


@pytest.mark.slow
def test_compiled_loop_agrees_with_python_loop():
    cls, X = family_data("nig", n=1000)
    python = fit(cls, X, "squarem", tol=1e-8)
    compiled = fit(cls, X, "squarem", tol=1e-8, e_step_backend="jax", m_step_backend="jax")
    assert compiled.converged and abs(compiled.n_iter - python.n_iter) <= 6
    assert np.all(np.diff(compiled.log_likelihoods) >= -1e-13)
    assert abs(mean_ll(cls, compiled.model, X) - mean_ll(cls, python.model, X)) < 1e-10
    np.testing.assert_allclose(normal_params(compiled.model), normal_params(python.model), atol=1e-6)
    short = fit(cls, X, "squarem", max_iter=5, e_step_backend="jax", m_step_backend="jax")
    assert short.n_iter == 5 and not short.converged
    many = BatchEMFitter(max_iter=500, tol=1e-8, e_step_backend="jax", m_step_backend="jax",
                         accelerate="squarem").fit_many([cls.default_init(X)] * 2, X)
    assert all(r.converged and abs(mean_ll(cls, r.model, X) - mean_ll(cls, python.model, X)) < 1e-10 for r in many)


def test_degenerate_variance_gamma_fit_is_not_reported_converged():
    """VG on S&P 500 + NASDAQ daily returns: mu moves onto a data row while the shape p drops below
    d/2 = 1, where the VG density at mu is infinite (the likelihood has no maximum); neither plain
    nor accelerated EM may report convergence there."""
    pytest.importorskip("arch.data")
    import pandas
    from arch.data import nasdaq, sp500

    prices = pandas.concat([sp500.load()["Adj Close"], nasdaq.load()["Adj Close"]], axis=1, join="inner").dropna()
    X = 100 * np.diff(np.log(prices.to_numpy(dtype=np.float64)), axis=0)
    result = fit(VarianceGamma, X, "squarem", max_iter=20)
    assert not result.converged and result.status.name == "DEGENERATE", result.message
    joint = result.model.joint
    distance = np.min(np.abs(X - np.asarray(joint.mu)).max(axis=1))  # brute force over the rows
    assert distance < 1e-4 and float(np.asarray(VarianceGamma.em_state(result.model, "cpu").subordinator[0])) <= 1.0
