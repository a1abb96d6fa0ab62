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
