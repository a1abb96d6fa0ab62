"""Compilation settings of the whole test session (and of the subprocesses its tests start).

Most of the fast suite's time is compilation, not computation: XLA compiling the JAX
twins (the univariate cdf and Bessel programs take seconds each) and numba compiling the
CPU twins.  One JAX persistent compilation cache serves the session, in a fresh
temporary directory (the suite still starts from empty caches): a program that two
tests build under different ``jax.jit`` wrappers of the same function, or that a test
module compiles again after ``jax.clear_caches()``, or that a subprocess compiles
again, is compiled once.

XLA's optimisation level is left at its default: at level 0 the GIG Newton solver's
``while_loop`` runs for minutes instead of milliseconds.

The settings go through environment variables, so the subprocesses of the CLI,
sharding and numba-cache tests inherit them.  A variable the caller has already set is
left alone.
"""
import os
import shutil
import tempfile

_CACHE_DIR = tempfile.mkdtemp(prefix="normix-test-jax-cache-")

os.environ.setdefault("NORMIX_JAX_CACHE_DIR", _CACHE_DIR)
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", os.environ["NORMIX_JAX_CACHE_DIR"])
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0.3")
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "0")


def pytest_sessionfinish(session, exitstatus):
    """Remove the session's compilation cache."""
    shutil.rmtree(_CACHE_DIR, ignore_errors=True)
