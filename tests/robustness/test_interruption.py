"""A fit interrupted by KeyboardInterrupt leaves no corrupted state, and can be resumed.

EM's next iterate depends only on the current model, so a fit resumed from the last
model it reached (kept by a ``callback``, or returned by a shorter fit) follows the
same iterates as one uninterrupted fit: with the CPU kernels and no regularisation the
final models are bit-identical.
"""
import jax
import numba
import numpy as np
import pytest

from normix import BatchEMFitter, NormalInverseGaussian
from robustness_helpers import model_bits, run_python

_SETUP = """
import numpy as np
from normix import NormalInverseGaussian
start = NormalInverseGaussian.from_classical(mu=np.zeros(2), gamma=np.array([0.5, -0.3]),
                                             sigma=np.array([[1.0, 0.3], [0.3, 0.8]]), mu_ig=1.0, lam=1.0)
X = start.rvs(6000, seed=7)
"""
_OPTIONS = dict(max_iter=200, tol=1e-9, e_step_backend="cpu", m_step_backend="cpu")

namespace = {}
exec(_SETUP, namespace)
START, X = namespace["start"], namespace["X"]


def _reference_bits_in_a_clean_process():
    program = _SETUP + f"""
from robustness_helpers import model_bits
print(" ".join(model_bits(start.fit(X, **{_OPTIONS!r}).model)))
"""
    return run_python(program, env={"PYTHONPATH": f"{__import__('robustness_helpers').REPO}:"
                                                  f"{__import__('pathlib').Path(__file__).parent}"}).split()


def test_keyboard_interrupt_inside_the_e_step_leaves_no_corrupted_state(monkeypatch):
    threads = numba.get_num_threads()
    original = NormalInverseGaussian.em_e_step.__func__
    calls = []

    def interrupted(cls, *args):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return original(cls, *args)

    monkeypatch.setattr(NormalInverseGaussian, "em_e_step", classmethod(interrupted))
    with pytest.raises(KeyboardInterrupt):
        START.fit(X, **_OPTIONS)
    monkeypatch.undo()
    assert len(calls) == 3
    assert numba.get_num_threads() == threads
    assert jax.config.jax_enable_x64
    fresh = START.fit(X, **_OPTIONS)
    assert fresh.converged
    assert model_bits(fresh.model) == _reference_bits_in_a_clean_process()


def test_resume_from_the_last_model_of_an_interrupted_fit():
    fitter = BatchEMFitter(**_OPTIONS)
    uninterrupted = fitter.fit(START, X)
    assert uninterrupted.converged and uninterrupted.n_iter > 6
    checkpoints = []

    def checkpoint(iteration, model, log_likelihood):
        checkpoints.append(model)  # e.g. model.save(path) every few iterations
        if iteration == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fitter.fit(START, X, callback=checkpoint)
    assert len(checkpoints) == 5
    resumed = fitter.fit(checkpoints[-1], X)
    assert resumed.converged
    assert resumed.n_iter == uninterrupted.n_iter - 5
    assert model_bits(resumed.model) == model_bits(uninterrupted.model)
    np.testing.assert_array_equal(resumed.log_likelihoods, uninterrupted.log_likelihoods[5:])


def test_resume_from_a_fit_stopped_by_its_iteration_budget():
    full = START.fit(X, **_OPTIONS)
    first = START.fit(X, **{**_OPTIONS, "max_iter": 4})
    assert not first.converged and first.n_iter == 4
    second = first.model.fit(X, **_OPTIONS)
    assert second.converged and first.n_iter + second.n_iter == full.n_iter
    assert model_bits(second.model) == model_bits(full.model)
