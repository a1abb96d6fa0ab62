"""E-step adapters: a mixture family whose E-step runs where the rows live.

EM touches the rows only in the E-step, which returns row averages of the sufficient
statistics, and in the end-of-fit degeneracy check, which needs the row nearest to μ.
An *adapter* wraps a mixture class: it computes those two things where the rows are
(several devices, dask chunks) and forwards every other protocol method to the wrapped
family.  The loops of :mod:`normix._em.loop` then run unchanged, so a distributed fit
performs the same iterations, with the same stopping rule, status and message, as the
in-memory fit.
"""
import dataclasses


@dataclasses.dataclass(frozen=True)
class AbstractRowsAdapter:
    """Abstract base of the adapters; ``family`` is the wrapped mixture class.

    Frozen and hashable, so that an instance can be a static argument of a compiled
    loop.  Subclasses implement ``em_e_step(X, state, backend)`` and
    ``em_nearest_row(X, state)`` for their placement of ``X``.
    """

    family: type

    @property
    def __name__(self):
        return self.family.__name__

    def em_e_step(self, X, state, backend):
        """(MixtureStatistics, mean log-likelihood) of all rows of ``X``, where they live."""
        raise NotImplementedError

    def em_nearest_row(self, X, state):
        """(index, Q) of the row of ``X`` nearest to μ in Mahalanobis distance squared, where the rows live."""
        raise NotImplementedError

    @property
    def em_free_subordinator(self):
        """The wrapped family's real-valued subordinator parameters."""
        return self.family.em_free_subordinator

    def em_state(self, model, backend):
        """The wrapped family's state of ``model``."""
        return self.family.em_state(model, backend)

    def em_m_step(self, stats, state, backend, method):
        """The wrapped family's M-step."""
        return self.family.em_m_step(stats, state, backend, method)

    def em_regularize(self, state, regularization, backend):
        """The wrapped family's regularisation."""
        return self.family.em_regularize(state, regularization, backend)

    def em_model(self, state):
        """The model of a state, of the wrapped family."""
        return self.family.em_model(state)

    def em_unbounded_at_mu(self, state, d):
        """The wrapped family's test of an infinite density at μ."""
        return self.family.em_unbounded_at_mu(state, d)
