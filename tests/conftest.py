"""Compilation settings of the whole test session (and of the subprocesses its tests start).

Most of the fast suite's time is compilation, not computation: XLA compiling the JAX
twins (the univariate cdf and Bessel programs take seconds each) and numba compiling the
CPU twins.  Two settings cut it without changing what any test checks:

* one JAX persistent compilation cache for the session, in a fresh temporary directory
  (the suite still starts from empty caches): a program that two tests build under
  different ``jax.jit`` wrappers of the same function, or that a test module compiles
  again after ``jax.clear_caches()``, or that a subprocess compiles again, is compiled
  once;
* XLA's CPU backend at optimisation level 0 with LLVM's expensive passes off, which
  roughly halves the compile time of the large programs and leaves results within the
  tests' tolerances (only instruction scheduling and vectorisation change).

Both go through environment variables, so the subprocesses of the CLI, sharding and
numba-cache tests inherit them.  A variable the caller has already set is left alone.
"""
import os
import shutil
import tempfile

_CACHE_DIR = tempfile.mkdtemp(prefix="normix-test-jax-cache-")
_XLA_TEST_FLAGS = "--xla_backend_optimization_level=0 --xla_llvm_disable_expensive_passes=true"

os.environ.setdefault("NORMIX_JAX_CACHE_DIR", _CACHE_DIR)
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", os.environ["NORMIX_JAX_CACHE_DIR"])
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0.3")
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "0")
if "--xla_backend_optimization_level" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {_XLA_TEST_FLAGS}".strip()


def pytest_sessionfinish(session, exitstatus):
    """Remove the session's compilation cache."""
    shutil.rmtree(_CACHE_DIR, ignore_errors=True)
