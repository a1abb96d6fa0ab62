"""Fits with fixed and symmetric parameters: held values, constrained M-steps, counts, tests, bad input.

References: the constrained M-step is checked against a numerical maximisation (scipy.optimize)
of the expected complete-data log-likelihood written out row by row from the posterior moments
(scipy.special for the subordinator's log-partition), not from the M-step's own formulas.
"""
import functools
import math

import jax
import numpy as np
import pytest
import scipy.optimize
import scipy.special
import scipy.stats

from normix import (
    BatchEMFitter,
    GeneralizedHyperbolic,
    MultivariateNormal,
    NormalInverseGamma,
    NormalInverseGaussian,
    VarianceGamma,
)
from normix._em.fixed import FixedParameters, validate_constraints
from normix._kernels import dispatch
from normix.selection import aic, bic, likelihood_ratio_test, log_likelihood, n_parameters

SIGMA = np.array([[1.0, 0.3], [0.3, 0.6]])
TRUTH = {
    NormalInverseGaussian: dict(mu_ig=1.2, lam=1.5),
    GeneralizedHyperbolic: dict(p=-1.3, a=1.4, b=0.9),
    VarianceGamma: dict(alpha=2.5, beta=2.0),
    NormalInverseGamma: dict(alpha=3.5, beta=2.5),
}
CPU = dict(e_step_backend="cpu", m_step_backend="cpu")


def truth(family, gamma=(0.5, -0.3), **sub):
    return family.from_classical(mu=[0.1, -0.2], gamma=list(gamma), sigma=SIGMA, **{**TRUTH[family], **sub})


def subordinator_draws(family, rng, n):
    """Y of the family's test law by numpy and scipy samplers (independent of normix's)."""
    sub = TRUTH[family]
    if family is NormalInverseGaussian:
        return rng.wald(sub["mu_ig"], sub["lam"], n)
    if family is GeneralizedHyperbolic:
        p, a, b = sub["p"], sub["a"], sub["b"]
        return scipy.stats.geninvgauss(p, math.sqrt(a * b), scale=math.sqrt(b / a)).rvs(n, random_state=rng)
    y = rng.gamma(sub["alpha"], 1.0 / sub["beta"], n)
    return y if family is VarianceGamma else 1.0 / y


@functools.cache
def data(family, gamma=(0.5, -0.3), seed=11):
    """2000 rows of X = mu + gamma Y + sqrt(Y) Z, Z ~ N(0, SIGMA), of the family's test law."""
    rng = np.random.default_rng(seed)
    y = subordinator_draws(family, rng, 2000)
    z = rng.standard_normal((2000, 2)) @ np.linalg.cholesky(SIGMA).T
    return np.array([0.1, -0.2]) + np.outer(y, gamma) + np.sqrt(y)[:, None] * z


@pytest.fixture(scope="module")
def nig_data():
    return data(NormalInverseGaussian)


def held_values(model, fixed):
    joint = model.joint
    names = type(model).em_subordinator_names()
    values = dict(zip(names, (float(v) for v in joint._subordinator_params())))
    values["mu"], values["gamma"] = np.asarray(joint.mu), np.asarray(joint.gamma)
    return {name: values[name] for name in fixed}


# ----------------------------------------------------------------- the argmax check
def gig_log_density_mean(p, a, b, s1, s2, s3):
    """E log f(Y) for Y ~ GIG(p, a, b) given the means of log Y, 1/Y, Y (scipy's Bessel K)."""
    w = math.sqrt(a * b)
    log_norm = math.log(2.0) + math.log(scipy.special.kve(p, w)) - w + 0.5 * p * math.log(b / a)
    return (p - 1.0) * s1 - 0.5 * (a * s3 + b * s2) - log_norm


def subordinator_objective(family, sub, s1, s2, s3):
    """The subordinator's part of the expected complete-data log-likelihood, by family."""
    if family is GeneralizedHyperbolic:
        return gig_log_density_mean(*sub, s1, s2, s3)
    if family is NormalInverseGaussian:
        mu_ig, lam = sub
        return gig_log_density_mean(-0.5, lam / mu_ig**2, lam, s1, s2, s3)
    alpha, beta = sub
    if family is VarianceGamma:
        return (alpha - 1.0) * s1 - beta * s3 + alpha * math.log(beta) - scipy.special.gammaln(alpha)
    return -(alpha + 1.0) * s1 - beta * s2 + alpha * math.log(beta) - scipy.special.gammaln(alpha)


def normal_objective(X, w, e_y, mu, gamma, L):
    """mean_i of E[log N(x_i; mu + gamma Y, Sigma Y) | x_i] up to constants, row by row."""
    r = X - mu
    z = np.linalg.solve(L, r.T)
    g = np.linalg.solve(L, gamma)
    return (-np.sum(np.log(np.diag(L))) - 0.5 * np.mean(w * np.sum(z * z, axis=0)) + np.mean(z.T @ g)
            - 0.5 * np.mean(e_y) * g @ g)


def numerical_argmax(family, X, moments, start_state, constraints):
    """Maximise both parts by BFGS over the free parameters (logs of positive ones), from ``start_state``."""
    held = dict(constraints.fixed)
    w, e_y, e_log = moments["E_inv_Y"], moments["E_Y"], moments["E_log_Y"]
    d = X.shape[1]
    tril = np.tril_indices(d)

    def unpack_normal(v):
        k = 0
        mu = np.asarray(held["mu"]) if "mu" in held else v[k:k + d]
        k += 0 if "mu" in held else d
        gamma = np.asarray(held["gamma"]) if "gamma" in held else v[k:k + d]
        k += 0 if "gamma" in held else d
        L = np.zeros((d, d))
        L[tril] = v[k:]
        L[np.diag_indices(d)] = np.exp(np.diag(L))
        return mu, gamma, L

    L0 = np.array(start_state.L_Sigma, dtype=float)
    L0[np.diag_indices(d)] = np.log(np.diag(L0))
    v0 = np.concatenate([np.asarray(start_state.mu)] * ("mu" not in held)
                        + [np.asarray(start_state.gamma)] * ("gamma" not in held) + [L0[tril]])
    normal = scipy.optimize.minimize(lambda v: -normal_objective(X, w, e_y, *unpack_normal(v)), v0, method="BFGS",
                                     options=dict(gtol=1e-11, maxiter=5000))
    names = family.em_subordinator_names()
    positive = [name != "p" for name in names]
    free = [i for i, name in enumerate(names) if name not in held]

    def unpack_sub(u):
        values = [held.get(name) for name in names]
        for j, i in enumerate(free):
            values[i] = math.exp(u[j]) if positive[i] else u[j]
        return values

    s1, s2, s3 = np.mean(e_log), np.mean(w), np.mean(e_y)
    u0 = [math.log(float(start_state.subordinator[i])) if positive[i] else float(start_state.subordinator[i])
          for i in free]
    sub = scipy.optimize.minimize(lambda u: -subordinator_objective(family, unpack_sub(u), s1, s2, s3), u0,
                                  method="BFGS", options=dict(gtol=1e-11, maxiter=5000)) if free else None
    objective = (lambda mu, gamma, L, subv: normal_objective(X, w, e_y, mu, gamma, L)
                 + subordinator_objective(family, subv, s1, s2, s3))
    best = unpack_normal(normal.x), unpack_sub(sub.x) if free else unpack_sub([])
    return objective, best


ARGMAX_CASES = [
    (NormalInverseGaussian, dict(fixed={"mu_ig": 1.6})),
    (NormalInverseGaussian, dict(fixed={"lam": 0.8})),
    (NormalInverseGaussian, dict(fixed={"gamma": [0.2, -0.1]})),
    (NormalInverseGaussian, dict(fixed={"mu": [0.05, 0.0]})),
    (NormalInverseGaussian, dict(fixed={"mu": [0.05, 0.0]}, symmetric=True)),
    (GeneralizedHyperbolic, dict(fixed={"p": -0.8})),
    (GeneralizedHyperbolic, dict(fixed={"a": 1.1, "b": 0.6})),
    (GeneralizedHyperbolic, dict(fixed={"b": 0.7}, symmetric=True)),
    (VarianceGamma, dict(fixed={"alpha": 2.0})),
    (VarianceGamma, dict(fixed={"beta": 1.5})),
    (NormalInverseGamma, dict(fixed={"alpha": 3.0})),
    (NormalInverseGamma, dict(fixed={"beta": 1.8, "mu": [0.0, 0.0]})),
]


def m_step_problem(family, hold, n):
    """Data, the held-parameter adapter, a constrained state, its E-step statistics and its CPU M-step."""
    X = data(family)[:n]
    model = truth(family, gamma=(0.3, -0.1))
    constraints = validate_constraints(model, hold.get("fixed"), hold.get("symmetric", False), "none")
    adapter = FixedParameters.wrap(family, family, constraints)
    state = adapter.em_state(model, "cpu")
    stats, _ = family.em_e_step(X, state, "cpu")
    return X, constraints, adapter, state, stats, adapter.em_m_step(stats, state, "cpu", "newton")


@pytest.mark.parametrize("family, hold", ARGMAX_CASES, ids=lambda v: getattr(v, "__name__", str(v)))
def test_constrained_m_step_is_the_argmax(family, hold):
    X, constraints, _, state, _, new = m_step_problem(family, hold, 300)
    moments = {k: np.asarray(v) for k, v in family.em_model(state).e_step(X, backend="cpu").items()}
    objective, (normal_best, sub_best) = numerical_argmax(family, X, moments, state, constraints)
    ours = objective(np.asarray(new.mu), np.asarray(new.gamma), np.asarray(new.L_Sigma),
                     [float(v) for v in new.subordinator])
    theirs = objective(*normal_best, sub_best)
    assert ours >= theirs - 1e-10
    np.testing.assert_allclose(np.asarray(new.mu), normal_best[0], atol=1e-5)
    np.testing.assert_allclose(np.asarray(new.gamma), normal_best[1], atol=1e-5)
    np.testing.assert_allclose(np.asarray(new.L_Sigma), normal_best[2], atol=1e-5)
    np.testing.assert_allclose([float(v) for v in new.subordinator], sub_best, rtol=1e-5)
    for name, value in constraints.fixed:
        assert np.array_equal(held_values(family.em_model(new), [name])[name], np.asarray(value))


JAX_CASES = [pytest.param(*case, marks=() if i == 0 else pytest.mark.slow) for i, case in enumerate(ARGMAX_CASES[::3])]


@pytest.mark.parametrize("family, hold", JAX_CASES, ids=lambda v: getattr(v, "__name__", str(v)))
def test_jax_m_step_equals_cpu(family, hold):
    _, _, adapter, state, stats, cpu = m_step_problem(family, hold, 300)
    jax_step = adapter.em_m_step(*dispatch.to_backend((stats, state), "jax"), "jax", "newton")
    for a, b in zip(jax.tree_util.tree_leaves(cpu), jax.tree_util.tree_leaves(jax_step)):
        np.testing.assert_allclose(np.asarray(b), np.asarray(a), rtol=1e-9, atol=1e-12)


# -------------------------------------------------------------------------- fits
FIT_CASES = [
    (NormalInverseGaussian, {"mu_ig": 1.5, "mu": [0.1, -0.2]}),
    (VarianceGamma, {"beta": 1.7}),
    (NormalInverseGamma, {"alpha": 3.0, "gamma": [0.4, -0.2]}),
]


@pytest.mark.parametrize("family, fixed", FIT_CASES, ids=lambda v: getattr(v, "__name__", ""))
def test_held_values_stay_exactly_fixed_and_likelihood_rises(family, fixed):
    X = data(family)
    seen = []
    fitter = BatchEMFitter(max_iter=40, tol=1e-6, **CPU)
    result = fitter.fit(truth(family, gamma=(0.0, 0.0)), X, fixed=fixed,
                        callback=lambda i, model, ll: seen.append(held_values(model, fixed)))
    seen.append(held_values(result.model, fixed))
    for values in seen:
        for name, value in fixed.items():
            assert np.array_equal(values[name], np.broadcast_to(np.asarray(value, dtype=float), np.shape(values[name])))
    assert np.all(np.diff(result.log_likelihoods) >= -1e-12)


def constrained_starts(family, X, fixed):
    starts = [family.default_init(X), truth(family, gamma=(-0.4, 0.4)), truth(family, gamma=(0.0, 0.0))]
    constraints = validate_constraints(starts[0], fixed, False, "none")
    adapter = FixedParameters.wrap(family, family, constraints)
    return [family.em_model(adapter.em_state(m, "cpu")) for m in starts]


def test_constrained_likelihood_between_its_starts_and_the_free_fit(nig_data):
    fixed = {"gamma": [0.3, -0.1], "lam": 1.2}
    free = NormalInverseGaussian.default_init(nig_data).fit(nig_data, tol=1e-9, max_iter=1000, **CPU)
    assert free.converged
    ll_free = log_likelihood(free.model, nig_data)
    for start in constrained_starts(NormalInverseGaussian, nig_data, fixed):
        fit = start.fit(nig_data, fixed=fixed, tol=1e-8, max_iter=300, **CPU)
        ll = log_likelihood(fit.model, nig_data)
        assert log_likelihood(start, nig_data) <= ll <= ll_free + 1e-6


def test_symmetric_fit_of_symmetric_data_agrees_with_the_free_fit():
    X = data(NormalInverseGaussian, gamma=(0.0, 0.0))
    start = NormalInverseGaussian.default_init(X)
    free = start.fit(X, tol=1e-7, max_iter=500, **CPU).model.joint
    sym = start.fit(X, symmetric=True, tol=1e-7, max_iter=500, **CPU).model.joint
    assert np.array_equal(np.asarray(sym.gamma), np.zeros(2))
    se = np.sqrt(np.diag(SIGMA) / len(X))
    assert np.all(np.abs(np.asarray(free.gamma)) < 4 * se * 3)
    assert np.all(np.abs(np.asarray(sym.mu) - np.asarray(free.mu)) < 4 * se * 3)
    np.testing.assert_allclose(np.asarray(sym.sigma()), np.asarray(free.sigma()), rtol=0.1)
    assert abs(float(sym.mu_ig) - float(free.mu_ig)) < 0.15 * float(free.mu_ig)


@pytest.mark.parametrize("gamma, tiny", [((0.0, 0.0), False), ((0.8, -0.6), True)])
def test_likelihood_ratio_test_symmetric_against_skewed(gamma, tiny):
    X = data(NormalInverseGaussian, gamma=gamma, seed=13)
    start = NormalInverseGaussian.default_init(X)
    skewed = start.fit(X, tol=1e-8, max_iter=1000, **CPU)
    symmetric = start.fit(X, symmetric=True, tol=1e-8, max_iter=1000, **CPU)
    test = likelihood_ratio_test(symmetric, skewed, X)
    assert test.df == 2 == n_parameters(skewed) - n_parameters(symmetric)
    assert test.statistic >= 0
    assert (test.p_value < 1e-12) if tiny else (test.p_value > 0.01)


def test_gh_with_p_fixed_under_the_default_gauge():
    X = data(GeneralizedHyperbolic)
    start = NormalInverseGaussian.default_init(X)
    start = GeneralizedHyperbolic.from_mixture(start.fit(X, max_iter=5, **CPU).model)
    result = start.fit(X, fixed={"p": -0.5}, tol=1e-6, max_iter=200)
    joint = result.model.joint
    assert float(joint.p) == -0.5
    np.testing.assert_allclose(np.linalg.det(np.asarray(joint.sigma())), 1.0, rtol=1e-10)
    assert np.all(np.diff(result.log_likelihoods) >= -1e-12)
    assert n_parameters(result) == n_parameters(result.model) - 1


def test_fit_many_equals_single_fits(nig_data):
    fitter = BatchEMFitter(max_iter=30, tol=1e-6, **CPU)
    starts = [NormalInverseGaussian.default_init(nig_data), truth(NormalInverseGaussian)]
    many = fitter.fit_many(starts, nig_data, symmetric=True, fixed={"mu_ig": 1.0})
    for start, result in zip(starts, many):
        single = fitter.fit(start, nig_data, symmetric=True, fixed={"mu_ig": 1.0})
        assert result.n_iter == single.n_iter and result.constraints == single.constraints
        np.testing.assert_allclose(result.log_likelihoods, single.log_likelihoods, rtol=1e-12)
        assert np.array_equal(np.asarray(result.model.joint.gamma), np.zeros(2))


def test_dask_fit_equals_in_memory(nig_data):
    da = pytest.importorskip("dask.array")
    fitter = BatchEMFitter(max_iter=20, tol=1e-6, **CPU)
    start = NormalInverseGaussian.default_init(nig_data)
    memory = fitter.fit(start, nig_data, fixed={"lam": 1.0, "mu": [0.0, 0.0]})
    chunked = fitter.fit(start, da.from_array(nig_data, chunks=(500, 2)), fixed={"lam": 1.0, "mu": [0.0, 0.0]})
    assert chunked.n_iter == memory.n_iter
    np.testing.assert_allclose(chunked.log_likelihoods, memory.log_likelihoods, rtol=1e-10)


@pytest.mark.slow
@pytest.mark.parametrize("family, fixed", [(NormalInverseGaussian, {"mu_ig": 1.5}),
                                           (GeneralizedHyperbolic, {"p": -1.0, "b": 0.8})])
def test_compiled_jax_loop_equals_cpu_loop(nig_data, family, fixed):
    start = truth(family, gamma=(0.0, 0.0))
    options = dict(fixed=fixed, symmetric=True, tol=1e-6, max_iter=40, regularization="none")
    cpu = start.fit(nig_data, **CPU, **options)
    compiled = start.fit(nig_data, e_step_backend="jax", m_step_backend="jax", **options)
    assert compiled.n_iter == cpu.n_iter
    np.testing.assert_allclose(compiled.log_likelihoods, cpu.log_likelihoods, rtol=1e-9)


# ---------------------------------------------------------------------- counting
@pytest.mark.parametrize("family, fixed, symmetric, removed", [
    (GeneralizedHyperbolic, {"p": -0.5}, False, 1),
    (GeneralizedHyperbolic, {"a": 1.0}, False, 0),          # only picks the scale
    (GeneralizedHyperbolic, {"a": 1.0, "b": 2.0}, False, 1),
    (GeneralizedHyperbolic, None, True, 2),
    (NormalInverseGaussian, {"mu_ig": 1.0, "lam": 2.0}, False, 1),
    (NormalInverseGaussian, {"mu": [0, 0], "gamma": [0.1, 0.2]}, False, 3),
    (VarianceGamma, {"alpha": 2.0}, True, 3),
    (NormalInverseGamma, {"beta": 2.0}, False, 0),
])
def test_parameter_counts_of_held_fits(family, fixed, symmetric, removed):
    model = truth(family)
    assert n_parameters(model, fixed=fixed, symmetric=symmetric) == n_parameters(model) - removed
    X = data(family)[:50]
    k = n_parameters(model) - removed
    assert aic(model, X, fixed=fixed, symmetric=symmetric) == pytest.approx(2 * k - 2 * log_likelihood(model, X))
    assert bic(model, X, fixed=fixed, symmetric=symmetric) == pytest.approx(
        k * math.log(50) - 2 * log_likelihood(model, X))


def test_held_values_that_only_pick_the_scale_reach_the_free_optimum(nig_data):
    start = NormalInverseGaussian.default_init(nig_data)
    free = start.fit(nig_data, tol=1e-9, max_iter=1000, **CPU)
    held = start.fit(nig_data, fixed={"mu_ig": 2.0}, tol=1e-9, max_iter=1000, **CPU)
    assert held.converged and float(held.model.joint.mu_ig) == 2.0
    assert log_likelihood(held.model, nig_data) == pytest.approx(log_likelihood(free.model, nig_data), abs=1e-5)


# -------------------------------------------------------------------- bad input
BAD = [
    (dict(fixed=[("lam", 1.0)]), "fixed must be a mapping"),
    (dict(fixed={"sigma": np.eye(2)}), r"unknown parameter name.*Sigma is always estimated"),
    (dict(fixed={"p": -0.5}), r"unknown parameter name.*'mu_ig', 'lam'"),
    (dict(fixed={"mu": [0.0, 0.0, 0.0]}), r"fixed\['mu'\] must have shape \(2,\)"),
    (dict(fixed={"gamma": [[0.0, 0.0]]}), r"fixed\['gamma'\] must have shape"),
    (dict(fixed={"lam": [1.0, 2.0]}), r"fixed\['lam'\] must be a scalar"),
    (dict(fixed={"gamma": [np.nan, 0.0]}), r"fixed\['gamma'\] must be finite"),
    (dict(fixed={"mu_ig": np.inf}), r"fixed\['mu_ig'\] must be finite"),
    (dict(fixed={"lam": 0.0}), r"fixed\['lam'\] must be > 0"),
    (dict(fixed={"mu_ig": -1.0}), r"fixed\['mu_ig'\] must be > 0"),
    (dict(fixed={"lam": "one"}), r"fixed\['lam'\] must be a real number"),
    (dict(fixed={"lam": True}), r"fixed\['lam'\] must be a real number"),
    (dict(fixed={"mu": "zero"}), r"fixed\['mu'\] must be a real vector"),
    (dict(symmetric=True, fixed={"gamma": 0.0}), "symmetric=True fixes gamma = 0"),
    (dict(symmetric="yes"), "symmetric must be True or False"),
    (dict(fixed={"lam": 1.0}, regularization="det_sigma_one"), r"regularization='det_sigma_one'.*'none'"),
    (dict(fixed={"gamma": [0.1, 0.0]}, regularization="det_sigma_one"), r"holds \['gamma'\]"),
]


@pytest.mark.parametrize("options, message", BAD)
def test_bad_input_raises_value_error(nig_data, options, message):
    with pytest.raises(ValueError, match=message):
        truth(NormalInverseGaussian).fit(nig_data, max_iter=2, **CPU, **options)


def test_bad_input_of_fit_many_and_selection(nig_data):
    with pytest.raises(ValueError, match="fixed must be a mapping"):
        BatchEMFitter(**CPU).fit_many([truth(NormalInverseGaussian)], nig_data, fixed=1.0)
    with pytest.raises(ValueError, match="regularization='det_sigma_one'"):
        truth(GeneralizedHyperbolic).fit(nig_data, fixed={"a": 1.0}, max_iter=2)
    limit = GeneralizedHyperbolic.from_classical(mu=[0, 0], gamma=[0, 0], sigma=SIGMA, p=2.0, a=1.0, b=0.0)
    with pytest.raises(ValueError, match="does not give a valid GeneralizedHyperbolic"):
        limit.fit(nig_data, fixed={"p": -1.0}, max_iter=2, regularization="none", **CPU)
    result = truth(NormalInverseGaussian).fit(nig_data, symmetric=True, max_iter=2, **CPU)
    with pytest.raises(ValueError, match="an EMResult carries its own constraints"):
        n_parameters(result, symmetric=True)
    with pytest.raises(ValueError, match="apply to the normal mixtures"):
        n_parameters(MultivariateNormal(np.zeros(2), np.eye(2)), symmetric=True)


def test_every_fixable_parameter_held_leaves_sigma_free(nig_data):
    fixed = {"mu": [0.1, -0.2], "gamma": [0.5, -0.3], "mu_ig": 1.2, "lam": 1.5}
    result = truth(NormalInverseGaussian).fit(nig_data, fixed=fixed, tol=1e-10, max_iter=200, **CPU)
    assert result.converged
    assert n_parameters(result) == 3
    joint = result.model.joint
    assert float(joint.mu_ig) == 1.2 and float(joint.lam) == 1.5
    assert np.all(np.diff(result.log_likelihoods) >= -1e-12)
