"""The best special case of GH (``normix.fitting.starts``), shared by GH.default_init and ``normix fit``."""
import types

import numpy as np
import pytest

from normix import GeneralizedHyperbolic, NormalInverseGamma, NormalInverseGaussian, VarianceGamma
from normix._serialization import model_params
from normix.fitting.starts import SHORT_FIT_ITERATIONS, SPECIAL_CASES, best_special_case


@pytest.fixture(scope="module")
def data():
    true = VarianceGamma.from_classical(mu=np.zeros(2), gamma=np.array([0.4, -0.3]),
                                        sigma=np.array([[1.0, 0.3], [0.3, 0.8]]), alpha=1.8, beta=1.5)
    return true.rvs(1500, seed=3)


def _same(a, b):
    assert type(a) is type(b)
    for (name, x), (_, y) in zip(model_params(a).items(), model_params(b).items()):
        np.testing.assert_array_equal(x, y, err_msg=name)


def test_the_winner_has_the_highest_mean_log_likelihood(data):
    assert SPECIAL_CASES == (NormalInverseGaussian, VarianceGamma, NormalInverseGamma)
    fits = [family.default_init(data).fit(data, max_iter=SHORT_FIT_ITERATIONS, e_step_backend="cpu").model
            for family in SPECIAL_CASES]
    scores = [float(np.mean(model.log_prob_rows(data))) for model in fits]
    best = best_special_case(data)
    _same(best, fits[int(np.argmax(scores))])
    _same(GeneralizedHyperbolic.default_init(data), GeneralizedHyperbolic.from_mixture(best))


def test_given_models_are_ranked_and_never_refitted(data):
    good = VarianceGamma.default_init(data).fit(data, max_iter=30).model
    poor = NormalInverseGaussian.default_init(data)
    assert float(np.mean(good.log_prob_rows(data))) > float(np.mean(poor.log_prob_rows(data)))
    assert best_special_case(data, [poor, good]) is good
    assert best_special_case(data, [good, poor]) is good
    assert best_special_case(data, []) is None


def test_default_init_falls_back_to_the_moment_start(data, monkeypatch):
    import normix.distributions.generalized_hyperbolic as gh_module

    monkeypatch.setattr(gh_module, "best_special_case", lambda X: None)
    start = GeneralizedHyperbolic.default_init(data)
    np.testing.assert_allclose(model_params(start)["mu"], data.mean(axis=0), rtol=1e-14)
    assert (float(start.joint.p), float(start.joint.a), float(start.joint.b)) == (-0.5, 1.0, 1.0)


def test_normix_fit_starts_gh_from_the_same_rule(data):
    from normix.cli.fit import _gh_start

    models = [family.default_init(data).fit(data, max_iter=10).model for family in SPECIAL_CASES]
    fits = [types.SimpleNamespace(result=types.SimpleNamespace(model=m)) for m in models]
    fits.append(types.SimpleNamespace(result=None))
    _same(_gh_start(fits, data), GeneralizedHyperbolic.from_mixture(best_special_case(data, models)))
    assert _gh_start([types.SimpleNamespace(result=None)], data) is None
