"""Oracle test of ``gig_log_partition_moments`` (both twins) against quadrature of the GIG density."""
import mpmath
import numpy as np
import pytest

from normix._kernels import dispatch

LAWS = [(-0.5, 2.0, 1.0), (3.0, 0.5, 4.0), (-2.5, 1.3, 0.2), (0.0, 1.0, 1.0), (1.7, 4.0, 0.0), (-3.0, 0.0, 2.0)]


def reference(p, a, b):
    """(ψ, E log Y, E 1/Y, E Y) by mpmath quadrature of y^(p-1) exp(-(a y + b/y)/2) at 30 digits."""
    mpmath.mp.dps = 30
    p, a, b = (mpmath.mpf(v) for v in (p, a, b))

    def integral(g):
        return mpmath.quad(lambda y: g(y) * y ** (p - 1) * mpmath.exp(-(a * y + b / y) / 2), [0, 1, 10, mpmath.inf])

    z = integral(lambda y: 1)
    return tuple(float(v) for v in (mpmath.log(z), integral(mpmath.log) / z, integral(lambda y: 1 / y) / z,
                                    integral(lambda y: y) / z))


@pytest.mark.parametrize("backend", ["cpu", "jax"])
def test_matches_quadrature(backend):
    kernel = dispatch.kernels(backend).gig_log_partition_moments
    p, a, b = (np.array(column) for column in zip(*LAWS))
    ours = np.array([np.asarray(v) for v in kernel(p, a, b)])
    expected = np.array([reference(*law) for law in LAWS]).T
    np.testing.assert_allclose(ours, expected, rtol=1e-10, atol=1e-12)


def test_improper_law_gives_nan():
    psi, e1, e2, e3 = dispatch.kernels("cpu").gig_log_partition_moments(-1.0, 1.0, 0.0)
    assert np.isnan([psi, e1, e2, e3]).all()
