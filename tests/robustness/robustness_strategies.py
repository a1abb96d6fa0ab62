"""Hypothesis strategies of the reliability suite: valid parameters and the ways to break them."""
import numpy as np
from hypothesis import strategies as st

from normix import (
    GeneralizedHyperbolic,
    NormalInverseGamma,
    NormalInverseGaussian,
    VarianceGamma,
)

# A value that is not a real number: the library must name the argument, not parse it.
NOT_REAL = st.sampled_from(["1.0", "x", True, 1.0 + 0.0j, 2.0 + 1.0j, None, b"1", object()])
NON_FINITE = st.sampled_from([np.nan, np.inf, -np.inf])


def positive_floats(lo=1e-3, hi=1e3):
    """Floats in [lo, hi], drawn evenly in log scale."""
    return st.floats(np.log(lo), np.log(hi)).map(lambda t: float(np.exp(t)))


def non_positive():
    return st.one_of(st.floats(max_value=0.0, allow_nan=False), NON_FINITE, NOT_REAL)


def wrong_shape(value=1.0):
    """An array of valid values whose shape is not that of a scalar (empty arrays included)."""
    shapes = st.sampled_from([(0,), (1,), (2,), (1, 1), (0, 3)])
    return shapes.map(lambda shape: np.full(shape, value))


def invalid_positive_scalar():
    """Anything a positive scalar parameter must refuse."""
    return st.one_of(non_positive(), wrong_shape())


# family -> (class, strategy of valid subordinator parameters, invalid values per parameter)
MIXTURES = {
    "nig": (NormalInverseGaussian, st.fixed_dictionaries({"mu_ig": positive_floats(0.1, 10.0),
                                                          "lam": positive_floats(0.1, 10.0)})),
    "vg": (VarianceGamma, st.fixed_dictionaries({"alpha": positive_floats(0.5, 10.0),
                                                 "beta": positive_floats(0.1, 10.0)})),
    "ninvg": (NormalInverseGamma, st.fixed_dictionaries({"alpha": positive_floats(1.5, 10.0),
                                                         "beta": positive_floats(0.1, 10.0)})),
    "gh": (GeneralizedHyperbolic, st.fixed_dictionaries({"p": st.floats(-3.0, 3.0),
                                                         "a": positive_floats(0.1, 10.0),
                                                         "b": positive_floats(0.1, 10.0)})),
}


@st.composite
def normal_parts(draw, d):
    """(mu, gamma, sigma) in dimension d with a well-conditioned, non-diagonal sigma."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    mu = rng.normal(size=d) * draw(st.sampled_from([1.0, 10.0]))
    gamma = rng.normal(size=d) * draw(st.sampled_from([0.0, 0.3, 1.0]))
    A = rng.normal(size=(d, d))
    sigma = A @ A.T / d + draw(positive_floats(0.2, 5.0)) * np.eye(d)
    return mu, gamma, sigma


@st.composite
def mixture_models(draw, names=tuple(MIXTURES), dims=(1, 2, 3)):
    """(name, model, classical parameters) of a random valid mixture."""
    name = draw(st.sampled_from(names))
    cls, sub_strategy = MIXTURES[name]
    d = draw(st.sampled_from(dims))
    mu, gamma, sigma = draw(normal_parts(d))
    sub = draw(sub_strategy)
    params = {"mu": mu, "gamma": gamma, "sigma": sigma, **sub}
    return name, cls.from_classical(**params), params
