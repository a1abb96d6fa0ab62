"""Parity case tables of the kernel families: inputs, not kernels (numpy only).

``normix._kernels.parity_cases.<family>`` holds the cases of the kernels of
``<family>_cpu.py`` / ``<family>_jax.py``: ``CASES`` (kernel name -> case name -> case)
and ``RTOL`` (optionally ``ATOL``), read by ``tests/parity`` (twin against twin) and by
``asv_bench`` (speed and accuracy on the same inputs), which is why they live in the
package rather than in either.  A case is a tuple of arguments, or for reductions a dict
with ``"args"``, ``"vmap_args"`` (a batch of problems) and ``"in_axes"``.
"""
