"""The serial-or-parallel helper of the numba twins (``normix._kernels._numba.array_kernel``)."""
import numpy as np

from normix._kernels._numba import array_kernel, prange


@array_kernel(8)
def _squares(x, out):
    for i in prange(x.size):
        out[i] = x[i] * x[i] + 1.0 / (x[i] - 0.5)


def test_run_picks_the_serial_variant_up_to_the_threshold_and_both_agree():
    small, large = np.linspace(0.0, 1.0, 8), np.linspace(0.0, 1.0, 9)
    out_small, out_large = np.empty(8), np.empty(9)
    _squares.run(small.size, small, out_small)
    assert _squares.serial.signatures and not _squares.parallel.signatures
    _squares.run(large.size, large, out_large)
    assert _squares.parallel.signatures
    serial = np.empty(9)
    _squares.serial(large, serial)
    np.testing.assert_array_equal(out_large, serial)
    np.testing.assert_array_equal(out_small, small * small + 1.0 / (small - 0.5))


def test_the_variants_have_their_own_cache_names():
    # numba names cache files after the qualified name and not the flags: one name for both
    # variants would let the serial one load the parallel one's machine code or overwrite it.
    names = {_squares.serial.py_func.__qualname__, _squares.parallel.py_func.__qualname__}
    assert names == {"_squares_serial", "_squares_parallel"}
