"""Parity case tables of the kernel families, one module per family (numpy only).

``normix._kernels.cases.<family>`` defines ``CASES`` (kernel name -> case name ->
case) and ``RTOL`` (optionally ``ATOL``), read by ``tests/parity`` and ``asv_bench``.
A case is a tuple of arguments, or for reductions a dict with ``"args"``,
``"vmap_args"`` (a batch of problems) and ``"in_axes"``.
"""
