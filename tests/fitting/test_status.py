"""Every fitter path reports the same status for the same situation.

The situations are made through the public API, without patching the library:

* converged: a NIG fit with a budget large enough to meet ``tol``;
* max_iter: the same fit with ``tol = 0`` (never met) and a small budget;
* non-finite: one row of 3e160, whose Mahalanobis distance squared overflows, so the
  first E-step's statistics are not finite;
* degenerate: 30 rows of a VG with alpha = 1 <= d/2 in d = 3, where batch EM drives mu
  onto a data row and the likelihood is unbounded.  The stochastic fitters start at
  the end of that fit and stay there.

The paths: in memory with the CPU kernels (Python loop), in memory on JAX (compiled
loop), many fits in one call (CPU loop and vmapped compiled loop), a dask array, online
EM and mini-batch EM.  Rows sharded over four devices are checked in
``tests/fitting/test_sharded.py``.
"""
import dask.array as da
import jax
import numpy as np
import pytest

from normix import BatchEMFitter, MiniBatchEMFitter, NormalInverseGaussian, OnlineEMFitter, VarianceGamma
from normix.fitting.em import EMNotConvergedError, EMResult, EMStatus

L_SIGMA = np.array([[1.4251, 0.0, 0.0], [-0.5308, 1.1756, 0.0], [-0.5525, 0.6088, 1.6308]])
NIG = NormalInverseGaussian.from_classical(mu=np.array([0.1, -0.2]), gamma=np.array([0.4, -0.3]),
                                           sigma=np.array([[1.0, 0.3], [0.3, 0.7]]), mu_ig=1.0, lam=1.5)


def batch(e_backend, m_backend):
    def run(start, X, budget, tol):
        return BatchEMFitter(max_iter=budget, tol=tol, e_step_backend=e_backend, m_step_backend=m_backend).fit(start, X)
    return run


def many(e_backend, m_backend):
    def run(start, X, budget, tol):
        fitter = BatchEMFitter(max_iter=budget, tol=tol, e_step_backend=e_backend, m_step_backend=m_backend)
        results = fitter.fit_many([start] * 3, X)
        assert len({(result.status, result.message) for result in results}) == 1
        return results[0]
    return run


def on_dask(start, X, budget, tol):
    fitter = BatchEMFitter(max_iter=budget, tol=tol, e_step_backend="cpu", m_step_backend="cpu")
    return fitter.fit(start, da.from_array(X, chunks=(64, X.shape[1])))


# The stochastic fitters keep their static options fixed across situations (one compilation per family,
# shared with tests/fitting/test_em.py where the options and the data shape are the same).
def online(start, X, budget, tol):
    return OnlineEMFitter(max_epochs=1, tol=tol).fit(start, X, key=jax.random.PRNGKey(2))


def minibatch(start, X, budget, tol):
    return MiniBatchEMFitter(batch_size=256, max_iter=20, tol=tol).fit(start, X, key=jax.random.PRNGKey(2))


# One budget for every situation, so that each compiled path compiles once per family (the budget and
# the data shape of tests/fitting/test_em.py's fit_many test, whose programs are then reused).
BUDGET = 200
BATCH_PATHS = {"cpu": batch("cpu", "cpu"), "jax-compiled": batch("jax", "jax"), "many-cpu": many("cpu", "cpu"),
               "many-jax": many("jax", "jax"), "dask": on_dask}
PATHS = {**BATCH_PATHS, "online": online, "minibatch": minibatch}
COMPILED_PATHS = ("jax-compiled", "many-jax")


@pytest.fixture(scope="module")
def nig_rows():
    return np.asarray(NIG.rvs(2000, seed=3))


@pytest.fixture(scope="module")
def degenerate_case():
    truth = VarianceGamma.from_classical(mu=np.array([0.1257, -0.1321, 0.6404]), gamma=np.zeros(3),
                                         sigma=L_SIGMA @ L_SIGMA.T, alpha=1.0, beta=1.0)
    X = np.asarray(truth.rvs(30, seed=0))
    collapsed = batch("cpu", "cpu")(VarianceGamma.default_init(X), X, 40, 1e-12)
    return X, collapsed.model


@pytest.mark.parametrize("path", sorted(PATHS))
def test_converged(path, nig_rows):
    tol = 1e-3 if path in BATCH_PATHS else 0.05
    result = PATHS[path](NormalInverseGaussian.default_init(nig_rows), nig_rows, BUDGET, tol)
    assert result.status is EMStatus.CONVERGED and result.converged
    assert result.raise_for_status() is result


@pytest.mark.parametrize("path", sorted(PATHS))
def test_max_iter_with_tol_zero(path, nig_rows):
    budget = BUDGET if path in COMPILED_PATHS else 5
    result = PATHS[path](NormalInverseGaussian.default_init(nig_rows), nig_rows, budget, 0.0)
    assert result.status is EMStatus.MAX_ITER and not result.converged
    assert result.n_iter == {"online": 1, "minibatch": 20}.get(path, budget)
    with pytest.raises(EMNotConvergedError, match="max_iter"):
        result.raise_for_status()


@pytest.mark.parametrize("path", sorted(PATHS))
def test_non_finite(path, nig_rows):
    X = nig_rows.copy()
    X[17] = [3e160, -2e160]
    start = NormalInverseGaussian.from_classical(mu=np.zeros(2), gamma=np.zeros(2), sigma=np.eye(2), mu_ig=1.0,
                                                 lam=1.0)
    result = PATHS[path](start, X, BUDGET, 1e-12)
    assert result.status is EMStatus.NON_FINITE and not result.converged
    assert np.all(np.isfinite(np.asarray(result.model.joint.mu)))


# The paths that compile a JAX program for the VG family run in the slow suite.
@pytest.mark.parametrize("path", [p if p in ("cpu", "many-cpu", "dask") else pytest.param(p, marks=pytest.mark.slow)
                                  for p in sorted(PATHS)])
def test_degenerate(path, degenerate_case):
    X, collapsed = degenerate_case
    start = VarianceGamma.default_init(X) if path in BATCH_PATHS else collapsed
    result = PATHS[path](start, X, BUDGET, 1e-12)
    assert result.status is EMStatus.DEGENERATE and not result.converged
    mu = np.asarray(result.model.joint.mu)
    row = int(result.message.split("data row ")[1].split(" ")[0])
    np.testing.assert_allclose(mu, X[row], atol=1e-6)


def test_callback_stop_is_interrupted(nig_rows):
    result = BatchEMFitter(max_iter=50, tol=1e-12, e_step_backend="cpu", m_step_backend="cpu").fit(
        NormalInverseGaussian.default_init(nig_rows), nig_rows, callback=lambda i, model, ll: i == 2)
    assert result.status is EMStatus.INTERRUPTED and result.n_iter == 2 and not result.converged


def test_tol_zero_runs_the_whole_budget_one_step_at_a_time(nig_rows):
    start = NormalInverseGaussian.default_init(nig_rows)
    stepped = start
    for _ in range(3):
        one = BatchEMFitter(max_iter=1, tol=0.0, e_step_backend="cpu", m_step_backend="cpu").fit(stepped, nig_rows)
        assert one.n_iter == 1 and one.status is EMStatus.MAX_ITER
        stepped = one.model
    three = start.fit(nig_rows, max_iter=3, tol=0.0, e_step_backend="cpu")
    np.testing.assert_allclose(np.asarray(stepped.joint.L_Sigma), np.asarray(three.model.joint.L_Sigma), rtol=1e-12)


@pytest.mark.parametrize("tol", [-1e-3, float("nan"), float("inf"), "1e-3", None, True])
@pytest.mark.parametrize("make", [lambda tol: BatchEMFitter(tol=tol), lambda tol: OnlineEMFitter(tol=tol),
                                  lambda tol: MiniBatchEMFitter(tol=tol)], ids=["batch", "online", "minibatch"])
def test_bad_tolerances_are_refused(make, tol):
    with pytest.raises(ValueError, match="tol"):
        make(tol)


def test_a_hand_made_result_gets_a_consistent_status():
    assert EMResult(None, None, None, 0, True, 0.0).status is EMStatus.CONVERGED
    assert EMResult(None, None, None, 0, False, 0.0).status is EMStatus.MAX_ITER
    with pytest.raises(ValueError, match="contradicts"):
        EMResult(None, None, None, 0, True, 0.0, "", EMStatus.DEGENERATE)
