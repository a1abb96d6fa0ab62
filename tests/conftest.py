"""Test-session settings that change how fast the suite compiles, never what it computes.

XLA's CPU fusion emitters roughly halve the compile time of the large JAX programs of
the test suite (the GIG Newton solver, the Bessel function and the univariate
quantiles) when they are turned off, at the same results; the flag is added before
JAX starts its CPU backend, unless ``XLA_FLAGS`` already names it.
"""
import os

FUSION_EMITTERS_OFF = "--xla_cpu_use_fusion_emitters=false"

if "xla_cpu_use_fusion_emitters" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {FUSION_EMITTERS_OFF}".strip()
