"""The JAX kernels also run op by op, under ``jax.disable_jit()`` (as in a debugger)."""
import jax
import mpmath
import numpy as np
import pytest

from normix.utils.bessel import log_kv


@pytest.mark.parametrize("v, z", [(1.5, 0.7), (-3.2, 1.9), (0.25, 1e-3)])
def test_log_kv_without_jit_matches_mpmath(v, z):
    with jax.disable_jit():
        got = float(log_kv(v, z, backend="jax"))
    ref = float(mpmath.log(mpmath.besselk(v, z)))
    np.testing.assert_allclose(got, ref, rtol=1e-13, atol=1e-13)
