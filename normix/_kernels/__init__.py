"""Compiled kernels of normix.

Every kernel exists twice, with the same name and signature: a numba twin in
``<family>_cpu.py`` and a pure-JAX twin in ``<family>_jax.py``.  Only
:mod:`normix._kernels.dispatch` imports the twins; everything above it asks
``dispatch.kernels(backend)`` for a bundle.  The exact samplers
(``*_sampler_cpu.py``) are numba code without a JAX twin (``dispatch.CPU_ONLY_FAMILIES``).
Thresholds and constants of both twins live in :mod:`._constants`, numba's flags and
the serial-or-parallel choice in :mod:`._numba`, and the inputs on which the twins are
compared in :mod:`.parity_cases`.
"""
