"""``import normix`` is light: no numba, no jaxopt, no scipy optimisers, no compilation."""
import json
import subprocess
import sys

PROBE = """
import json, sys, time
t0 = time.perf_counter()
import normix
elapsed = time.perf_counter() - t0
heavy = [m for m in ("numba", "jaxopt", "scipy.optimize", "matplotlib", "dask") if m in sys.modules]
print(json.dumps({"elapsed": elapsed, "heavy": heavy, "x64": __import__("jax").config.jax_enable_x64}))
"""


def run_probe():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_loads_no_heavy_optional_module():
    assert run_probe()["heavy"] == []


def test_import_enables_float64():
    assert run_probe()["x64"] is True


def test_public_names_resolve_lazily():
    import normix

    assert "ExponentialFamily" in dir(normix)
    try:
        normix.NotAThing
    except AttributeError as err:
        assert "NotAThing" in str(err)
    else:
        raise AssertionError("unknown attribute did not raise")


# The classes the API reference documents under ``normix.distributions.<module>``.
SPEC_DISTRIBUTIONS = {
    "gamma": ["Gamma"],
    "inverse_gamma": ["InverseGamma"],
    "inverse_gaussian": ["InverseGaussian"],
    "generalized_inverse_gaussian": ["GeneralizedInverseGaussian", "GIG"],
    "normal": ["MultivariateNormal"],
    "variance_gamma": ["JointVarianceGamma", "VarianceGamma"],
    "normal_inverse_gamma": ["JointNormalInverseGamma", "NormalInverseGamma"],
    "normal_inverse_gaussian": ["JointNormalInverseGaussian", "NormalInverseGaussian"],
    "generalized_hyperbolic": ["JointGeneralizedHyperbolic", "GeneralizedHyperbolic"],
}

DISTRIBUTIONS_PROBE = """
import json, sys
import normix.distributions
print(json.dumps(sorted(m for m in sys.modules if m.startswith("normix.distributions."))))
"""


def test_distributions_exports_every_spec_class():
    import importlib

    import normix.distributions as package

    for module, names in SPEC_DISTRIBUTIONS.items():
        defining = importlib.import_module(f"normix.distributions.{module}")
        for name in names:
            assert getattr(package, name) is getattr(defining, name)
            assert name in package.__all__
            assert name in dir(package)
            exec(f"from normix.distributions import {name}", {})
    assert package.GIG is package.GeneralizedInverseGaussian


def test_distributions_all_lists_only_what_resolves():
    import normix.distributions as package

    for name in package.__all__:
        assert isinstance(getattr(package, name), type)
    try:
        package.NotAThing
    except AttributeError as err:
        assert "NotAThing" in str(err)
    else:
        raise AssertionError("unknown attribute did not raise")


def test_importing_distributions_imports_none_of_its_distribution_modules():
    out = subprocess.run([sys.executable, "-c", DISTRIBUTIONS_PROBE], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == ["normix.distributions._lazy"]


def _is_abstract(cls):
    return bool(cls.__abstractmethods__ or getattr(cls, "__abstractvars__", ())
                or getattr(cls, "__abstractclassvars__", ()))


def test_no_concrete_public_class_is_subclassed():
    import normix
    import normix.distributions as package

    public = {getattr(normix, n) for n in normix.__all__} | {getattr(package, n) for n in package.__all__}
    classes = {c for c in public if isinstance(c, type)}
    for cls in classes:
        subclassed = any(other is not cls and issubclass(other, cls) for other in classes)
        if subclassed:
            assert _is_abstract(cls), f"{cls.__name__} is subclassed but concrete"
            assert cls.__name__.startswith("Abstract") or "abstract" in cls.__doc__.lower(), cls.__name__
