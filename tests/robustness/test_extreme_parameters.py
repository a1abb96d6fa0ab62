"""Extreme parameters and awkward data: finite, correct answers or a clear refusal, never a silent NaN.

GIG with p in [-50, 50] and a, b in [1e-12, 1e12] against mpmath; mixtures in dimension
200; data with outliers 1e8 standard deviations out, duplicated rows, collinear columns,
n = d + 2 rows and a large common offset.  A fit on such data must either converge to a
finite model or say that it did not (``converged=False`` and a message), with a finite
model and a non-decreasing likelihood either way.
"""
import itertools

import mpmath
import numpy as np
import pytest

from normix import GIG, GeneralizedHyperbolic, NormalInverseGamma, NormalInverseGaussian, VarianceGamma
from robustness_helpers import jit_log_prob
from robustness_references import gig_moments_mpmath

P_GRID = [-50.0, -10.0, -0.5, 0.0, 0.5, 10.0, 50.0]
AB_GRID = [1e-12, 1e-6, 1.0, 1e6, 1e12]
CORNERS = [(-50.0, 1e-12, 1e12), (50.0, 1e12, 1e-12), (0.0, 1e-12, 1e-12), (-0.5, 1e12, 1e12), (10.0, 1e-6, 1e6)]
FAMILIES = [NormalInverseGaussian, VarianceGamma, NormalInverseGamma, GeneralizedHyperbolic]


def _check_gig(p, a, b, backends):
    reference = np.array(gig_moments_mpmath(p, a, b, digits=60))
    for backend in backends:
        eta = np.asarray(GIG(p, a, b).expectation_params(backend=backend))
        assert np.all(np.isfinite(eta)), (p, a, b, backend, eta)
        # E log Y absolutely (it can be 0), the positive moments relatively
        np.testing.assert_allclose(eta[0], reference[0], atol=1e-9 * max(1.0, abs(reference[0])))
        np.testing.assert_allclose(eta[1:], reference[1:], rtol=1e-9)
    back = GIG.from_expectation(reference, backend="cpu")
    again = np.asarray(back.expectation_params(backend="cpu"))
    np.testing.assert_allclose(again[0], reference[0], atol=1e-8 * max(1.0, abs(reference[0])))
    np.testing.assert_allclose(again[1:], reference[1:], rtol=1e-8)


@pytest.mark.parametrize("p,a,b", CORNERS)
def test_gig_corners_match_mpmath(p, a, b):
    _check_gig(p, a, b, ("cpu",))


@pytest.mark.slow
@pytest.mark.parametrize("p,a,b", list(itertools.product(P_GRID, AB_GRID, AB_GRID)))
def test_gig_grid_matches_mpmath_on_both_backends(p, a, b):
    _check_gig(p, a, b, ("cpu", "jax"))


def _mixture_log_density_mpmath(x, mu, gamma, sigma, p, a, b):
    """The GH closed form (McNeil, Frey & Embrechts 2005, eq. 3.30) with mpmath's Bessel K."""
    d = mu.size
    L = np.linalg.cholesky(sigma)
    z = np.linalg.solve(L, x - mu)
    g = np.linalg.solve(L, gamma)
    Q, A, lin = z @ z, g @ g, z @ g
    with mpmath.workdps(30):
        log_k = lambda v, w: mpmath.log(mpmath.besselk(v, w))  # noqa: E731
        psi_y = mpmath.log(2) + log_k(p, mpmath.sqrt(a * b)) + p / 2 * mpmath.log(b / a)
        nu = p - d / 2
        value = (-d / 2 * mpmath.log(2 * mpmath.pi) - np.sum(np.log(np.diag(L))) - psi_y + mpmath.log(2) + lin
                 + nu / 2 * mpmath.log((b + Q) / (a + A)) + log_k(nu, mpmath.sqrt((a + A) * (b + Q))))
    return float(value)


@pytest.mark.slow
def test_dimension_200_density_posterior_and_fit():
    d = 200
    rng = np.random.default_rng(0)
    A = rng.normal(size=(d, d))
    sigma = A @ A.T / d + np.eye(d)
    mu, gamma = rng.normal(size=d), 0.05 * rng.normal(size=d)
    model = GeneralizedHyperbolic.from_classical(mu=mu, gamma=gamma, sigma=sigma, p=-0.5, a=2.0, b=1.5)
    X = model.rvs(3000, seed=1)
    for x in X[:3]:
        expected = _mixture_log_density_mpmath(x, mu, gamma, sigma, -0.5, 2.0, 1.5)
        np.testing.assert_allclose(float(jit_log_prob(model, x)), expected, rtol=1e-10)
    cpu = model.e_step(X, backend="cpu")
    jx = model.e_step(X, backend="jax")
    for key in cpu:
        assert np.all(np.isfinite(cpu[key]))
        np.testing.assert_allclose(np.asarray(jx[key]), cpu[key], rtol=1e-9, atol=1e-12)
    result = NormalInverseGaussian.default_init(X).fit(X, max_iter=8, e_step_backend="cpu")
    _assert_honest(result, X)


def _in_vg_floor_region(model):
    """VG with alpha <= d/2 + 1: E[1/Y | x = mu] is infinite and the E-step uses its documented floor."""
    return isinstance(model, VarianceGamma) and float(model.joint.alpha) <= model.d / 2 + 1


def _assert_honest(result, X):
    lls = np.asarray(result.log_likelihoods)
    assert np.all(np.isfinite(lls))
    monotone = np.all(np.diff(lls) >= -1e-8 * np.maximum(1.0, np.abs(lls[1:])))
    # Known failure (docs/user_guide/reliability.md): VG driven to alpha <= d/2 + 1, where the
    # likelihood is unbounded at mu and the floored E-step no longer increases it.
    assert monotone or _in_vg_floor_region(result.model)
    leaves = [np.asarray(v) for v in (result.model.joint.mu, result.model.joint.gamma, result.model.joint.L_Sigma)]
    assert all(np.all(np.isfinite(v)) for v in leaves)
    assert np.isfinite(float(result.model.marginal_log_likelihood(X)))
    if result.converged:
        assert result.param_changes[-1] < 1e-3
    else:
        assert "converged" not in result.message.split(";")[0] or "without" in result.message


def _base_data(d=3, n=400):
    return np.random.default_rng(1).standard_t(5, size=(n, d))


def _awkward(kind):
    X = _base_data()
    if kind == "outliers_1e8_sd":
        X[5] = 1e8 * X.std(axis=0)
        X[9, 2] = -1e8 * X[:, 2].std()
    elif kind == "duplicated_rows":
        X = np.repeat(X[:20], 20, axis=0)
    elif kind == "collinear_columns":
        X[:, 2] = X[:, 0] - 2.0 * X[:, 1]
    elif kind == "n_equals_d_plus_2":
        X = X[:5]
    elif kind == "offset_1e12":
        X = X + 1e12
    return X


AWKWARD_KINDS = ["outliers_1e8_sd", "duplicated_rows", "collinear_columns", "n_equals_d_plus_2", "offset_1e12"]


def _awkward_cases():
    """Every (family, kind) pair; GH's default_init runs three sub-fits, so all but one GH case are slow."""
    for family in FAMILIES:
        for kind in AWKWARD_KINDS:
            slow = family is GeneralizedHyperbolic and kind != "outliers_1e8_sd"
            yield pytest.param(family, kind, id=f"{kind}-{family.__name__}",
                               marks=[pytest.mark.slow] if slow else [])


@pytest.mark.parametrize("family, kind", list(_awkward_cases()))
def test_awkward_data_gives_an_honest_fit(family, kind):
    X = _awkward(kind)
    result = family.default_init(X).fit(X, max_iter=60, e_step_backend="cpu", m_step_backend="cpu")
    _assert_honest(result, X)
