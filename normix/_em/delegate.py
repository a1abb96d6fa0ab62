"""A family whose E-step runs on distributed rows, and batch EM driven through it.

EM touches the rows only in the E-step, which returns row averages of the sufficient
statistics.  A *delegating family* wraps a mixture class: its ``em_e_step`` computes
those averages where the rows live (several devices, dask chunks) and its other
protocol methods are the wrapped family's.  The fitters' loops then run unchanged,
so a distributed fit performs the same iterations, with the same stopping rule and
messages, as the in-memory fit.
"""
import dataclasses
import time

from normix._em.batch import run_compiled_loop, run_python_loop
from normix._em.result import EMResult


@dataclasses.dataclass(frozen=True)
class DelegatingFamily:
    """Base of the families whose ``em_e_step`` runs elsewhere; ``family`` is the mixture class.

    Frozen and hashable, so that an instance can be a static argument of a compiled
    loop.  Subclasses implement ``em_e_step(X, state, backend)``.
    """

    family: type

    @property
    def __name__(self):
        return self.family.__name__

    def em_m_step(self, stats, state, backend, method):
        """The wrapped family's M-step."""
        return self.family.em_m_step(stats, state, backend, method)

    def em_regularize(self, state, regularization, backend):
        """The wrapped family's regularisation."""
        return self.family.em_regularize(state, regularization, backend)

    def em_model(self, state):
        """The model of a state, of the wrapped family."""
        return self.family.em_model(state)


def run_batch(fitter, family, model, X, *, compiled, callback=None):
    """Batch EM of ``fitter`` from ``model`` with the delegating ``family``; returns an :class:`EMResult`.

    ``compiled`` selects the ``lax.while_loop`` (all of the E-step traceable on JAX)
    or the Python loop; both are those of :mod:`normix._em.batch`.  ``callback`` is that
    of ``BatchEMFitter.fit`` (it implies the Python loop).
    """
    start = time.perf_counter()
    cls = type(model)
    state = cls.em_regularize(cls.em_state(model, "cpu"), fitter.regularization, "cpu")
    options = dict(max_iter=fitter.max_iter, tol=fitter.tol, regularization=fitter.regularization,
                   method=fitter.m_step_method)
    if compiled and callback is None:
        outcome = run_compiled_loop(family, state, X, **options)
    else:
        outcome = run_python_loop(family, state, X, verbose=fitter.verbose, e_backend=fitter.e_step_backend,
                                  m_backend=fitter.m_step_backend, callback=callback, **options)
    state, lls, changes, converged, message = outcome
    result = EMResult(model=family.em_model(state), log_likelihoods=lls, param_changes=changes,
                      n_iter=len(changes), converged=converged, elapsed_time=time.perf_counter() - start,
                      message=message)
    if fitter.verbose >= 1:
        last = f", mean log-lik {lls[-1]:.6f}" if len(lls) else ""
        print(f"{family.__name__} EM: {message}{last}, {result.elapsed_time:.3f} s")
    return result
