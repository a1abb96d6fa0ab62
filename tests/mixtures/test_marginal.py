"""Marginal mixtures f(x): densities against quadrature, EM steps, sampling, validation."""
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from mixture_cases import FAMILIES, NAMES, make_model, normal_params, posterior_quadrature, subordinator_law


def _points(d, seed):
    rng = np.random.default_rng(seed)
    mu, _, sigma = normal_params(d)
    L = np.linalg.cholesky(sigma)
    return [mu + L @ rng.normal(size=d) * scale for scale in (0.3, 1.0, 4.0)]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("d", [1, 2, 5])
def test_log_prob_matches_quadrature_of_the_joint(name, d):
    model = make_model(name, d)
    mu, gamma, sigma = normal_params(d)
    for x in _points(d, seed=d):
        expected = posterior_quadrature(x, mu, gamma, sigma, subordinator_law(name))[0]
        np.testing.assert_allclose(float(model.log_prob(x)), expected, rtol=1e-10)
        np.testing.assert_allclose(float(model.pdf(x)), np.exp(expected), rtol=1e-9)


def _sinh_grid(center, scale, half_width, nodes):
    u = np.linspace(-half_width, half_width, nodes)
    return center + scale * np.sinh(u), scale * np.cosh(u) * (u[1] - u[0])


@pytest.mark.parametrize("name", NAMES)
def test_density_integrates_to_one_in_one_dimension(name):
    model = make_model(name, 1)
    x, w = _sinh_grid(float(model.joint.mu[0]), 1.0, 9.0, 4001)
    density = np.asarray(jax.jit(jax.vmap(model.pdf))(x[:, None]))
    np.testing.assert_allclose(np.sum(density * w), 1.0, rtol=1e-9)


@pytest.mark.parametrize("name", NAMES)
def test_density_integrates_to_one_in_two_dimensions(name):
    model = make_model(name, 2)
    mu = np.asarray(model.joint.mu)
    x1, w1 = _sinh_grid(mu[0], 1.0, 8.0, 401)
    x2, w2 = _sinh_grid(mu[1], 1.0, 8.0, 401)
    grid = np.stack(np.meshgrid(x1, x2, indexing="ij"), axis=-1).reshape(-1, 2)
    density = np.asarray(jax.jit(jax.vmap(model.pdf))(grid)).reshape(x1.size, x2.size)
    np.testing.assert_allclose(w1 @ density @ w2, 1.0, rtol=1e-7)


@pytest.mark.parametrize("name", ["nig", "gh"])
def test_log_prob_is_jittable_and_differentiable(name):
    model = make_model(name, 3)
    x = jnp.asarray(_points(3, seed=4)[1])
    compiled = eqx.filter_jit(model.log_prob)
    np.testing.assert_allclose(float(compiled(x)), float(model.log_prob(x)), rtol=1e-13)
    grad = np.asarray(jax.jit(jax.grad(lambda point: model.log_prob(point)))(x))
    h = 1e-6
    fd = [(float(compiled(x.at[j].add(h))) - float(compiled(x.at[j].add(-h)))) / (2 * h) for j in range(3)]
    np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", NAMES)
def test_e_step_backends_agree(name):
    model = make_model(name, 3)
    X = model.rvs(500, seed=1)
    cpu = model.e_step(X, backend="cpu")
    jx = model.e_step(X, backend="jax")
    assert set(cpu) == {"E_log_Y", "E_inv_Y", "E_Y"}
    for key in cpu:
        assert cpu[key].shape == (500,)
        np.testing.assert_allclose(np.asarray(jx[key]), cpu[key], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_e_step_matches_conditional_expectations(name):
    model = make_model(name, 2)
    X = model.rvs(5, seed=2)
    moments = model.e_step(X, backend="cpu")
    for i, x in enumerate(X):
        single = model.joint.conditional_expectations(x)
        for key in moments:
            np.testing.assert_allclose(float(single[key]), moments[key][i], rtol=1e-12)


@pytest.mark.parametrize("name,backend", [(name, "cpu") for name in NAMES] + [
    ("nig", "jax"), ("vg", "jax"), ("ninvg", "jax"), pytest.param("gh", "jax", marks=pytest.mark.slow)])
def test_m_step_of_e_step_is_the_em_update(name, backend):
    model = make_model(name, 2)
    X = make_model(name, 2, seed=5).rvs(800, seed=3)
    updated = model.m_step(X, model.e_step(X, backend=backend), backend=backend)
    cls = type(model)
    stats, _ = cls.em_e_step(np.asarray(X), cls.em_state(model, "cpu"), "cpu")
    state = cls.em_m_step(stats, cls.em_state(model, "cpu"), "cpu", "newton")
    for got, want in zip(jax.tree_util.tree_leaves(cls.em_state(updated, "cpu")), jax.tree_util.tree_leaves(state)):
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-8)
    assert float(updated.marginal_log_likelihood(X)) > float(model.marginal_log_likelihood(X))


def test_m_step_rejects_unknown_options_and_bad_expectations():
    model = make_model("nig", 2)
    X = model.rvs(50, seed=1)
    moments = model.e_step(X, backend="cpu")
    with pytest.raises(TypeError, match="unexpected keyword"):
        model.m_step(X, moments, solver="newton")
    with pytest.raises(ValueError, match="method"):
        model.m_step(X, moments, method="secant")
    with pytest.raises(ValueError, match="E_Y"):
        model.m_step(X, {**moments, "E_Y": moments["E_Y"][:10]})


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("regularization", ["none", "det_sigma_one"])
def test_em_never_decreases_the_likelihood_cpu(name, regularization):
    model = make_model(name, 2)
    X = make_model(name, 2, seed=9).rvs(1500, seed=4)
    result = model.fit(X, max_iter=12, tol=1e-12, regularization=regularization, e_step_backend="cpu",
                       m_step_backend="cpu")
    lls = np.append(result.log_likelihoods, float(result.model.marginal_log_likelihood(X)))
    assert np.all(np.isfinite(lls)) and lls.size == 13
    assert np.all(np.diff(lls) >= -1e-10 * np.abs(lls[1:])), np.diff(lls)
    assert lls[-1] > lls[0]


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("regularization", ["none", "det_sigma_one"])
def test_em_never_decreases_the_likelihood_jax(name, regularization):
    model = make_model(name, 2)
    X = make_model(name, 2, seed=9).rvs(1500, seed=4)
    result = model.fit(X, max_iter=12, tol=1e-12, regularization=regularization, e_step_backend="jax",
                       m_step_backend="jax")
    lls = np.append(result.log_likelihoods, float(result.model.marginal_log_likelihood(X)))
    assert np.all(np.isfinite(lls)) and lls.size == 13
    assert np.all(np.diff(lls) >= -1e-10 * np.abs(lls[1:])), np.diff(lls)


@pytest.mark.parametrize("name", NAMES)
def test_em_backends_give_the_same_iterates(name):
    model = make_model(name, 2)
    X = make_model(name, 2, seed=9).rvs(1000, seed=4)
    cpu = model.fit(X, max_iter=3, tol=1e-12, e_step_backend="cpu", m_step_backend="cpu")
    mixed = model.fit(X, max_iter=3, tol=1e-12, e_step_backend="jax", m_step_backend="cpu")
    np.testing.assert_allclose(mixed.log_likelihoods, cpu.log_likelihoods, rtol=1e-11)


@pytest.mark.parametrize("name", NAMES)
def test_rvs_moments_match_mean_and_cov(name):
    model = make_model(name, 2)
    X = model.rvs(100_000, seed=11)
    mean, cov = np.asarray(model.mean()), np.asarray(model.cov())
    standard_error = np.sqrt(np.diag(cov) / X.shape[0])
    assert np.all(np.abs(X.mean(axis=0) - mean) < 5 * standard_error)
    np.testing.assert_allclose(np.cov(X, rowvar=False), cov, rtol=0.05, atol=0.02 * np.max(np.abs(cov)))
    np.testing.assert_array_equal(model.rvs(100, seed=3), model.rvs(100, seed=3))


@pytest.mark.parametrize("name", NAMES)
def test_mean_and_cov_formulas(name):
    model = make_model(name, 2)
    mu, gamma, sigma = normal_params(2)
    law = subordinator_law(name)
    np.testing.assert_allclose(np.asarray(model.mean()), mu + gamma * law.mean(), rtol=1e-10)
    np.testing.assert_allclose(np.asarray(model.cov()), law.mean() * sigma + law.var() * np.outer(gamma, gamma),
                               rtol=1e-9)


@pytest.mark.parametrize("name", NAMES)
def test_regularize_det_sigma_one_keeps_the_law(name):
    model = make_model(name, 3)
    regular = model.regularize_det_sigma_one()
    assert type(regular) is type(model)
    np.testing.assert_allclose(float(regular.joint.log_det_sigma()), 0.0, atol=1e-12)
    for x in _points(3, seed=6):
        np.testing.assert_allclose(float(regular.log_prob(x)), float(model.log_prob(x)), rtol=1e-12)


@pytest.mark.parametrize("name", ["nig", "ninvg", "vg"])
def test_default_init_matches_the_sample_moments(name):
    X = make_model(name, 3).rvs(3000, seed=5)
    init = FAMILIES[name][0].default_init(X)
    np.testing.assert_allclose(np.asarray(init.joint.mu), X.mean(axis=0), rtol=1e-12)
    np.testing.assert_array_equal(np.asarray(init.joint.gamma), 0.0)
    np.testing.assert_allclose(np.asarray(init.joint.sigma()), np.cov(X, rowvar=False), rtol=1e-10)
    np.testing.assert_allclose(np.asarray(init.cov()), np.cov(X, rowvar=False), rtol=1e-10)
    np.testing.assert_allclose(np.asarray(init.mean()), X.mean(axis=0), rtol=1e-12)


def test_default_init_regularises_a_singular_covariance():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(100, 2))
    X = np.column_stack([base, base[:, 0] + base[:, 1]])
    init = FAMILIES["nig"][0].default_init(X)
    assert np.all(np.isfinite(np.asarray(init.joint.L_Sigma)))
    with pytest.raises(ValueError, match="constant"):
        FAMILIES["nig"][0].default_init(np.ones((10, 2)))


@pytest.mark.parametrize("name", NAMES)
def test_data_validation(name):
    model = make_model(name, 2)
    X = model.rvs(20, seed=1)
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        model.e_step(X[:, :1])
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        model.marginal_log_likelihood(X[0])
    bad = X.copy()
    bad[3, 1] = np.nan
    bad[7, 0] = np.inf
    with pytest.raises(ValueError, match=r"rows 3, 7"):
        model.e_step(bad, backend="cpu")
    with pytest.raises(ValueError, match="finite"):
        model.fit(bad)
    with pytest.raises(ValueError, match=r"at least 4 row\(s\) to fit"):
        model.fit(X[:3])
    with pytest.raises(ValueError, match="x must"):
        model.log_prob(np.zeros(3))
    with pytest.raises(ValueError, match="x must be finite"):
        model.log_prob(np.array([0.0, np.nan]))
    with pytest.raises(ValueError, match="backend"):
        model.e_step(X, backend="gpu")


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("backend", ["cpu", "jax"])
def test_log_prob_rows_matches_log_prob_of_each_row(name, backend):
    model = make_model(name, 3)
    X = np.asarray(model.rvs(40, seed=5))
    rows = model.log_prob_rows(X, backend=backend)
    assert isinstance(rows, np.ndarray if backend == "cpu" else jax.Array)
    assert rows.shape == (40,)
    np.testing.assert_allclose(np.asarray(rows), np.asarray(jax.vmap(model.log_prob)(jnp.asarray(X))), rtol=1e-12)
    mu, gamma, sigma = normal_params(3)
    expected = posterior_quadrature(X[0], mu, gamma, sigma, subordinator_law(name))[0]
    np.testing.assert_allclose(float(rows[0]), expected, rtol=1e-10)
    np.testing.assert_allclose(float(model.marginal_log_likelihood(X)), np.mean(np.asarray(rows)), rtol=1e-13)


def test_log_prob_rows_validates_its_input():
    model = make_model("nig", 2)
    with pytest.raises(ValueError, match=r"X must have shape \(n, 2\)"):
        model.log_prob_rows(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"X must have shape \(n, 2\)"):
        model.log_prob_rows(np.zeros(4))
    with pytest.raises(ValueError, match=r"X must be finite: 1 row\(s\) hold NaN or inf \(rows 1\)"):
        model.log_prob_rows(np.array([[0.0, 0.0], [np.nan, 1.0]]))
    with pytest.raises(ValueError, match="backend"):
        model.log_prob_rows(np.zeros((4, 2)), backend="gpu")


def test_log_prob_rows_is_jit_able_on_the_jax_backend():
    model = make_model("gh", 2)
    X = jnp.asarray(model.rvs(10, seed=1))
    np.testing.assert_allclose(jax.jit(lambda m, x: m.log_prob_rows(x, backend="jax"))(model, X),
                               model.log_prob_rows(X, backend="jax"), rtol=1e-14)
