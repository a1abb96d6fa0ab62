"""Saved models: the ``normix.model`` file format, version 1.

A saved model is one UTF-8 JSON object with exactly four keys::

    {"format": "normix.model",
     "version": 1,
     "family": "NormalInverseGaussian",
     "params": {"mu": [0.01, -0.02],
                "gamma": [0.3, 0.1],
                "L_Sigma": [[1.1, 0.0], [0.4, 0.9]],
                "mu_ig": 1.0,
                "lam": 2.5}}

``family``
    The class name of the model (``normix.io.FAMILIES`` lists those that load).
``params``
    The parameters the class stores, under the names of its constructor arguments:
    scalars as numbers, vectors as lists, matrices as lists of rows.  A marginal
    mixture (which stores its joint law) is written with the parameters of its joint.
    Σ appears as its lower Cholesky factor ``L_Sigma``, the parameter the classes
    store: refactorising L Lᵀ would change the last bits of L.

Numbers are written by Python's ``repr`` of a double, the shortest decimal string
that reads back to the same double, so a save/load round trip restores every
parameter exactly and reproduces ``log_prob`` bit for bit.  NaN and infinities are
not valid parameters and are refused on writing and on reading.

Versions: a reader accepts files of its own version or older and refuses a newer
version with an error naming both.  Any change to the keys or their meaning gets a
new version number.

This module knows no distribution classes (it sits below them): it reads a model's
fields through the dataclass protocol that every equinox Module follows, and turns a
file into ``(family, params)``.  ``normix.io`` maps the family name to its class and
constructs the model through the public constructor, so the usual validation runs.
"""
import dataclasses
import json
import math
import os
import tempfile

import numpy as np

FORMAT = "normix.model"
VERSION = 1
_KEYS = ("format", "version", "family", "params")


def model_params(model):
    """The parameters a model stores, as ``{name: float64 numpy array}``.

    The fields of a nested model (the joint law of a marginal mixture) are merged in
    place of the field that holds it.

    Raises
    ------
    TypeError
        If ``model`` is not a dataclass instance (every normix model is one).
    ValueError
        If two nested fields share a name, or a parameter is not finite.
    """
    if not dataclasses.is_dataclass(model) or isinstance(model, type):
        raise TypeError(f"model must be a normix model (an equinox Module), got {type(model).__name__}")
    params = {}
    for field in dataclasses.fields(model):
        value = getattr(model, field.name)
        if dataclasses.is_dataclass(value):
            inner = model_params(value)
        else:
            inner = {field.name: np.asarray(value, dtype=np.float64)}
        clash = sorted(set(params) & set(inner))
        if clash:
            raise ValueError(f"{type(model).__name__} has the parameter name(s) {clash} twice")
        params.update(inner)
    for name, value in params.items():
        if not np.all(np.isfinite(value)):
            raise ValueError(f"parameter {name!r} of {type(model).__name__} is not finite: {value}")
    return params


def document(model):
    """The JSON-ready dict of ``model`` in the current format version."""
    params = {name: value.tolist() for name, value in model_params(model).items()}
    return {"format": FORMAT, "version": VERSION, "family": type(model).__name__, "params": params}


def _layout(doc):
    """The document as JSON text, one parameter per line."""
    head = "".join(f" {json.dumps(key)}: {json.dumps(doc[key])},\n" for key in _KEYS[:3])
    params = ",\n".join(f"  {json.dumps(name)}: {json.dumps(value, allow_nan=False)}"
                         for name, value in doc["params"].items())
    return "{\n" + head + ' "params": {\n' + params + "\n }\n}\n"


def save_model(model, path):
    """Write ``model`` to ``path`` in the ``normix.model`` JSON format.

    The file is written to a temporary name in the same folder and then renamed, so an
    existing file at ``path`` is replaced whole or not at all.
    """
    text = _layout(document(model))
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".normix-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def _refuse_constant(name):
    raise ValueError(f"{name} is not a valid parameter value")


def _check_numbers(value, name, where):
    """Raise unless ``value`` is a number or a (nested) list of numbers; booleans are not numbers."""
    if isinstance(value, list):
        for item in value:
            _check_numbers(item, name, where)
    elif isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{where}: parameter {name!r} must hold numbers, found {value!r}")
    elif not math.isfinite(value):
        raise ValueError(f"{where}: parameter {name!r} is not finite ({value!r})")


def _as_array(value, name, where):
    _check_numbers(value, name, where)
    try:
        return np.array(value, dtype=np.float64)
    except ValueError:
        raise ValueError(f"{where}: parameter {name!r} is not a rectangular array (rows of unequal "
                         f"length)") from None


def read_model(path):
    """``(family, params)`` of the saved model at ``path``, checked against the format.

    Returns
    -------
    family : str
        The class name written in the file.
    params : dict of str to numpy.ndarray
        The parameters as float64 arrays (shape () for scalars).

    Raises
    ------
    FileNotFoundError, PermissionError
        If the file cannot be opened.
    ValueError
        Naming the file and the problem: not UTF-8, not JSON (a truncated or corrupt
        file), not a ``normix.model`` document, a newer format version, a missing or
        unexpected key, or a parameter that is not a finite number or rectangular array.
    """
    where = os.fspath(path)
    with open(where, "rb") as stream:
        raw = stream.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(f"{where}: not a normix model file (not UTF-8 text: {err.reason} at byte "
                         f"{err.start})") from None
    try:
        doc = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as err:
        raise ValueError(f"{where}: not a normix model file (invalid JSON: {err.msg} at line {err.lineno}, "
                         f"column {err.colno}; the file may be truncated or corrupt)") from None
    except ValueError as err:
        raise ValueError(f"{where}: {err}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ValueError(f"{where}: not a normix model file (expected a JSON object with "
                         f"\"format\": \"{FORMAT}\")")
    missing = [key for key in _KEYS if key not in doc]
    unexpected = sorted(set(doc) - set(_KEYS))
    if missing or unexpected:
        raise ValueError(f"{where}: malformed normix model file (missing keys {missing}, unexpected keys "
                         f"{unexpected})")
    version = doc["version"]
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(f"{where}: format version must be an integer >= 1, got {version!r}")
    if version > VERSION:
        raise ValueError(f"{where}: written in format version {version} by a newer normix; this normix "
                         f"reads versions up to {VERSION}")
    family, params = doc["family"], doc["params"]
    if not isinstance(family, str) or not family:
        raise ValueError(f"{where}: \"family\" must be a non-empty string, got {family!r}")
    if not isinstance(params, dict):
        raise ValueError(f"{where}: \"params\" must be a JSON object, got {type(params).__name__}")
    return family, {name: _as_array(value, name, where) for name, value in params.items()}
