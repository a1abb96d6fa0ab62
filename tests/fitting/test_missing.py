"""EM with missing entries (``fit(X, missing='em')``): exactness, monotonicity, E-step, recovery, real data."""
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.integrate
import scipy.stats

from normix import BatchEMFitter, GeneralizedHyperbolic, NormalInverseGaussian
from normix._em.missing import MissingRowsAdapter, group_rows


def nig_truth(d):
    rng = np.random.default_rng(d)
    A = rng.standard_normal((d, d)) * 0.4 + np.eye(d)
    return NormalInverseGaussian.from_classical(
        mu=jnp.linspace(-0.2, 0.3, d), gamma=jnp.linspace(0.4, -0.3, d),
        sigma=jnp.asarray(A @ A.T / d + 0.3 * np.eye(d)),
        mu_ig=1.0, lam=1.5)


def params(model):
    joint = model.joint
    sigma = np.asarray(joint.L_Sigma) @ np.asarray(joint.L_Sigma).T
    return np.concatenate([np.ravel(joint.mu), np.ravel(joint.gamma), sigma[np.tril_indices(sigma.shape[0])]])


def mcar(X, fraction, seed):
    """X with a ``fraction`` of its entries set to NaN at random; rows left empty are dropped."""
    X = X.copy()
    X[np.random.default_rng(seed).random(X.shape) < fraction] = np.nan
    return X[~np.all(np.isnan(X), axis=1)]


@pytest.fixture(scope="module")
def data3():
    return np.asarray(nig_truth(3).rvs(1500, seed=5))


@pytest.mark.parametrize("backends", [("cpu", "cpu"), ("jax", "jax")])
def test_no_missing_entry_equals_plain_fit(data3, backends):
    start = NormalInverseGaussian.default_init(data3)
    fitter = BatchEMFitter(max_iter=15, tol=1e-12, e_step_backend=backends[0], m_step_backend=backends[1])
    plain, em = fitter.fit(start, data3), fitter.fit(start, data3, missing="em")
    np.testing.assert_allclose(params(em.model), params(plain.model), rtol=0, atol=1e-12)
    np.testing.assert_allclose(em.log_likelihoods, plain.log_likelihoods, rtol=0, atol=1e-12)
    assert em.n_iter == plain.n_iter


def test_options_and_data_are_checked(data3):
    start = NormalInverseGaussian.default_init(data3)
    with pytest.raises(ValueError, match=r"missing must be one of \('raise', 'em'\)"):
        start.fit(data3, missing="drop")
    X = data3.copy()
    X[[4, 9], 1] = np.nan
    with pytest.raises(ValueError, match=r"rows 4, 9; columns 1\).*missing='em'"):
        start.fit(X)
    with pytest.raises(ValueError, match="all NaN"):
        start.fit(np.vstack([X, np.full((1, 3), np.nan)]), missing="em")
    X[7, 2] = np.inf
    with pytest.raises(ValueError, match=r"must not hold inf.*rows 7"):
        start.fit(X, missing="em")
    X = data3.copy()
    X[:, 0] = np.nan
    with pytest.raises(ValueError, match="column"):
        start.fit(X, missing="em")


def test_dask_rows_refused(data3):
    da = pytest.importorskip("dask.array")
    start = NormalInverseGaussian.default_init(data3)
    with pytest.raises(NotImplementedError, match="missing='em'.*dask"):
        BatchEMFitter(e_step_backend="cpu").fit(start, da.from_array(data3, chunks=500), missing="em")


def gig_pdf(model):
    p, a, b = (float(v) for v in model.joint.gig_params())
    return scipy.stats.geninvgauss(p, np.sqrt(a * b), scale=np.sqrt(b / a)).pdf


def brute_force_statistics(model, X):
    """Complete-data statistics and mean log f(x_o) by quadrature over y, conditioning the joint normal directly."""
    mu, gamma = np.asarray(model.joint.mu), np.asarray(model.joint.gamma)
    Sigma = np.asarray(model.joint.L_Sigma) @ np.asarray(model.joint.L_Sigma).T
    prior = gig_pdf(model)
    d = X.shape[1]
    rows = []
    for x in X:
        o, m = np.flatnonzero(~np.isnan(x)), np.flatnonzero(np.isnan(x))

        def integrand(y):
            """f(x_o, y) times (1, log y, 1/y, y, E[x | x_o, y], E[x/y | x_o, y], E[x xᵀ/y | x_o, y])."""
            mean, cov = mu + gamma * y, y * Sigma
            dens = scipy.stats.multivariate_normal(mean[o], cov[np.ix_(o, o)]).pdf(x[o]) * prior(y)
            ex, exx = x.copy(), np.zeros((d, d))
            if m.size:
                gain = np.linalg.solve(cov[np.ix_(o, o)], cov[np.ix_(o, m)]).T
                ex[m] = mean[m] + gain @ (x[o] - mean[o])
                exx[np.ix_(m, m)] = cov[np.ix_(m, m)] - gain @ cov[np.ix_(o, m)]
            exx += np.outer(ex, ex)
            return dens * np.concatenate([[1.0, np.log(y), 1 / y, y], ex, ex / y, np.ravel(exx / y)])

        values = scipy.integrate.quad_vec(integrand, 0.0, np.inf, epsabs=0.0, epsrel=1e-11, limit=500)[0]
        rows.append(np.concatenate([values[1:] / values[0], [np.log(values[0])]]))
    mean = np.mean(rows, axis=0)
    return (mean[0], mean[1], mean[2], mean[3:3 + d], mean[3 + d:3 + 2 * d],
            mean[3 + 2 * d:3 + 2 * d + d * d].reshape(d, d), mean[-1])


def test_e_step_against_quadrature():
    model = nig_truth(3)
    X = np.array([[0.3, np.nan, -0.4], [np.nan, 1.2, 0.5], [0.1, -0.2, 0.7], [np.nan, np.nan, 2.0]])
    patterns, rows = group_rows(X)
    adapter = MissingRowsAdapter(NormalInverseGaussian, patterns, 3)
    reference = brute_force_statistics(model, X)
    for backend in ("cpu", "jax"):
        stats, ll = adapter.em_e_step(rows, adapter.em_state(model, backend), backend)
        for ours, expected in zip((*stats, ll), reference):
            np.testing.assert_allclose(np.asarray(ours), expected, rtol=1e-8, atol=1e-10)


def test_log_likelihood_rises_monotonically(data3):
    X = mcar(data3, 0.25, seed=2)
    result = GeneralizedHyperbolic.default_init(X, missing="em").fit(
        X, missing="em", max_iter=40, tol=1e-10, e_step_backend="cpu", regularization="det_sigma_one")
    lls = result.log_likelihoods
    assert len(lls) >= 10 and np.all(np.diff(lls) >= -1e-12 * np.abs(lls[1:]))
    assert lls[-1] > lls[0] + 0.01


def recovery_errors(d, n, fraction, seed):
    """(RMS error of the missing-data fit, RMS error of the complete-data fit) of (mu, gamma, Sigma) vs the truth."""
    truth = nig_truth(d)
    X = np.asarray(truth.rvs(n, seed=seed))
    Xm = mcar(X, fraction, seed=seed + 100)
    options = dict(max_iter=300, tol=1e-7, e_step_backend="cpu")
    full = NormalInverseGaussian.default_init(X).fit(X, **options)
    em = NormalInverseGaussian.default_init(Xm, missing="em").fit(Xm, missing="em", **options)
    assert em.converged and full.converged

    def rms(model):
        return float(np.sqrt(np.mean((params(model) - params(truth)) ** 2)))

    return rms(em.model), rms(full.model)


def test_recovers_parameters_with_missing_entries():
    """10 % MCAR at d = 4: the error is within twice the complete-data fit's error on the same draws."""
    em, full = recovery_errors(4, 2000, 0.1, seed=7)
    assert em < 2.0 * full + 0.01


@pytest.mark.slow
@pytest.mark.parametrize("fraction", [0.1, 0.3])
def test_recovers_parameters_within_the_complete_data_spread(fraction):
    """d = 4, n = 5000, four draws.  The spread is the RMS error (over the parameters and the draws) of the
    complete-data fits against the truth; each missing-data fit's RMS error must be below 2 / sqrt(1 - fraction)
    times it (the information lost grows like 1 / (1 - fraction))."""
    errors = [recovery_errors(4, 5000, fraction, seed=seed) for seed in range(4)]
    spread = float(np.sqrt(np.mean([full ** 2 for _, full in errors])))
    for em, _ in errors:
        assert em < 2.0 / np.sqrt(1.0 - fraction) * spread


def sp500_nasdaq_oil():
    """Daily log-returns in per cent of the S&P 500, NASDAQ Composite and WTI oil, on their common dates."""
    pandas = pytest.importorskip("pandas")
    pytest.importorskip("arch.data")
    from arch.data import nasdaq, sp500, wti

    prices = pandas.concat([sp500.load()["Adj Close"], nasdaq.load()["Adj Close"], wti.load()["DCOILWTICO"]],
                           axis=1, join="inner").dropna()
    return 100 * np.diff(np.log(prices.to_numpy(dtype=np.float64)), axis=0)


@pytest.mark.slow
def test_ragged_history_on_real_data():
    """Oil observed only in the second half: EM on all rows against dropping the incomplete rows.

    The reference is the fit on the full data (the hidden oil returns put back).  EM's observed-data
    log-likelihood is at least that of both other models (it maximises it), and EM's mean and covariance of the
    two complete columns are closer to the reference than those of the fit on the complete rows only.
    """
    X = sp500_nasdaq_oil()
    late = X.copy()
    late[: X.shape[0] // 2, 2] = np.nan
    complete = late[~np.isnan(late).any(axis=1)]
    options = dict(max_iter=500, tol=1e-6, e_step_backend="cpu")
    full = NormalInverseGaussian.default_init(X).fit(X, **options).model
    em_fit = NormalInverseGaussian.default_init(late, missing="em").fit(late, missing="em", **options)
    drop = NormalInverseGaussian.default_init(complete).fit(complete, **options).model
    assert em_fit.converged
    patterns, rows = group_rows(late)
    adapter = MissingRowsAdapter(NormalInverseGaussian, patterns, 3)

    def observed_ll(model):
        return float(adapter.em_e_step(rows, adapter.em_state(model, "cpu"), "cpu")[1])

    assert observed_ll(em_fit.model) >= max(observed_ll(full), observed_ll(drop))
    assert observed_ll(em_fit.model) == pytest.approx(em_fit.log_likelihoods[-1], abs=1e-6)

    def errors(model):
        mean, cov = np.asarray(model.mean())[:2], np.asarray(model.cov())[:2, :2]
        return (np.linalg.norm(mean - np.asarray(full.mean())[:2]),
                np.linalg.norm(cov - np.asarray(full.cov())[:2, :2]))

    assert all(e < 0.5 * dropped for e, dropped in zip(errors(em_fit.model), errors(drop)))
