"""Random invalid input gives a ValueError that names the argument (concrete and under jit).

Invalid means: a sign or bound violated, NaN or inf, a wrong shape (empty arrays
included), a value that is not a real number (strings, booleans, complex numbers,
None, arbitrary objects).  Nothing may be parsed, clipped, cast or passed on as NaN.
"""
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from normix import GIG, Gamma, InverseGamma, InverseGaussian, NormalInverseGaussian
from robustness_helpers import jit_log_prob
from robustness_strategies import (
    MIXTURES,
    NON_FINITE,
    NOT_REAL,
    invalid_positive_scalar,
    mixture_models,
    normal_parts,
    positive_floats,
    wrong_shape,
)

SCALAR_FAMILIES = {
    "gamma": (Gamma, ("alpha", "beta")),
    "inverse_gamma": (InverseGamma, ("alpha", "beta")),
    "inverse_gaussian": (InverseGaussian, ("mu", "lam")),
}


def _raises_naming(name, call, *args, **kwargs):
    with pytest.raises(ValueError, match=rf"(^|\W){re.escape(name)}(\W|$)"):
        call(*args, **kwargs)


@pytest.mark.parametrize("family", sorted(SCALAR_FAMILIES))
@given(data=st.data())
def test_scalar_constructors_refuse_invalid_parameters(family, data):
    cls, names = SCALAR_FAMILIES[family]
    position = data.draw(st.sampled_from([0, 1]))
    args = [data.draw(positive_floats()), data.draw(positive_floats())]
    args[position] = data.draw(invalid_positive_scalar())
    _raises_naming(names[position], cls, *args)


@given(p=st.one_of(NON_FINITE, NOT_REAL, wrong_shape()), a=positive_floats(), b=positive_floats())
def test_gig_refuses_an_invalid_index(p, a, b):
    _raises_naming("p", GIG, p, a, b)


@given(data=st.data())
def test_gig_refuses_invalid_a_or_b(data):
    name = data.draw(st.sampled_from(["a", "b"]))
    params = {"p": data.draw(st.floats(-50, 50)), "a": data.draw(positive_floats()), "b": data.draw(positive_floats())}
    params[name] = data.draw(invalid_positive_scalar())
    _raises_naming(name, GIG, **params)


def _broken_sigma(draw, sigma):
    d = sigma.shape[0]
    kind = draw(st.sampled_from(["asymmetric", "indefinite", "nan", "shape", "not_real"]))
    if kind == "asymmetric" and d > 1:
        broken = sigma.copy()
        broken[0, -1] += 1.0
        return broken
    if kind == "indefinite":
        return sigma - (np.linalg.eigvalsh(sigma)[-1] + 1.0) * np.eye(d)
    if kind == "nan":
        broken = sigma.copy()
        broken[-1, 0] = broken[0, -1] = np.nan
        return broken
    if kind == "not_real":
        return sigma.astype(complex)
    return np.eye(d + 1)


@given(data=st.data())
def test_mixture_constructors_refuse_invalid_parameters(data):
    name, _, params = data.draw(mixture_models())
    cls = MIXTURES[name][0]
    d = params["mu"].shape[0]
    target = data.draw(st.sampled_from(sorted(params)))
    if target in ("mu", "gamma"):
        bad = data.draw(st.one_of(
            st.just(np.full(d + 1, 0.5)), st.just(np.zeros(0)), st.just(np.zeros((d, 1))),
            NON_FINITE.map(lambda v: np.r_[np.zeros(d - 1), v]), st.just(np.zeros(d, dtype=complex)),
            st.just(np.array(["0"] * d)),
        ))
    elif target == "sigma":
        bad = _broken_sigma(data.draw, params["sigma"])
    elif target == "p":
        bad = data.draw(st.one_of(NON_FINITE, NOT_REAL, wrong_shape()))
    else:
        bad = data.draw(invalid_positive_scalar())
        if name == "gh" and target in ("a", "b") and np.ndim(bad) == 0 and bad == 0:
            bad = -1.0  # a = 0 (p < 0) and b = 0 (p > 0) are GH's limit laws, valid
    expected = target
    if target == "mu" and np.ndim(bad) == 1 and np.shape(bad)[0] not in (0, d):
        expected = "sigma"  # mu of another length: sigma no longer matches it
    _raises_naming(expected, cls.from_classical, **{**params, target: bad})


def test_mixtures_refuse_dimension_zero():
    _raises_naming("mu", NormalInverseGaussian.from_classical, mu=np.zeros(0), gamma=np.zeros(0),
                   sigma=np.zeros((0, 0)), mu_ig=1.0, lam=1.0)


@pytest.mark.parametrize("family", sorted(SCALAR_FAMILIES) + ["gig"])
@given(x=NOT_REAL)
def test_log_prob_and_cdf_refuse_values_that_are_not_real(family, x):
    model = GIG(0.5, 1.0, 2.0) if family == "gig" else SCALAR_FAMILIES[family][0](2.0, 3.0)
    _raises_naming("x", model.log_prob, x)
    _raises_naming("x", model.cdf, x)


_ETA_CASES = {
    # family: (class, generator of a violated eta from two positive floats u, v)
    "gamma": (Gamma, lambda u, v: np.array([np.log(u) + v, u])),  # E log X >= log E X
    "inverse_gamma": (InverseGamma, lambda u, v: np.array([-u, -np.log(u) - v])),  # E log X <= -log E[1/X]
    "inverse_gaussian": (InverseGaussian, lambda u, v: np.array([u, 1.0 / u - v])),  # E[1/X] <= 1/E[X]
    "gig": (GIG, lambda u, v: np.array([np.log(u) + v, 2.0 / u, u])),
}


@pytest.mark.parametrize("family", sorted(_ETA_CASES))
@given(u=positive_floats(), v=positive_floats(1e-6, 10.0), kind=st.sampled_from(["jensen", "nan", "shape", "type"]))
def test_from_expectation_refuses_impossible_moments(family, u, v, kind):
    cls, make = _ETA_CASES[family]
    eta = make(u, v)
    if kind == "nan":
        eta[0] = np.nan
    elif kind == "shape":
        eta = np.r_[eta, 1.0]
    elif kind == "type":
        eta = eta.astype(complex)
    _raises_naming("eta", cls.from_expectation, eta)


@pytest.mark.parametrize("family", sorted(SCALAR_FAMILIES) + ["gig"])
@given(kind=st.sampled_from(["negative", "zero", "nan", "inf", "empty", "2d", "complex", "strings"]))
def test_fit_mle_refuses_invalid_data(family, kind):
    cls = GIG if family == "gig" else SCALAR_FAMILIES[family][0]
    X = np.linspace(0.5, 3.0, 20)
    bad = {"negative": np.r_[X, -1.0], "zero": np.r_[X, 0.0], "nan": np.r_[X, np.nan], "inf": np.r_[X, np.inf],
           "empty": np.zeros(0), "2d": X.reshape(10, 2), "complex": X.astype(complex),
           "strings": X.astype(str)}[kind]
    _raises_naming("X", cls.fit_mle, bad)


def _corrupt(draw, X):
    n, d = X.shape
    kind = draw(st.sampled_from(["nan", "inf", "columns", "empty", "1d", "3d", "complex", "bool", "strings"]))
    if kind in ("nan", "inf"):
        bad = X.copy()
        bad[draw(st.integers(0, n - 1)), draw(st.integers(0, d - 1))] = np.nan if kind == "nan" else -np.inf
        return bad
    return {"columns": np.c_[X, X[:, :1]], "empty": X[:0], "1d": X[:, 0] if d > 1 else X.ravel()[:0],
            "3d": X[None], "complex": X.astype(complex), "bool": X > 0, "strings": X.astype(str)}[kind]


@given(data=st.data())
def test_mixture_methods_refuse_invalid_data(data):
    _, model, _ = data.draw(mixture_models(names=("nig", "gh")))
    X = model.rvs(12, seed=data.draw(st.integers(0, 1000)))
    bad = _corrupt(data.draw, X)
    method = data.draw(st.sampled_from(["e_step_cpu", "e_step_jax", "m_step", "fit", "default_init",
                                        "marginal_log_likelihood"]))
    if method == "default_init" and bad.ndim == 2 and bad.shape[1] == X.shape[1] + 1:
        return  # default_init takes the dimension from X: an extra column is valid there
    call = {
        "e_step_cpu": lambda: model.e_step(bad, backend="cpu"),
        "e_step_jax": lambda: model.e_step(bad, backend="jax"),
        "m_step": lambda: model.m_step(bad, model.e_step(X, backend="cpu")),
        "fit": lambda: model.fit(bad, max_iter=2, e_step_backend="cpu", m_step_backend="cpu"),
        "default_init": lambda: type(model).default_init(bad),
        "marginal_log_likelihood": lambda: model.marginal_log_likelihood(bad),
    }[method]
    _raises_naming("X", call)


@given(data=st.data())
def test_m_step_refuses_invalid_expectations(data):
    _, model, _ = data.draw(mixture_models(names=("nig", "vg")))
    X = model.rvs(15, seed=3)
    expectations = model.e_step(X, backend="cpu")
    key = data.draw(st.sampled_from(sorted(expectations)))
    kind = data.draw(st.sampled_from(["missing", "short", "nan", "negative", "complex"]))
    broken = dict(expectations)
    value = np.array(expectations[key])
    if kind == "missing":
        del broken[key]
    elif kind == "short":
        broken[key] = value[:-1]
    elif kind == "nan":
        broken[key] = np.where(np.arange(value.size) == 0, np.nan, value)
    elif kind == "negative":
        if key == "E_log_Y":
            return  # any real E[log Y] is valid
        broken[key] = -value
    else:
        broken[key] = value.astype(complex)
    _raises_naming(key, model.m_step, X, broken)


def test_fit_refuses_too_few_rows_and_constant_columns():
    model = NormalInverseGaussian.from_classical(mu=np.zeros(3), gamma=np.zeros(3), sigma=np.eye(3), mu_ig=1.0,
                                                 lam=1.0)
    X = model.rvs(40, seed=0)
    with pytest.raises(ValueError, match="at least 5 row"):
        model.fit(X[:4], e_step_backend="cpu")
    constant = X.copy()
    constant[:, 1] = 3.25
    for call in (lambda: model.fit(constant, e_step_backend="cpu"), lambda: type(model).default_init(constant)):
        with pytest.raises(ValueError, match=r"constant column.*\b1\b"):
            call()


@pytest.mark.parametrize("family", sorted(SCALAR_FAMILIES) + ["gig", "nig"])
@given(n=st.one_of(st.integers(max_value=-1), st.sampled_from([1.5, "3", None, True])),
       seed=st.one_of(st.integers(max_value=-1), st.integers(min_value=2**63), st.sampled_from([1.5, "3", None, False])))
def test_rvs_refuses_invalid_sizes_and_seeds(family, n, seed):
    if family == "nig":
        model = NormalInverseGaussian.from_classical(mu=np.zeros(2), gamma=np.zeros(2), sigma=np.eye(2),
                                                     mu_ig=1.0, lam=1.0)
    else:
        model = GIG(0.5, 1.0, 2.0) if family == "gig" else SCALAR_FAMILIES[family][0](2.0, 3.0)
    _raises_naming("n", model.rvs, n, seed=1)
    _raises_naming("seed", model.rvs, 3, seed=seed)


# ----------------------------------------------------------------- under jit
@jax.jit
def _gamma_theta(alpha, beta):
    return Gamma(alpha, beta).natural_params()


@jax.jit
def _gig_theta(p, a, b):
    return GIG(p, a, b).natural_params()


@jax.jit
def _nig_theta(mu, sigma, mu_ig):
    model = NormalInverseGaussian.from_classical(mu=mu, gamma=jnp.zeros(2), sigma=sigma, mu_ig=mu_ig, lam=1.0)
    return model.joint.natural_params()


def _runtime_error_naming(name, call, *args):
    """Under jit the check runs inside the program: equinox raises a RuntimeError carrying the message."""
    with pytest.raises(RuntimeError, match=rf"(^|\W){re.escape(name)} must"):
        jax.block_until_ready(call(*args))


@given(data=st.data())
def test_invalid_parameters_raise_under_jit(data):
    which = data.draw(st.sampled_from(["alpha", "beta", "a", "b", "p", "mu", "sigma", "mu_ig"]))
    bad = data.draw(st.one_of(st.floats(max_value=0.0, allow_nan=False), NON_FINITE))
    if which in ("alpha", "beta"):
        args = {"alpha": 2.0, "beta": 3.0, which: bad}
        _runtime_error_naming(which, _gamma_theta, args["alpha"], args["beta"])
    elif which in ("a", "b", "p"):
        if which == "p" and np.isfinite(bad):
            bad = np.nan  # every finite index is valid
        args = {"p": 0.5, "a": 1.0, "b": 2.0, which: bad}
        _runtime_error_naming(which, _gig_theta, args["p"], args["a"], args["b"])
    else:
        mu, sigma, mu_ig = jnp.zeros(2), jnp.eye(2), 1.0
        if which == "mu":
            mu = jnp.array([0.0, np.nan if np.isfinite(bad) else bad])
        elif which == "sigma":
            sigma = jnp.eye(2) * (bad if np.isfinite(bad) and bad < 0 else np.nan)
        else:
            mu_ig = bad
        _runtime_error_naming(which, _nig_theta, mu, sigma, mu_ig)


def test_non_finite_observation_raises_under_jit():
    model = NormalInverseGaussian.from_classical(mu=np.zeros(2), gamma=np.zeros(2), sigma=np.eye(2), mu_ig=1.0,
                                                 lam=1.0)
    _runtime_error_naming("x", jit_log_prob, model, jnp.array([np.nan, 0.0]))


def test_not_real_dtypes_raise_under_jit():
    for name, call in (("alpha", lambda: jax.jit(lambda a: Gamma(a, 1.0).mean())(jnp.asarray(1.0 + 1.0j))),
                       ("x", lambda: jax.jit(lambda x: Gamma(2.0, 1.0).log_prob(x))(jnp.asarray(True)))):
        _raises_naming(name, call)
