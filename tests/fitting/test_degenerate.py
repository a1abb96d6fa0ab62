"""A VG fit that runs into its unbounded likelihood says so instead of reporting success."""
import numpy as np
import pytest

from normix import BatchEMFitter, GeneralizedHyperbolic, NormalInverseGaussian, VarianceGamma

L_SIGMA = np.array([[1.4251, 0.0, 0.0], [-0.5308, 1.1756, 0.0], [-0.5525, 0.6088, 1.6308]])


@pytest.fixture(scope="module")
def heavy_peak_data():
    """30 rows of a VG with alpha = 1 < d/2 + 1 in d = 3, where EM drives mu onto a row."""
    model = VarianceGamma.from_classical(mu=np.array([0.1257, -0.1321, 0.6404]), gamma=np.zeros(3),
                                         sigma=L_SIGMA @ L_SIGMA.T, alpha=1.0, beta=1.0)
    return model.rvs(30, seed=0)


def test_vg_fit_onto_a_data_row_is_reported_degenerate(heavy_peak_data):
    X = heavy_peak_data
    result = BatchEMFitter(max_iter=40, tol=1e-12, e_step_backend="cpu", m_step_backend="cpu").fit(
        VarianceGamma.default_init(X), X)
    alpha = float(result.model.joint.alpha)
    mu = np.asarray(result.model.joint.mu)
    nearest = np.min(np.sum((X - mu) ** 2, axis=1))
    # the collapse itself, measured independently of the fitter's check
    assert alpha <= X.shape[1] / 2 and nearest < 1e-8
    assert not result.converged
    assert result.message.startswith("degenerate fit") and "unbounded" in result.message


def test_a_regular_fit_is_not_flagged():
    X = NormalInverseGaussian.from_classical(mu=np.zeros(2), gamma=np.array([0.3, -0.2]), sigma=np.eye(2),
                                             mu_ig=1.0, lam=2.0).rvs(2000, seed=3)
    result = BatchEMFitter(max_iter=200, tol=1e-6, e_step_backend="cpu", m_step_backend="cpu").fit(
        VarianceGamma.default_init(X), X)
    assert result.converged and "degenerate" not in result.message


@pytest.mark.parametrize("e_step_backend", ["cpu", "jax"])
def test_gh_near_the_vg_limit_settles_on_a_cusp_instead_of_overflowing(e_step_backend):
    """GH with b ~ 1e-190 and p - d/2 in (0, 1/2): mu moves onto a data row, where the marginal
    density has a cusp (a local maximum, finite: p > d/2), and E[1/Y | x] of that row grows
    without bound as Q -> 0.  The E-step floor on b + Q keeps the iterates finite."""
    vg = VarianceGamma.from_classical(mu=[0.0, 0.0], gamma=[0.1, -0.1], sigma=[[1.0, 0.3], [0.3, 1.0]],
                                      alpha=1.5, beta=1.5)
    fitter = BatchEMFitter(max_iter=2000, tol=1e-9, e_step_backend="cpu", m_step_backend="cpu")
    start = fitter.fit(GeneralizedHyperbolic.default_init(vg.rvs(3000, seed=1)), vg.rvs(3000, seed=1)).model
    X = vg.rvs(3000, seed=11)
    result = BatchEMFitter(max_iter=500, tol=1e-9, e_step_backend=e_step_backend, m_step_backend="cpu").fit(
        start, X)
    p, _, b = (float(v) for v in result.model.joint._subordinator_params())
    mu = np.asarray(result.model.joint.mu)
    assert b < 1e-100 and 1.0 < p < 1.5
    # the cusp, measured independently of the fitter: mu sits on a data row
    assert np.min(np.sum((X - mu) ** 2, axis=1)) < 1e-8
    assert result.converged, result.message
    # EM is monotone up to the floor's change of the objective at the cusp row (~1e-7 here)
    lls = result.log_likelihoods
    assert np.all(np.isfinite(lls)) and np.all(np.diff(lls) >= -1e-6)
    assert result.model.marginal_log_likelihood(X) > start.marginal_log_likelihood(X)
