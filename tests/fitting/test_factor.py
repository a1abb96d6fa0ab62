"""Factor-structured Sigma = B Bᵀ + diag(D): kernels against the dense computation, fits against the full fit.

References: the dense E-step ``estep_statistics`` with L = chol(B Bᵀ + D); a dense
factor-analysis EM step written from its textbook form; the full-Sigma fit (which the
factor model contains when k = d - 1); the true Sigma of the simulated model.
"""
import functools

import dask.array as da
import jax
import numpy as np
import pytest

from normix import GeneralizedHyperbolic, NormalInverseGaussian, VarianceGamma
from normix._em.factor import FactorEMResult, principal_factors
from normix._kernels import dispatch
from normix._kernels.parity_cases.factor import problem
from normix.fitting.em import BatchEMFitter

GIG_CASES = [(1.5, 2.0, 0.5), (-0.5, 1.0, 1.0), (2.0, 1.0, 0.0), (-3.0, 0.0, 4.0)]


@functools.cache
def kernel(backend, name):
    """The kernel of ``backend``, jitted on JAX (one compilation for every case of a shape)."""
    function = getattr(dispatch.kernels(backend), name)
    return jax.jit(function) if backend == "jax" else function


def dense_reference(X, mu, gamma, B, D, p, a, b):
    sigma = B @ B.T + np.diag(D)
    s1, s2, s3, s4, s5, S6, ll = dispatch.kernels("cpu").estep_statistics(X, mu, gamma, np.linalg.cholesky(sigma),
                                                                          p, a, b)
    beta = np.linalg.solve(sigma, B).T
    return (s1, s2, s3, s4, s5, S6 @ beta.T, np.diagonal(S6), ll), S6


def assert_estep_equals_dense(backend, seed, n, d, k, pab):
    X, mu, gamma, B, D, *_ = problem(np.random.default_rng(seed), n, d, k, *pab)
    expected, _ = dense_reference(X, mu, gamma, B, D, *pab)
    got = kernel(backend, "factor_estep_statistics")(X, mu, gamma, B, D, *(np.asarray(v) for v in pab))
    for e, g in zip(expected, got):
        np.testing.assert_allclose(np.asarray(g), e, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("backend", ["cpu", "jax"])
@pytest.mark.parametrize("pab", GIG_CASES)
def test_woodbury_estep_equals_dense(backend, pab):
    assert_estep_equals_dense(backend, 3, 400, 9, 3, pab)


@pytest.mark.parametrize("backend", ["cpu", "jax"])
def test_woodbury_estep_equals_dense_many_rows_large_d(backend):
    """Above ESTEP_SERIAL_MAX_ROWS rows (the parallel kernel; parts not a multiple of the row tile) and above
    ESTEP_FUSED_MAX_DIM (the dense reference's BLAS path)."""
    assert_estep_equals_dense(backend, 5, 4099, 70, 4, (-0.5, 1.0, 1.0))


def dense_fa_step(S, B, D):
    """One factor-analysis EM step on the covariance S (Rubin & Thayer 1982), dense d x d algebra."""
    sigma = B @ B.T + np.diag(D)
    beta = B.T @ np.linalg.inv(sigma)
    E_ff = np.eye(B.shape[1]) - beta @ B + beta @ S @ beta.T
    B_new = S @ beta.T @ np.linalg.inv(E_ff)
    return B_new, np.diagonal(S - B_new @ beta @ S)


def fa_objective(S, B, D):
    sigma = B @ B.T + np.diag(D)
    return -np.linalg.slogdet(sigma)[1] - np.trace(np.linalg.solve(sigma, S))


@pytest.mark.parametrize("backend", ["cpu", "jax"])
def test_m_step_equals_dense_ecm_step(backend):
    rng = np.random.default_rng(4)
    X, mu, gamma, B, D, p, a, b = problem(rng, 500, 8, 2, -0.5, 1.0, 1.0)
    (_, s2, s3, s4, s5, S6_beta, S6_diag, _), S6 = dense_reference(X, mu, gamma, B, D, p, a, b)
    mu1, gamma1, B1, D1 = (np.asarray(v) for v in kernel(backend, "factor_m_step")(
        s2, s3, s4, s5, S6_beta, S6_diag, B, D))
    mu_ref, gamma_ref, L = dispatch.kernels("cpu").normal_m_step(s2, s3, s4, s5, S6)
    np.testing.assert_allclose(mu1, mu_ref, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(gamma1, gamma_ref, rtol=1e-12, atol=1e-13)
    S = L @ L.T  # the full M-step's Sigma is the expected scatter S at the new mu, gamma
    B_ref, D_ref = dense_fa_step(S, B, D)
    np.testing.assert_allclose(B1, B_ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(D1, D_ref, rtol=1e-10)
    assert fa_objective(S, B1, D1) > fa_objective(S, B, D)


def test_m_step_refuses_non_positive_specific_variance():
    B, D = np.ones((3, 1)), np.ones(3)
    out = dispatch.kernels("cpu").factor_m_step(2.0, 1.0, np.zeros(3), np.zeros(3), np.zeros((3, 1)), np.zeros(3),
                                                B, D)
    assert np.all(np.isnan(out[2])) and np.all(np.isnan(out[3]))


def test_principal_factors_exact_on_a_ppca_covariance():
    rng = np.random.default_rng(5)
    B = rng.standard_normal((7, 2))
    sigma = B @ B.T + 0.3 * np.eye(7)
    B0, D0 = principal_factors(sigma, 2)
    np.testing.assert_allclose(B0 @ B0.T + np.diag(D0), sigma, atol=1e-12)


@pytest.fixture(scope="module")
def heavy_data():
    rng = np.random.default_rng(1)
    return rng.standard_t(5, size=(1500, 5)) @ rng.standard_normal((5, 5)) + 0.1


def test_k_equal_d_minus_one_reaches_the_full_likelihood(heavy_data):
    """Every positive definite Sigma is B Bᵀ + diag(D) with k = d - 1 (D = λ_min I), so the maxima agree.

    Factor-analysis EM creeps along the flat directions of that over-parameterised model
    (about 570 iterations to 1e-6 here), so the budget, not the tolerance, ends the fit.
    """
    model = NormalInverseGaussian.default_init(heavy_data)
    full = model.fit(heavy_data, tol=1e-10, max_iter=2000, e_step_backend="cpu")
    factor = model.fit(heavy_data, sigma="factor", n_factors=4, tol=0, max_iter=800, e_step_backend="cpu")
    assert full.converged
    assert isinstance(factor, FactorEMResult)
    ll_full = float(full.model.marginal_log_likelihood(heavy_data))
    ll_factor = float(factor.model.marginal_log_likelihood(heavy_data))
    assert abs(ll_factor - ll_full) < 1e-6
    assert abs(factor.log_likelihoods[-1] - ll_factor) < 1e-8


@pytest.mark.parametrize("cls", [NormalInverseGaussian, GeneralizedHyperbolic, VarianceGamma])
def test_log_likelihood_is_monotone(cls):
    rng = np.random.default_rng(7)
    X, *_ = problem(rng, 2000, 12, 2, -0.5, 1.0, 1.0)
    result = cls.default_init(X).fit(X, sigma="factor", n_factors=2, tol=0, max_iter=60, e_step_backend="cpu")
    lls = result.log_likelihoods
    assert len(lls) == 60
    assert np.all(np.diff(lls) >= -1e-12 * np.abs(lls[1:]))
    assert lls[-1] > lls[0] + 1e-3


def test_det_sigma_one_keeps_the_law_and_unit_determinant():
    rng = np.random.default_rng(8)
    X, *_ = problem(rng, 1000, 6, 2, 1.5, 2.0, 0.5)
    result = GeneralizedHyperbolic.default_init(X).fit(X, sigma="factor", n_factors=2, max_iter=30, tol=0)
    B, D = result.loadings, result.specific_variances
    assert abs(np.linalg.slogdet(B @ B.T + np.diag(D))[1]) < 1e-10
    assert np.all(np.diff(result.log_likelihoods) >= -1e-12 * np.abs(result.log_likelihoods[1:]))


def test_compiled_jax_loop_follows_the_cpu_iterates():
    rng = np.random.default_rng(9)
    X, *_ = problem(rng, 600, 6, 2, -0.5, 1.0, 1.0)
    model = NormalInverseGaussian.default_init(X)
    cpu = BatchEMFitter(max_iter=15, tol=0, e_step_backend="cpu").fit(model, X, sigma="factor", n_factors=2)
    jx = BatchEMFitter(max_iter=15, tol=0, e_step_backend="jax", m_step_backend="jax").fit(
        model, X, sigma="factor", n_factors=2)
    np.testing.assert_allclose(jx.log_likelihoods, cpu.log_likelihoods, rtol=1e-10)
    np.testing.assert_allclose(np.asarray(jx.model.joint.sigma()), np.asarray(cpu.model.joint.sigma()), rtol=1e-8)


@pytest.mark.parametrize("d, n, bound", [(8, 4000, 0.1), pytest.param(20, 20000, 0.05, marks=pytest.mark.slow)])
def test_recovers_a_true_factor_structure(d, n, bound):
    rng = np.random.default_rng(10)
    k = 2
    B = rng.standard_normal((d, k))
    D = rng.uniform(0.2, 1.0, d)
    sigma = B @ B.T + np.diag(D)
    true = NormalInverseGaussian.from_classical(mu=np.full(d, 0.1), gamma=0.1 * rng.standard_normal(d), sigma=sigma,
                                                mu_ig=1.0, lam=1.0)
    X = true.rvs(n, seed=3)
    result = NormalInverseGaussian.default_init(X).fit(X, sigma="factor", n_factors=k, tol=1e-6, max_iter=500,
                                                      e_step_backend="cpu")
    assert result.converged
    fitted = result.loadings @ result.loadings.T + np.diag(result.specific_variances)
    np.testing.assert_allclose(np.asarray(result.model.joint.sigma()), fitted, rtol=1e-10, atol=1e-12)
    error = np.linalg.norm(fitted - sigma) / np.linalg.norm(sigma)
    assert error < bound
    full = NormalInverseGaussian.default_init(X).fit(X, tol=1e-6, max_iter=500, e_step_backend="cpu")
    assert error < np.linalg.norm(np.asarray(full.model.joint.sigma()) - sigma) / np.linalg.norm(sigma)


@pytest.mark.parametrize("kwargs, match", [
    (dict(sigma="diag"), "sigma must be one of"),
    (dict(sigma="full", n_factors=2), "n_factors is used only with sigma='factor'"),
    (dict(sigma="factor"), "n_factors must be an integer"),
    (dict(sigma="factor", n_factors=2.0), "n_factors must be an integer"),
    (dict(sigma="factor", n_factors=True), "n_factors must be an integer"),
    (dict(sigma="factor", n_factors=0), r"n_factors must satisfy 1 <= n_factors < d = 4"),
    (dict(sigma="factor", n_factors=4), r"n_factors must satisfy 1 <= n_factors < d = 4"),
])
def test_bad_arguments_raise(kwargs, match):
    X = np.random.default_rng(0).standard_normal((50, 4))
    with pytest.raises(ValueError, match=match):
        NormalInverseGaussian.default_init(X).fit(X, **kwargs)


def test_dask_rows_are_refused():
    X = np.random.default_rng(0).standard_normal((50, 4))
    with pytest.raises(ValueError, match="sigma='factor' needs the rows in memory"):
        BatchEMFitter(e_step_backend="cpu").fit(NormalInverseGaussian.default_init(X), da.from_array(X, chunks=25),
                                                sigma="factor", n_factors=1)
