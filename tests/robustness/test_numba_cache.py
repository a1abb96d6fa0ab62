"""normix imports and computes when numba cannot write its on-disk cache.

numba looks for a writable cache directory (``NUMBA_CACHE_DIR``, the package's
``__pycache__``, the user's cache) when a ``cache=True`` function is decorated, and
raises ``RuntimeError`` at import time if none is writable.  The test allows only the
``NUMBA_CACHE_DIR`` locator and points it at a directory that cannot be written: a
read-only one when the tests run as an ordinary user, a path below a regular file when
they run as root (root writes through permission bits).
"""
import math
import os
import stat

from scipy.special import digamma

from robustness_helpers import run_python

_PROGRAM = """
import importlib, pkgutil, warnings
warnings.simplefilter("error", RuntimeWarning)
import normix
import normix._kernels as kernels
names = [m.name for m in pkgutil.iter_modules(kernels.__path__) if m.name.endswith("_cpu")]
for name in names:
    importlib.import_module("normix._kernels." + name)
from normix._kernels import dispatch
value = float(dispatch.kernels("cpu").digamma_inv(-0.1))
print(len(names), repr(value))
"""


def _unwritable_dir(tmp_path):
    if os.geteuid() != 0:
        path = tmp_path / "readonly"
        path.mkdir()
        path.chmod(stat.S_IRUSR | stat.S_IXUSR)
        return path
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    return blocker / "cache"


def test_import_and_compute_without_a_writable_numba_cache(tmp_path):
    env = {"NUMBA_CACHE_DIR": str(_unwritable_dir(tmp_path)), "NUMBA_CACHE_LOCATOR_CLASSES": "UserProvidedCacheLocator"}
    count, value = run_python(_PROGRAM, env=env).split()
    assert int(count) >= 5
    # digamma_inv(c) solves psi(alpha) - log(alpha) = c: check the root with scipy.
    alpha = float(value)
    assert abs(digamma(alpha) - math.log(alpha) + 0.1) < 1e-12
