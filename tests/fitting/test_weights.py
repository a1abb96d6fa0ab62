"""Observation weights: weighted fits against repeated rows, the unweighted fit and closed forms.

References: integer weights must give the fit of the data with row i repeated w_i
times (1e-12 in the fitted parameters: the same iterates, summed in another order);
uniform weights give the unweighted fit exactly (the fitters drop them); rows of weight
0 give the fit without those rows; the weighted kernels equal Σ w t / Σ w computed
from the per-row kernels; ``ewma_weights`` equals 0.5 ** ((n - 1 - i) / h) computed
term by term.
"""
import math

import dask.array as da
import jax
import numpy as np
import pytest

import normix
from normix import BatchEMFitter, MiniBatchEMFitter, NormalInverseGaussian, OnlineEMFitter, VarianceGamma
from normix._em.loop import degeneracy
from normix._em.weighted import WeightedFamily
from normix._em.weights import WeightedRows
from normix._kernels import dispatch
from normix.fitting import ewma_weights
from normix.mixtures.marginal import NormalMixture

SIGMA = np.array([[1.0, 0.3], [0.3, 0.7]])
BACKENDS = [("cpu", "cpu"), ("jax", "cpu"), pytest.param("jax", "jax", marks=pytest.mark.slow)]


def leaves(model):
    return np.concatenate([np.ravel(leaf) for leaf in jax.tree_util.tree_leaves(model)])


@pytest.fixture(scope="module")
def data():
    truth = NormalInverseGaussian.from_classical(mu=np.array([0.1, -0.2]), gamma=np.array([0.4, -0.3]), sigma=SIGMA,
                                                 mu_ig=1.2, lam=1.5)
    X = np.asarray(truth.rvs(300, seed=3))
    counts = np.random.default_rng(7).integers(0, 4, len(X))
    return NormalInverseGaussian.default_init(X), X, counts


def assert_same_fit(a, b, tol=1e-12):
    assert a.n_iter == b.n_iter and a.status is b.status
    np.testing.assert_allclose(leaves(a.model), leaves(b.model), rtol=0, atol=tol)
    np.testing.assert_allclose(a.log_likelihoods, b.log_likelihoods, rtol=0, atol=tol)


# ------------------------------------------------------------------ ewma_weights
@pytest.mark.parametrize("n, half_life", [(1, 3.0), (7, 2), (500, 37.5), (2000, 0.25)])
def test_ewma_weights_equal_the_closed_form(n, half_life):
    w = ewma_weights(n, half_life)
    expected = np.array([0.5 ** ((n - 1 - i) / half_life) for i in range(n)])
    assert w.shape == (n,) and w.dtype == np.float64 and w[-1] == 1.0
    np.testing.assert_allclose(w, expected, rtol=1e-14, atol=0)
    kept = w[:-1] > 1e-290  # away from underflow, each row weighs 2^(1/h) times its predecessor
    np.testing.assert_allclose((w[1:] / np.where(kept, w[:-1], 1.0))[kept], 0.5 ** (-1 / half_life), rtol=1e-12)


def test_ewma_weights_halve_every_half_life_and_match_riskmetrics_decay():
    w = ewma_weights(100, 10)
    assert w[-11] == 0.5 and w[-21] == 0.25
    lam = 0.94  # RiskMetrics daily decay: half-life log(0.5) / log(0.94) rows
    np.testing.assert_allclose(ewma_weights(50, math.log(0.5) / math.log(lam)), lam ** np.arange(49, -1, -1),
                               rtol=1e-13)
    assert normix.ewma_weights is ewma_weights


@pytest.mark.parametrize("n, half_life, match", [
    (0, 5.0, "n must be an integer >= 1"), (2.5, 5.0, "n must be an integer"), (True, 5.0, "n must be"),
    (10, 0.0, "half_life must be > 0"), (10, -1.0, "half_life must be > 0"), (10, math.nan, "half_life"),
    (10, math.inf, "half_life must be > 0 and finite"), (10, "5", "half_life must be a real number")])
def test_ewma_weights_refuses_bad_arguments(n, half_life, match):
    with pytest.raises(ValueError, match=match):
        ewma_weights(n, half_life)


# ------------------------------------------------------------- weighted kernels
def kernel_args(n=200, d=3, seed=0):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((d, d))
    L = np.linalg.cholesky(A @ A.T / d + np.eye(d))
    y = rng.lognormal(0.0, 1.0, n)
    mu, gamma = rng.standard_normal(d), 0.5 * rng.standard_normal(d)
    X = mu + np.outer(y, gamma) + np.sqrt(y)[:, None] * (rng.standard_normal((n, d)) @ L.T)
    w = rng.uniform(0.0, 3.0, n)
    w[::5] = 0.0
    return X, w, mu, gamma, L, -0.5, 1.3, 0.8


@pytest.mark.parametrize("backend", ["cpu", "jax"])
def test_weighted_kernel_is_the_weighted_mean_of_per_row_terms(backend):
    X, w, mu, gamma, L, p, a, b = kernel_args()
    kernels = dispatch.kernels(backend)
    e_log, e_inv, e_y = (np.asarray(v) for v in kernels.posterior_moments(X, mu, gamma, L, p, a, b))
    log_f = np.asarray(kernels.mixture_log_density(X, mu, gamma, L, p, a, b))
    W = w.sum()
    expected = (w @ e_log / W, w @ e_inv / W, w @ e_y / W, w @ X / W, (w * e_inv) @ X / W,
                (X * (w * e_inv)[:, None]).T @ X / W, w @ log_f / W)
    got = kernels.weighted_estep_statistics(X, w, mu, gamma, L, p, a, b)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(np.asarray(g), e, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("d", [3, 40])
def test_unit_weights_give_the_unweighted_kernel_bit_for_bit_on_the_cpu(d):
    X, _, mu, gamma, L, p, a, b = kernel_args(d=d)
    plain = dispatch.kernels("cpu").estep_statistics(X, mu, gamma, L, p, a, b)
    unit = dispatch.kernels("cpu").weighted_estep_statistics(X, np.ones(len(X)), mu, gamma, L, p, a, b)
    scaled = dispatch.kernels("cpu").weighted_estep_statistics(X, np.full(len(X), 2.7), mu, gamma, L, p, a, b)
    for u, s, ref in zip(unit, scaled, plain):
        np.testing.assert_array_equal(u, ref)
        np.testing.assert_allclose(s, ref, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("backend", ["cpu", pytest.param("jax", marks=pytest.mark.slow)])
def test_weighted_many_kernel_equals_single_problems(backend):
    X, w, mu, gamma, L, p, a, b = kernel_args(n=60, d=2)
    X2, w2 = X[::-1].copy(), w[::-1].copy()
    kernels = dispatch.kernels(backend)
    index = np.array([1, 0, 1])
    a_k = np.array([a, a, 2 * a])
    many = kernels.weighted_estep_statistics_many(np.stack([X, X2]), np.stack([w, w2]), index, np.stack([mu] * 3),
                                                  np.stack([gamma] * 3), np.stack([L] * 3), np.full(3, p), a_k,
                                                  np.full(3, b))
    for k in range(3):
        data, weights = (X, w) if index[k] == 0 else (X2, w2)
        one = kernels.weighted_estep_statistics(data, weights, mu, gamma, L, p, a_k[k], b)
        for m, o in zip(many, one):
            np.testing.assert_allclose(np.asarray(m)[k], np.asarray(o), rtol=1e-13, atol=1e-15)


# ------------------------------------------------------- fits against repeated rows
@pytest.mark.parametrize("e_backend, m_backend", BACKENDS)
def test_integer_weights_equal_repeated_rows(data, e_backend, m_backend):
    start, X, counts = data
    fitter = BatchEMFitter(max_iter=12, tol=0.0, e_step_backend=e_backend, m_step_backend=m_backend)
    assert_same_fit(fitter.fit(start, X, weights=counts.astype(float)), fitter.fit(start, np.repeat(X, counts, 0)))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["gh", "vg", "ninvg"])
@pytest.mark.parametrize("e_backend, m_backend", BACKENDS)
def test_integer_weights_equal_repeated_rows_every_family(name, e_backend, m_backend):
    cls, sub = {"gh": (normix.GeneralizedHyperbolic, {"p": 0.7, "a": 1.3, "b": 0.8}),
                "vg": (VarianceGamma, {"alpha": 2.5, "beta": 1.5}),
                "ninvg": (normix.NormalInverseGamma, {"alpha": 3.5, "beta": 2.0})}[name]
    X = np.asarray(cls.from_classical(mu=np.zeros(2), gamma=np.array([0.3, -0.2]), sigma=SIGMA, **sub).rvs(400, 2))
    counts = np.random.default_rng(1).integers(0, 4, len(X))
    start = cls.default_init(X)
    fitter = BatchEMFitter(max_iter=12, tol=0.0, e_step_backend=e_backend, m_step_backend=m_backend,
                           regularization="det_sigma_one" if name == "gh" else "none")
    assert_same_fit(fitter.fit(start, X, weights=counts.astype(float)), fitter.fit(start, np.repeat(X, counts, 0)),
                    tol=1e-11)


def test_model_fit_takes_weights_and_reports_the_weighted_log_likelihood(data):
    start, X, counts = data
    w = counts * 0.37
    result = start.fit(X, weights=w, max_iter=3, tol=0.0, e_step_backend="cpu")
    log_f = np.asarray(start.log_prob_rows(X, backend="cpu"))
    np.testing.assert_allclose(result.log_likelihoods[0], w @ log_f / w.sum(), rtol=1e-13)
    assert "weights" in type(start).fit.__kwdefaults__ and "weights" in NormalMixture.fit.__doc__
    assert result.log_likelihoods[-1] > result.log_likelihoods[0]


@pytest.mark.parametrize("e_backend, m_backend", [("cpu", "cpu"), pytest.param("jax", "jax", marks=pytest.mark.slow)])
def test_fit_many_with_shared_and_per_data_set_weights(data, e_backend, m_backend):
    start, X, counts = data
    fitter = BatchEMFitter(max_iter=8, tol=0.0, e_step_backend=e_backend, m_step_backend=m_backend)
    other = NormalInverseGaussian.default_init(X[::2])
    repeated = [fitter.fit(m, np.repeat(X, counts, 0)) for m in (start, other)]
    for result, reference in zip(fitter.fit_many([start, other], X, weights=counts.astype(float)), repeated):
        assert_same_fit(result, reference)
    counts2 = counts[::-1]
    datasets = np.stack([X, X[::-1]])
    per_set = fitter.fit_many(start, datasets, weights=np.stack([counts, counts2]).astype(float))
    assert_same_fit(per_set[0], repeated[0])
    assert_same_fit(per_set[1], fitter.fit(start, np.repeat(X[::-1], counts2, 0)))
    shared = fitter.fit_many(start, datasets, weights=counts.astype(float))
    assert_same_fit(shared[1], fitter.fit(start, np.repeat(X[::-1], counts, 0)))


def test_fit_many_best_compares_weighted_log_likelihoods(data):
    start, X, counts = data
    fitter = BatchEMFitter(max_iter=6, tol=0.0, e_step_backend="cpu")
    best = fitter.fit_many([start, NormalInverseGaussian.default_init(X[::3])], X, select="best",
                           weights=counts.astype(float))
    log_f = np.asarray(best.model.log_prob_rows(np.repeat(X, counts, 0), backend="cpu"))
    results = fitter.fit_many([start, NormalInverseGaussian.default_init(X[::3])], np.repeat(X, counts, 0))
    top = max(results, key=lambda r: float(np.mean(r.model.log_prob_rows(np.repeat(X, counts, 0), backend="cpu"))))
    np.testing.assert_allclose(leaves(best.model), leaves(top.model), atol=1e-12)
    assert np.isfinite(log_f).all()


@pytest.mark.parametrize("as_dask", [True, False])
def test_dask_rows_with_dask_or_numpy_weights_equal_repeated_rows(data, as_dask):
    start, X, counts = data
    w = counts.astype(float)
    fitter = BatchEMFitter(max_iter=8, tol=0.0, e_step_backend="cpu")
    weights = da.from_array(w, chunks=70) if as_dask else w
    result = fitter.fit(start, da.from_array(X, chunks=(64, 2)), weights=weights)
    assert_same_fit(result, fitter.fit(start, np.repeat(X, counts, 0)))


# ----------------------------------------------------- uniform and zero weights
@pytest.mark.parametrize("e_backend, m_backend", BACKENDS)
def test_uniform_weights_give_the_unweighted_fit_exactly(data, e_backend, m_backend):
    start, X, _ = data
    fitter = BatchEMFitter(max_iter=6, tol=0.0, e_step_backend=e_backend, m_step_backend=m_backend)
    plain = fitter.fit(start, X)
    for value in (1.0, 0.3, 7.0):
        uniform = fitter.fit(start, X, weights=np.full(len(X), value))
        np.testing.assert_array_equal(leaves(uniform.model), leaves(plain.model))
        np.testing.assert_array_equal(uniform.log_likelihoods, plain.log_likelihoods)
    if e_backend == "cpu":  # a dask X is fitted chunk by chunk on the CPU E-step
        dask_uniform = fitter.fit(start, da.from_array(X, chunks=(100, 2)), weights=np.full(len(X), 2.0))
        np.testing.assert_allclose(leaves(dask_uniform.model), leaves(plain.model), rtol=0, atol=1e-12)


@pytest.mark.parametrize("e_backend", ["cpu", "jax"])
def test_rows_of_weight_zero_do_not_count(data, e_backend):
    """Zero-weight rows far out (1e150) and duplicated columns among them change nothing."""
    start, X, _ = data
    extra = np.array([[1e150, -1e150], [0.0, 0.0], [3.0, 3.0]])
    base = np.full(len(X), 0.5)
    base[::7] = 2.0
    w = np.r_[base, 0.0, 0.0, 0.0]
    fitter = BatchEMFitter(max_iter=8, tol=0.0, e_step_backend=e_backend)
    weighted = fitter.fit(start, np.vstack([X, extra]), weights=w)
    assert_same_fit(weighted, fitter.fit(start, X, weights=w[:len(X)]))
    assert weighted.status is normix.EMStatus.MAX_ITER


def test_minimum_rows_count_rows_of_positive_weight(data):
    start, X, _ = data
    fitter = BatchEMFitter(max_iter=2, e_step_backend="cpu")
    w = np.zeros(len(X))
    w[:3] = 1.0
    with pytest.raises(ValueError, match=r"weights must be positive on at least d \+ 2 = 4 rows.*got 3"):
        fitter.fit(start, X, weights=w)
    w[3] = 1.0
    assert np.isfinite(fitter.fit(start, X, weights=w).log_likelihoods).all()
    constant = X.copy()
    constant[:10, 1] = 0.5
    w = np.zeros(len(X))
    w[:10] = 1.0
    with pytest.raises(ValueError, match="among the rows of positive weight: X must not have a constant column"):
        fitter.fit(start, constant, weights=w)


def test_degeneracy_check_ignores_rows_of_weight_zero():
    X = np.random.default_rng(3).standard_normal((40, 3))
    model = VarianceGamma.from_classical(mu=X[5], gamma=np.zeros(3), sigma=np.eye(3), alpha=1.0, beta=1.0)
    state = VarianceGamma.em_state(model, "cpu")
    w = np.ones(40)
    assert "mu sits on data row 5" in degeneracy(WeightedFamily(VarianceGamma), WeightedRows(X, w), state)
    w[5] = 0.0
    assert degeneracy(WeightedFamily(VarianceGamma), WeightedRows(X, w), state) is None


# ------------------------------------------------------------- stochastic fitters
@pytest.mark.parametrize("fitter", [MiniBatchEMFitter(batch_size=64, max_iter=40),
                                    pytest.param(OnlineEMFitter(max_epochs=2), marks=pytest.mark.slow)])
def test_stochastic_fitters_report_the_weighted_log_likelihood_of_their_model(data, fitter):
    start, X, counts = data
    w = counts.astype(float)
    result = fitter.fit(start, X, key=jax.random.key(0), weights=w)
    log_f = np.asarray(result.model.log_prob_rows(X, backend="cpu"))
    np.testing.assert_allclose(result.log_likelihoods[-1], w @ log_f / w.sum(), rtol=1e-10)
    batch = BatchEMFitter(max_iter=200, tol=1e-8, e_step_backend="cpu").fit(start, X, weights=w)
    assert batch.log_likelihoods[-1] - result.log_likelihoods[-1] < 2e-2


# ------------------------------------------------------------------ bad weights
@pytest.mark.parametrize("weights, match", [
    (np.ones(299), r"weights must have shape \(300,\)"), (np.ones((300, 1)), r"must have shape \(300,\)"),
    ("abc", "weights must be an array of real numbers"), (np.r_[np.nan, np.ones(299)], r"finite.*rows 0\)"),
    (np.r_[np.ones(299), np.inf], r"weights must be finite: 1 row\(s\)"),
    (np.r_[np.ones(298), -1.0, 1.0], r"weights must be >= 0: 1 row\(s\) have negative weights \(rows 298\)"),
    (np.zeros(300), "weights must not all be zero")])
def test_bad_weights_are_refused_by_name(data, weights, match):
    start, X, _ = data
    with pytest.raises(ValueError, match=match):
        BatchEMFitter(e_step_backend="cpu").fit(start, X, weights=weights)
    with pytest.raises(ValueError, match=match):
        start.fit(X, weights=weights)


def test_bad_weights_of_many_fits_dask_and_stochastic_fitters(data):
    start, X, counts = data
    fitter = BatchEMFitter(e_step_backend="cpu")
    W = np.stack([counts, counts]).astype(float)
    W[1] = 0.0
    with pytest.raises(ValueError, match=r"weights must not all be zero \(data set\(s\) 1\)"):
        fitter.fit_many(start, np.stack([X, X]), weights=W)
    with pytest.raises(ValueError, match=r"weights must have shape \(300,\)"):
        fitter.fit_many([start, start], X, weights=W)
    with pytest.raises(ValueError, match="weights must be >= 0"):
        fitter.fit(start, da.from_array(X, chunks=(64, 2)), weights=-np.ones(len(X)))
    with pytest.raises(ValueError, match=r"weights must have shape \(300,\)"):
        fitter.fit(start, da.from_array(X, chunks=(64, 2)), weights=np.ones(10))
    with pytest.raises(ValueError, match="weights must be finite"):
        OnlineEMFitter().fit(start, X, key=jax.random.key(0), weights=np.full(len(X), np.nan))
    with pytest.raises(ValueError, match="weights must not all be zero"):
        MiniBatchEMFitter().fit(start, X, key=jax.random.key(0), weights=np.zeros(len(X)))
