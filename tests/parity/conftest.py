"""The parity suite compiles one JAX program per kernel, case and mode: it starts from empty JAX caches.

Earlier test modules leave hundreds of compiled executables in the process; dropping
them before this module keeps the memory that XLA's compiler works in small.
"""
import gc

import jax
import pytest


@pytest.fixture(scope="module", autouse=True)
def empty_jax_caches():
    jax.clear_caches()
    gc.collect()
    yield
