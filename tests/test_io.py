"""Saving and loading models: exact round trips for every class, clear errors for bad files."""
import json

import jax
import numpy as np
import pytest

import normix
from normix import _serialization
from normix.io import FAMILIES, load, save

MU = [0.1, -0.2]
GAMMA = [0.3, 0.1]
SIGMA = [[1.0, 0.3], [0.3, 0.5]]
SUBORDINATORS = {
    "NormalInverseGaussian": dict(mu_ig=1.3, lam=0.7),
    "VarianceGamma": dict(alpha=2.5, beta=1.7),
    "NormalInverseGamma": dict(alpha=3.1, beta=2.2),
    "GeneralizedHyperbolic": dict(p=-1.2, a=1.5, b=0.9),
}
MARGINALS = list(SUBORDINATORS)
UNIVARIATE = {
    "Gamma": (2.5, 1.3),
    "InverseGamma": (3.0, 0.7),
    "InverseGaussian": (1.2, 2.1),
    "GeneralizedInverseGaussian": (-0.7, 1.1, 2.4),
}


def make(name):
    """A model of class ``name`` whose parameters are not short decimals (so the round trip is a real test)."""
    cls = getattr(normix, name)
    if name in UNIVARIATE:
        return cls(*(np.float64(v) / 3.0 for v in UNIVARIATE[name]))
    if name == "MultivariateNormal":
        return cls.from_classical(np.array(MU) / 3.0, SIGMA)
    marginal = name.removeprefix("Joint")
    model = getattr(normix, marginal).from_classical(mu=np.array(MU) / 3.0, gamma=GAMMA, sigma=SIGMA,
                                                     **SUBORDINATORS[marginal])
    return model.joint if name.startswith("Joint") else model


def log_prob_at_one_point(model, name):
    """log_prob (log_prob_joint for a joint law) at one point of the support."""
    if name in UNIVARIATE:
        return np.asarray(model.log_prob(1.7))
    if name.startswith("Joint"):
        return np.asarray(model.log_prob_joint(np.array([0.4, -1.1]), 0.8))
    return np.asarray(model.log_prob(np.array([0.4, -1.1])))


# GIG's log_prob compiles its JAX Bessel kernel (seconds); its round trip is checked on the
# parameters in the fast suite and on log_prob in the slow one.
SLOW_LOG_PROB = {"GeneralizedInverseGaussian"}


def test_every_family_is_registered():
    assert set(FAMILIES) == set(UNIVARIATE) | {"MultivariateNormal"} | set(MARGINALS) | {
        "Joint" + name for name in MARGINALS}


def round_trip(tmp_path, name):
    model = make(name)
    path = tmp_path / f"{name}.json"
    model.save(path)
    loaded = normix.load(path)
    assert type(loaded) is type(model)
    for a, b in zip(jax.tree_util.tree_leaves(model), jax.tree_util.tree_leaves(loaded), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    return model, loaded


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_round_trip_restores_every_parameter_exactly(tmp_path, name):
    model, loaded = round_trip(tmp_path, name)
    if name not in SLOW_LOG_PROB:
        assert log_prob_at_one_point(loaded, name).tobytes() == log_prob_at_one_point(model, name).tobytes()


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SLOW_LOG_PROB))
def test_round_trip_reproduces_log_prob_bit_for_bit(tmp_path, name):
    model, loaded = round_trip(tmp_path, name)
    assert log_prob_at_one_point(loaded, name).tobytes() == log_prob_at_one_point(model, name).tobytes()


def test_file_is_the_documented_json(tmp_path):
    model = make("NormalInverseGaussian")
    path = tmp_path / "nig.json"
    save(model, str(path))
    doc = json.loads(path.read_text())
    assert doc["format"] == "normix.model" and doc["version"] == 1
    assert doc["family"] == "NormalInverseGaussian"
    assert list(doc["params"]) == ["mu", "gamma", "L_Sigma", "mu_ig", "lam"]
    assert doc["params"]["mu"] == [0.1 / 3.0, -0.2 / 3.0]
    assert np.allclose(np.array(doc["params"]["L_Sigma"]) @ np.array(doc["params"]["L_Sigma"]).T, SIGMA)


def test_save_replaces_an_existing_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "model.json"
    path.write_text("old contents")
    make("Gamma").save(path)
    assert load(path).alpha == make("Gamma").alpha
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]


def test_save_refuses_what_load_cannot_read(tmp_path):
    with pytest.raises(TypeError, match="saved families"):
        save(np.zeros(3), tmp_path / "x.json")
    with pytest.raises(TypeError, match="normix model"):
        _serialization.save_model(np.zeros(3), tmp_path / "x.json")


def write_doc(tmp_path, doc):
    path = tmp_path / "model.json"
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return path


def good_doc():
    return _serialization.document(make("NormalInverseGaussian"))


def edited(**changes):
    doc = good_doc()
    doc.update(changes)
    return doc


def with_params(**changes):
    doc = good_doc()
    doc["params"].update(changes)
    return doc


BAD_FILES = {
    "truncated": (lambda: json.dumps(good_doc())[:60], "invalid JSON.*truncated or corrupt"),
    "empty": (lambda: "", "invalid JSON"),
    "binary": (lambda: b"\x89PNG\r\n\x1a\n\xff\xfe", "not UTF-8"),
    "foreign JSON": (lambda: {"name": "resnet", "weights": [1, 2]}, "not a normix model file"),
    "JSON list": (lambda: [1, 2, 3], "not a normix model file"),
    "future version": (lambda: edited(version=2), "format version 2 by a newer normix.*up to 1"),
    "bad version": (lambda: edited(version="1"), "version must be an integer"),
    "unknown family": (lambda: edited(family="Cauchy"), "unknown model family 'Cauchy'"),
    "missing params": (lambda: {k: v for k, v in good_doc().items() if k != "params"}, "missing keys \\['params'\\]"),
    "extra key": (lambda: edited(comment="x"), "unexpected keys \\['comment'\\]"),
    "params not object": (lambda: edited(params=[1, 2]), "\"params\" must be a JSON object"),
    "missing parameter": (lambda: {**good_doc(), "params": {k: v for k, v in good_doc()["params"].items()
                                                             if k != "lam"}}, "missing \\['lam'\\]"),
    "unexpected parameter": (lambda: with_params(nu=3.0), "unexpected \\['nu'\\]"),
    "string value": (lambda: with_params(lam="0.7"), "'lam' must hold numbers"),
    "boolean value": (lambda: with_params(lam=True), "'lam' must hold numbers"),
    "NaN literal": (lambda: json.dumps(good_doc()).replace("0.7", "NaN"), "NaN is not a valid parameter"),
    "ragged matrix": (lambda: with_params(L_Sigma=[[1.0, 0.0], [0.3]]), "'L_Sigma' is not a rectangular"),
    "scalar as vector": (lambda: with_params(lam=[0.7]), "invalid NormalInverseGaussian parameters.*lam"),
    "wrong dimension": (lambda: with_params(gamma=[0.3, 0.1, 0.2]), "invalid NormalInverseGaussian.*gamma"),
    "not triangular": (lambda: with_params(L_Sigma=[[1.0, 0.5], [0.3, 0.6]]), "invalid .*L_Sigma"),
    "out of range": (lambda: with_params(lam=-0.7), "invalid .*lam must be > 0"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_file_raises_value_error_naming_file_and_problem(tmp_path, case):
    make_doc, message = BAD_FILES[case]
    doc = make_doc()
    path = tmp_path / "model.json"
    if isinstance(doc, bytes):
        path.write_bytes(doc)
    else:
        write_doc(tmp_path, doc)
    with pytest.raises(ValueError, match=message) as err:
        load(path)
    assert str(path) in str(err.value)


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "absent.json")
