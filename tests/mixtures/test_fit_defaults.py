"""The defaults of ``fit``: one function on NormalMixture, each family's table of defaults, the spec's signatures."""
import inspect

import pytest

from normix import GeneralizedHyperbolic, NormalInverseGamma, NormalInverseGaussian, VarianceGamma
from normix.distributions import AbstractDistribution, AbstractMultivariateDistribution
from normix.mixtures.marginal import NormalMixture

# The signatures of the API reference.
SPEC_COMMON = {"verbose": 0, "max_iter": 200, "tol": 0.001, "m_step_backend": "cpu", "m_step_method": "newton"}
SPEC_DEFAULTS = {
    NormalMixture: {"regularization": "none", "e_step_backend": "jax"},
    NormalInverseGaussian: {"regularization": "none", "e_step_backend": "jax"},
    VarianceGamma: {"regularization": "none", "e_step_backend": "cpu"},
    NormalInverseGamma: {"regularization": "none", "e_step_backend": "cpu"},
    GeneralizedHyperbolic: {"regularization": "det_sigma_one", "e_step_backend": "cpu"},
}


# keywords beyond the spec's, each off by default (plain EM on all rows, nothing held)
FITTING_OPTIONS = {"accelerate": None, "weights": None, "missing": "raise", "fixed": None, "symmetric": False, "sigma": "full", "n_factors": None}


def _defaults(function):
    return {name: p.default for name, p in inspect.signature(function).parameters.items()
            if p.default is not inspect.Parameter.empty}


@pytest.mark.parametrize("cls", list(SPEC_DEFAULTS), ids=lambda c: c.__name__)
def test_signature_shows_the_spec_defaults(cls):
    names = list(inspect.signature(cls.fit).parameters)
    assert names[:9] == ["self", "X", "verbose", "max_iter", "tol", "regularization", "e_step_backend",
                         "m_step_backend", "m_step_method"]
    assert sorted(names[9:]) == sorted(FITTING_OPTIONS)
    assert _defaults(cls.fit) == {**SPEC_COMMON, **SPEC_DEFAULTS[cls], **FITTING_OPTIONS}
    assert dict(cls.fit_defaults) == SPEC_DEFAULTS[cls]


@pytest.mark.parametrize("cls", [VarianceGamma, NormalInverseGamma, GeneralizedHyperbolic], ids=lambda c: c.__name__)
def test_one_fit_body_and_an_accurate_docstring(cls):
    assert cls.fit.__code__ is NormalMixture.fit.__code__
    assert cls.fit.__qualname__ == f"{cls.__name__}.fit"
    for name, value in cls.fit_defaults.items():
        assert f"{name}={value!r}" in cls.fit.__doc__
    assert NormalInverseGaussian.fit is NormalMixture.fit


def test_defaults_reach_the_fitter(monkeypatch):
    import normix.mixtures.marginal as marginal

    seen = {}

    class Recorder:
        def __init__(self, **options):
            seen.update(options)

        def fit(self, model, X, **held):
            return "result"

    monkeypatch.setattr(marginal, "BatchEMFitter", Recorder)
    model = VarianceGamma.from_classical(mu=[0.0], gamma=[0.0], sigma=[[1.0]], alpha=2.0, beta=2.0)
    assert model.fit([[0.0]]) == "result"
    assert seen["e_step_backend"] == "cpu" and seen["regularization"] == "none"
    gh = GeneralizedHyperbolic.from_classical(mu=[0.0], gamma=[0.0], sigma=[[1.0]], p=-0.5, a=1.0, b=1.0)
    gh.fit([[0.0]], e_step_backend="jax")
    assert seen["e_step_backend"] == "jax" and seen["regularization"] == "det_sigma_one"


def test_table_is_read_only():
    with pytest.raises(TypeError):
        GeneralizedHyperbolic.fit_defaults["e_step_backend"] = "jax"


@pytest.mark.parametrize("cls", [NormalMixture, AbstractDistribution, AbstractMultivariateDistribution])
def test_abstract_bases_cannot_be_instantiated(cls):
    with pytest.raises(TypeError):
        cls()
