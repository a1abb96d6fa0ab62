"""Compiled kernels of normix.

Every kernel exists twice, with the same name and signature: a numba twin in
``<family>_cpu.py`` and a pure-JAX twin in ``<family>_jax.py``.  Only
:mod:`normix._kernels.dispatch` imports the twins; everything above it asks
``dispatch.kernels(backend)`` for a bundle.
"""
