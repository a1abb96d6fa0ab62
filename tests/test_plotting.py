"""The plotting theme used by the tutorials, and the plots of fitted models."""
import subprocess
import sys

import numpy as np
import pytest
import scipy.stats as st

import normix

matplotlib = pytest.importorskip("matplotlib")


def test_set_theme_changes_matplotlib_defaults():
    from normix.utils.plotting import PALETTE, set_theme

    with matplotlib.rc_context():
        set_theme()
        assert matplotlib.rcParams["axes.spines.top"] is False
        assert matplotlib.rcParams["axes.grid"] is True
        assert list(matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]) == list(PALETTE)
        set_theme(**{"figure.dpi": 150})
        assert matplotlib.rcParams["figure.dpi"] == 150


def test_set_theme_rejects_unknown_parameters():
    from normix.utils.plotting import set_theme

    with matplotlib.rc_context(), pytest.raises(ValueError, match="not.a.param"):
        set_theme(**{"not.a.param": 1})


def test_importing_the_module_does_not_import_matplotlib():
    code = "import sys, normix.utils.plotting; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ----------------------------------------------------------------- plots of fitted models
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
N_ROWS = 400


def _nig(gamma, lam, d):
    """A NIG model of dimension d with correlated columns."""
    sigma = 0.3 * np.ones((d, d)) + 0.7 * np.eye(d)
    return normix.NormalInverseGaussian.from_classical(mu=np.linspace(0.0, 0.2, d), gamma=np.asarray(gamma),
                                                       sigma=sigma, mu_ig=1.0, lam=lam)


@pytest.fixture(scope="module")
def models():
    """Two different NIG models in d = 2, data from the first, and an EM result."""
    from normix.fitting.em import EMResult

    first, second = _nig([0.5, -0.3], 1.2, 2), _nig([-0.4, 0.6], 3.0, 2)
    X = first.rvs(N_ROWS, seed=0)
    result = EMResult(first, np.array([-3.1, -2.95, -2.91, -2.905]), np.array([0.3, 0.05, 0.01, 1e-4]), 4, True,
                      0.1, "converged")
    return first, second, X, result


@pytest.fixture(autouse=True)
def close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def _pixels(fig):
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba()).copy()


def _draw(name, model, X, result):
    from normix.utils import plotting

    if name == "loglik_trace":
        return plotting.loglik_trace(result)
    if name == "density_histogram":
        return plotting.density_histogram(model, X, column=1, log_scale=True)
    return getattr(plotting, name)(model, X)


PLOTS = ["qq_plots", "cdf_plot", "density_histogram", "pairwise_scatter", "loglik_trace"]


@pytest.mark.parametrize("name", PLOTS)
def test_each_plot_writes_a_png_that_depends_on_the_model(name, models, tmp_path):
    from normix.fitting.em import EMResult

    first, second, X, result = models
    other = EMResult(second, result.log_likelihoods[::-1] - 0.5, result.param_changes, 4, False, 0.1,
                     "stopped after max_iter=4 iterations without meeting tol=1e-05")
    fig = _draw(name, first, X, result)
    path = tmp_path / f"{name}.png"
    fig.savefig(path)
    content = path.read_bytes()
    assert content[:8] == PNG_SIGNATURE and len(content) > 5000
    same = _pixels(_draw(name, first, X, result))
    assert np.array_equal(_pixels(fig), same)
    different = _pixels(_draw(name, second, X, other))
    assert different.shape == same.shape and not np.array_equal(different, same)


def test_density_histogram_draws_the_exact_margin(models):
    """The curve over column 1 of a 2-D NIG is the 1-D NIG density of (μ₁, γ₁, Σ₁₁) (scipy.stats.norminvgauss)."""
    from normix.utils import plotting

    first, _, X, _ = models
    fig = plotting.density_histogram(first, X, column=1)
    line = fig.axes[0].lines[0]
    x, y = np.asarray(line.get_xdata()), np.asarray(line.get_ydata())
    # X = μ + γY + σ√Y Z with Y ~ GIG(−½, a, b) is NIG(α, β, δ, μ) with β = γ/σ², δ² = bσ², α² = a/σ² + β².
    joint = first.joint
    _, a, b = (float(v) for v in joint.gig_params())
    mu, gamma, s2 = float(joint.mu[1]), float(joint.gamma[1]), float(joint.sigma()[1, 1])
    beta, delta = gamma / s2, np.sqrt(b * s2)
    alpha = np.sqrt(a / s2 + beta**2)
    reference = st.norminvgauss.pdf(x, alpha * delta, beta * delta, loc=mu, scale=delta)
    np.testing.assert_allclose(y, reference, rtol=1e-9)


def test_two_dimensional_margin_integrates_the_full_density():
    """The 2-D margin of a 3-D NIG equals ∫ f(x₁, x₂, x₃) dx₃ (trapezoid rule on a wide grid)."""
    from normix.utils import _margins

    model = _nig([0.4, -0.2, 0.3], 1.5, 3)
    pair = _margins.margin(model, (2, 0))
    points = np.array([[0.3, -0.5], [1.5, 0.8], [-1.0, 2.0]])
    x1 = np.linspace(-40.0, 40.0, 16001)
    for x2, x0 in points:
        full = np.column_stack([np.full_like(x1, x0), x1, np.full_like(x1, x2)])
        integral = np.trapezoid(np.exp(_margins.log_density(model, full)), x1)
        assert np.exp(_margins.log_density(pair, np.array([[x2, x0]])))[0] == pytest.approx(integral, rel=1e-8)


def test_qq_plot_of_a_univariate_family_uses_its_cdf():
    """Gamma has a cdf: the model quantiles are its inverse (scipy.stats.gamma.ppf), not a sample's."""
    from normix.utils import plotting

    model = normix.Gamma(2.0, 1.5)
    x = st.gamma.rvs(2.0, scale=1 / 1.5, size=N_ROWS, random_state=3)
    fig = plotting.qq_plots(model, x)
    reference = fig.axes[0].lines[0].get_xdata()
    probs = (np.arange(1, N_ROWS + 1) - 0.5) / N_ROWS
    np.testing.assert_allclose(reference, st.gamma.ppf(probs, 2.0, scale=1 / 1.5), rtol=1e-10)
    np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata(), np.quantile(x, probs))


def _scipy_nig_margin(model, j):
    """scipy.stats.norminvgauss of margin j of a NIG model (classical parameters: δ = s√λ, β = γ/s², α² = λ/(μ_IG² s²) + β²)."""
    joint = model.joint
    L = np.asarray(joint.L_Sigma)
    s2 = float((L @ L.T)[j, j])
    gamma, lam, mu_ig = float(np.asarray(joint.gamma)[j]), float(joint.lam), float(joint.mu_ig)
    delta, beta = np.sqrt(s2 * lam), gamma / s2
    alpha = np.sqrt(lam / (mu_ig**2 * s2) + beta**2)
    return st.norminvgauss(alpha * delta, beta * delta, loc=float(np.asarray(joint.mu)[j]), scale=delta)


def test_qq_plot_of_a_mixture_uses_the_exact_margin_quantiles(models):
    """The model quantiles of each panel are the margin's ppf, the same as scipy.stats.norminvgauss.ppf, no draws."""
    from normix.utils import plotting

    first, _, X, _ = models
    fig = plotting.qq_plots(first, X)
    probs = (np.arange(1, N_ROWS + 1) - 0.5) / N_ROWS
    for j in range(2):
        line = fig.axes[j].lines[0]
        np.testing.assert_allclose(line.get_xdata(), _scipy_nig_margin(first, j).ppf(probs), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(line.get_ydata(), np.quantile(X[:, j], probs))


def test_cdf_plot_draws_the_exact_tails_and_the_empirical_cdf(models):
    """Model curves: scipy.stats.norminvgauss cdf and sf (lower/upper tail panels); data: the empirical cdf."""
    from normix.utils import plotting

    first, _, X, _ = models
    fig = plotting.cdf_plot(first, X, column=1, grid_size=50)
    body, lower, upper = fig.axes
    reference = _scipy_nig_margin(first, 1)
    model_line = body.lines[1]
    np.testing.assert_allclose(model_line.get_ydata(), reference.cdf(model_line.get_xdata()), rtol=1e-9)
    np.testing.assert_allclose(lower.lines[1].get_ydata(), reference.cdf(lower.lines[1].get_xdata()), rtol=1e-9)
    np.testing.assert_allclose(upper.lines[1].get_ydata(), reference.sf(upper.lines[1].get_xdata()), rtol=1e-9)
    data = np.sort(X[:, 1])
    np.testing.assert_array_equal(body.lines[0].get_xdata(), data)
    np.testing.assert_allclose(body.lines[0].get_ydata(), np.arange(1, N_ROWS + 1) / N_ROWS)
    assert upper.get_yscale() == "log" and lower.get_yscale() == "log"
    with pytest.raises(ValueError, match="grid_size must be >= 2"):
        plotting.cdf_plot(first, X, grid_size=1)
    with pytest.raises(ValueError, match=r"column must hold column indices in \[0, 2\)"):
        plotting.cdf_plot(first, X, column=3)


def test_save_report_writes_every_plot(models, tmp_path):
    from normix.utils import plotting

    first, _, X, result = models
    paths = plotting.save_report(first, X, result, tmp_path / "report")
    assert [p.name for p in paths] == ["qq.png", "density_0.png", "cdf_0.png", "density_1.png", "cdf_1.png",
                                       "pairs.png", "loglik.png"]
    for path in paths:
        assert path.read_bytes()[:8] == PNG_SIGNATURE
    import matplotlib.pyplot as plt

    assert plt.get_fignums() == []


def test_bad_input_raises_errors_naming_the_argument(models):
    from normix.fitting.em import EMResult
    from normix.utils import plotting

    first, _, X, result = models
    with pytest.raises(ValueError, match=r"X must have shape \(n, 2\)"):
        plotting.qq_plots(first, X[:, :1])
    with pytest.raises(ValueError, match=r"X must have shape \(n, 2\)"):
        plotting.density_histogram(first, np.zeros((5, 3)))
    with pytest.raises(ValueError, match="X must be finite"):
        plotting.qq_plots(first, np.where(np.arange(X.size).reshape(X.shape) == 7, np.nan, X))
    with pytest.raises(ValueError, match=r"column must hold column indices in \[0, 2\)"):
        plotting.density_histogram(first, X, column=2)
    with pytest.raises(ValueError, match="columns must hold column indices"):
        plotting.pairwise_scatter(first, X, columns=[0, 5])
    with pytest.raises(ValueError, match="columns must name at least 2 columns"):
        plotting.pairwise_scatter(first, X, columns=[1])
    with pytest.raises(ValueError, match="model must be a mixture of dimension d >= 2"):
        plotting.pairwise_scatter(normix.Gamma(2.0, 1.0), np.ones(10))
    with pytest.raises(TypeError, match="model must be"):
        plotting.qq_plots(first.joint, X)
    with pytest.raises(ValueError, match="result must"):
        plotting.loglik_trace(EMResult(first, None, None, 0, False, 0.0))
    with pytest.raises(ValueError, match="result must"):
        plotting.loglik_trace(EMResult(first, np.array([np.nan]), None, 1, False, 0.0))
