"""Shared helpers of the reliability suite: fresh interpreters and bit-level comparison."""
import os
import pathlib
import subprocess
import sys

import equinox as eqx
import jax
import numpy as np

REPO = pathlib.Path(__file__).resolve().parents[2]


def run_python(code, env=None, timeout=600):
    """Run ``code`` in a fresh interpreter (normix from this checkout); return its stdout, fail on error."""
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    done = subprocess.run([sys.executable, "-c", code], env=full_env, cwd=REPO, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, f"subprocess failed ({done.returncode}):\n{done.stderr[-3000:]}"
    return done.stdout


def model_bits(model):
    """Every parameter of a model as hex strings of its float64 values (equal iff bit-identical)."""
    return [np.asarray(leaf, dtype=np.float64).tobytes().hex() for leaf in jax.tree_util.tree_leaves(model)]


# One compiled log-density for the whole suite (one compilation per model class and shape).
jit_log_prob = eqx.filter_jit(lambda model, x: model.log_prob(x))
