"""The rolling backtest driver: shapes, forecasts against the risk functions, warm starts, failed refits.

The forecasts are compared with ``normix.risk.value_at_risk`` / ``expected_shortfall``
of each refitted model, the normal family's with scipy (``norm.ppf`` and the quadrature
``norm.expect``), the warm start with a separate ``BatchEMFitter`` run from the previous
model, and the simulated Z2 reference law with its zero mean under the forecast law.
"""
import io
import json

import numpy as np
import pytest
from scipy import stats

import normix
from normix.fitting.em import BatchEMFitter
from normix.risk import expected_shortfall, value_at_risk
from normix.risk.backtest import backtest
from normix.risk.backtest_plot import plot_backtest
from normix.risk.coverage_tests import christoffersen_conditional_coverage, christoffersen_independence, kupiec, \
    z2_statistic
from normix.risk.loss_laws import mixture_loss_law, simulated_z2, stack_laws
from normix.risk.rolling import RefitOptions

LEVELS = [0.99, 0.975]
WEIGHTS = np.array([0.6, 0.4])


@pytest.fixture(scope="module")
def returns():
    """S&P 500 and NASDAQ daily log-returns in per cent, dated (arch's data), the first 330 days."""
    pytest.importorskip("arch")
    from normix.cli.backtest import demo_frame

    return 100.0 * demo_frame().iloc[:330]


@pytest.fixture(scope="module")
def nig_run(returns):
    return backtest(returns, WEIGHTS, LEVELS, "nig", window=300, refit_every=6, n_sim=200, progress=False)


def test_shapes_index_and_losses(returns, nig_run):
    result = nig_run
    assert result.losses.shape == (30,) and result.var.shape == result.es.shape == result.exceedances.shape == (30, 2)
    assert list(result.index) == list(returns.index[300:])
    np.testing.assert_allclose(result.losses, -(returns.to_numpy()[300:] @ WEIGHTS), rtol=1e-15)
    np.testing.assert_array_equal(result.exceedances, result.losses[:, None] > result.var)
    assert list(result.fits.first_day) == [300, 306, 312, 318, 324]
    assert result.columns == ("S&P 500", "NASDAQ")
    assert np.all(result.es > result.var) and np.all(result.var[:, 0] > result.var[:, 1])


def test_forecasts_are_the_risk_measures_of_each_refitted_model(returns, nig_run):
    result = nig_run
    for r, model in enumerate(result.fits.models):
        days = slice(6 * r, 6 * r + 6)
        np.testing.assert_allclose(result.var[days], np.broadcast_to(value_at_risk(model, WEIGHTS, LEVELS), (6, 2)),
                                   rtol=1e-13)
        np.testing.assert_allclose(result.es[days],
                                   np.broadcast_to(expected_shortfall(model, WEIGHTS, LEVELS), (6, 2)), rtol=1e-13)


def test_refits_are_warm_started_from_the_previous_fit(returns, nig_run):
    result = nig_run
    X = returns.to_numpy()
    options = RefitOptions()
    first = BatchEMFitter(max_iter=options.initial_max_iter, tol=options.initial_tol,
                          e_step_backend="cpu", m_step_backend="cpu").fit(
        normix.NormalInverseGaussian.default_init(X[:300]), X[:300])
    np.testing.assert_array_equal(np.asarray(first.model.joint.gamma), np.asarray(result.fits.models[0].joint.gamma))
    warm = BatchEMFitter(max_iter=options.max_iter, tol=options.tol, e_step_backend="cpu", m_step_backend="cpu")
    for r in range(1, len(result.fits.models)):
        t = result.fits.first_day[r]
        again = warm.fit(result.fits.models[r - 1], X[t - 300:t])
        for name in ("mu", "gamma", "L_Sigma"):
            np.testing.assert_array_equal(np.asarray(getattr(again.model.joint, name)),
                                          np.asarray(getattr(result.fits.models[r].joint, name)))
        assert again.n_iter == result.fits.n_iter[r]
    assert result.fits.status[0] == "converged" and set(result.fits.status) <= {"converged", "max_iter"}
    assert all((n <= options.max_iter) == (s == "converged" or n == options.max_iter)
               for n, s in zip(result.fits.n_iter[1:], result.fits.status[1:]))


def test_tests_are_the_coverage_functions_of_the_series(nig_run):
    result = nig_run
    for j, level in enumerate(LEVELS):
        hits = result.exceedances[:, j]
        pof, ind, cc, z2 = result.tests[level]
        assert pof == kupiec(hits, level)
        assert ind == christoffersen_independence(hits)
        assert cc == christoffersen_conditional_coverage(hits, level)
        assert z2.statistic == z2_statistic(result.losses, result.var[:, j], result.es[:, j], level)
        assert 1 / 201 <= z2.p_value <= 1 and z2.reference == "simulated (200 draws)"


def test_summary_json_and_plot(nig_run):
    result = nig_run
    text = result.summary()
    assert "NIG, window 300, refit every 6 day(s), 30 forecast days" in text
    counts = result.status_counts
    assert sum(counts.values()) == 5 and f"converged {counts['converged']}" in text
    assert "acerbi_szekely_z2" in text and "christoffersen_cc" in text
    document = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert document["index"][0] == result.index[0].date().isoformat()
    assert len(document["var"]["0.99"]) == 30 and len(document["tests"]) == 8
    assert document["refits"]["status_counts"] == counts
    figure = plot_backtest(result)
    ax = figure.axes[0]
    assert len(ax.lines) == 5 and len(ax.collections) == 2
    np.testing.assert_allclose(ax.lines[1].get_ydata(), -result.var[:, 1])     # drawn from the lower level up
    png = io.BytesIO()
    figure.savefig(png, format="png")
    assert png.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(plot_backtest(result, 0.99).axes[0].lines) == 3
    with pytest.raises(ValueError, match="level 0.95 is not a level of this backtest"):
        plot_backtest(result, 0.95)


def test_normal_family_against_scipy(returns):
    result = backtest(returns, WEIGHTS, LEVELS, "normal", window=300, refit_every=10, n_sim=50, progress=False)
    X = returns.to_numpy()
    for r, t in enumerate(result.fits.first_day):
        window = X[t - 300:t] @ -WEIGHTS
        law = stats.norm(window.mean(), window.std())                     # ddof 0: maximum likelihood
        for j, level in enumerate(LEVELS):
            assert result.var[10 * r, j] == pytest.approx(law.ppf(level), rel=1e-12)
            tail = law.expect(lambda x: x, lb=law.ppf(level), epsabs=1e-13, epsrel=1e-13) / (1 - level)
            assert result.es[10 * r, j] == pytest.approx(tail, rel=1e-9)
    assert result.status_counts == {"converged": 3}


def test_simulated_z2_has_mean_zero_under_the_forecast_laws(nig_run):
    """Paths drawn from the refitted NIG laws, with their exact VaR and ES: E[Z2] = 0 (Acerbi-Székely)."""
    result = nig_run
    day_law = np.repeat(np.arange(5), 6)
    z2 = simulated_z2(result.fits.laws, day_law, result.var, result.es, LEVELS, n_sim=20_000, seed=3)
    assert z2.shape == (2, 20_000)
    for j in range(2):
        assert abs(z2[j].mean()) < 4 * z2[j].std() / np.sqrt(z2.shape[1])
    again = simulated_z2(result.fits.laws, day_law, result.var, result.es, LEVELS, n_sim=20_000, seed=3)
    np.testing.assert_array_equal(z2, again)


def test_loss_law_is_the_projection_of_the_model(nig_run):
    model = nig_run.fits.models[0]
    projected = model.project(-WEIGHTS).joint
    m, g, s, p, a, b = mixture_loss_law(model, WEIGHTS)
    assert m == pytest.approx(float(projected.mu[0]), rel=1e-14)
    assert g == pytest.approx(float(projected.gamma[0]), rel=1e-14)
    assert s == pytest.approx(float(projected.L_Sigma[0, 0]), rel=1e-14)
    np.testing.assert_allclose((p, a, b), np.array(model.joint.gig_params(), dtype=float), rtol=1e-15)
    laws = stack_laws([(m, g, s, p, a, b)] * 3, normal=False)
    assert len(laws) == 3 and laws.gig[0].shape == (3,) and laws.m[2] == m


def test_failed_refits_are_counted_and_the_previous_model_kept():
    X = normix.NormalInverseGaussian.from_classical(
        mu=np.zeros(2), gamma=np.array([0.2, -0.1]), sigma=np.array([[1.0, 0.3], [0.3, 1.0]]),
        mu_ig=1.0, lam=1.5).rvs(260, seed=4)
    X[120:200, 1] = 0.0                                    # a column constant on rows 120..199
    for family, weights in (("vg", WEIGHTS), ("normal", np.array([0.0, 1.0]))):
        result = backtest(X, weights, 0.95, family, window=50, refit_every=10, n_sim=20, progress=False)
        starts = list(result.fits.first_day)
        failed = [t for t, status in zip(starts, result.fits.status) if status == "error"]
        assert failed == [170, 180, 190, 200], (family, result.fits.status)
        assert result.status_counts["error"] == 4
        assert "error 4" in result.summary()
        previous = starts.index(160)
        for t in failed:
            assert result.fits.models[starts.index(t)] is result.fits.models[previous]
        np.testing.assert_array_equal(result.var[170 - 50:210 - 50], np.tile(result.var[160 - 50], (40, 1)))
        assert "constant column" in result.fits.messages[starts.index(170)] or family == "normal"


def test_progress_bar_goes_to_stderr(returns, capsys):
    backtest(returns.iloc[:306], WEIGHTS, 0.99, "normal", window=300, n_sim=10, progress=True)
    assert "normal refits" in capsys.readouterr().err
    backtest(returns.iloc[:306], WEIGHTS, 0.99, "normal", window=300, n_sim=10, progress=False)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("kwargs, message", [
    (dict(window=2), "window must be in \\[4, 328\\]"),
    (dict(window=329), "window must be in \\[4, 328\\]"),
    (dict(window=10.0), "window must be an integer"),
    (dict(refit_every=0), "refit_every must be >= 1"),
    (dict(n_sim=0), "n_sim must be >= 1"),
    (dict(family="t"), "family must be one of nig, vg, ninvg, gh, normal"),
    (dict(level=1.0), "level must be in \\(0, 1\\)"),
    (dict(level=[]), "level must be a number or a non-empty list"),
    (dict(weights=[1.0, 0.0, 0.0]), "weights must have shape \\(2,\\)"),
    (dict(weights=[0.0, 0.0]), "weights must be finite and not all zero"),
    (dict(tol=-1.0), "tol"),
])
def test_bad_input_raises_value_error(returns, kwargs, message):
    arguments = dict(returns=returns, weights=WEIGHTS, level=0.99, family="nig", window=300)
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=message):
        backtest(**arguments, progress=False)


def test_returns_must_be_finite_rows():
    X = np.random.default_rng(0).normal(size=(40, 2))
    X[7, 1] = np.nan
    with pytest.raises(ValueError, match="1 row\\(s\\) hold NaN or inf \\(first: row 7\\)"):
        backtest(X, WEIGHTS, 0.99, "normal", window=20)
    with pytest.raises(ValueError, match="returns must have shape \\(n, d\\)"):
        backtest(np.zeros((4, 3, 2)), WEIGHTS, 0.99, "normal", window=20)
    with pytest.raises(ValueError, match="at least d \\+ 4 = 6 rows"):
        backtest(np.zeros((5, 2)), WEIGHTS, 0.99, "normal", window=3)
