"""The outcome of an EM fit, reported as data: a status code beside the words."""
import enum
from dataclasses import dataclass
from typing import Any


class EMStatus(enum.Enum):
    """How an EM fit ended.

    Exactly one status holds for every fit, and ``EMResult.converged`` is true exactly
    when the status is :attr:`CONVERGED`.
    """

    #: The tolerance was met (for the stochastic fitters: one batch-EM step from the
    #: returned model changes it by less than ``tol``).
    CONVERGED = "converged"
    #: The iteration (or update, or epoch) budget ran out before the tolerance was met.
    MAX_ITER = "max_iter"
    #: A stochastic fitter stopped early (two epoch ends closer than ``tol``) but one
    #: batch-EM step from the returned model still changes it by ``tol`` or more.
    NOT_CERTIFIED = "not_certified"
    #: An iterate (or its log-likelihood) stopped being finite; the last finite model
    #: is returned.
    NON_FINITE = "non_finite"
    #: The fit ended where the likelihood is unbounded (mu on a data row with a
    #: Gamma-type subordinator of shape p <= d/2): no maximum-likelihood estimate exists.
    DEGENERATE = "degenerate"
    #: The ``callback`` asked the fit to stop before the tolerance was met.
    INTERRUPTED = "interrupted"


class EMNotConvergedError(RuntimeError):
    """Raised by :meth:`EMResult.raise_for_status` for a fit that did not converge; ``result`` is the fit."""

    def __init__(self, result):
        super().__init__(f"EM did not converge ({result.status.value}): {result.message}")
        self.result = result


_STANDARD_ERRORS = []


def register_standard_errors(function):
    """Record ``function(result, X, kind)`` behind :meth:`EMResult.standard_errors` (the last one wins).

    The inference layer sits above this one, so it is found at run time: the package
    initialiser ``normix/__init__.py`` registers it (dependency inversion, as
    :mod:`normix.mixtures.general_law` does for GH).
    """
    _STANDARD_ERRORS.append(function)


@dataclass(frozen=True)
class EMResult:
    """Result of an EM fit.

    Attributes
    ----------
    model : NormalMixture
        The fitted model: the last iterate, or the last finite one if the fit diverged.
    log_likelihoods : array or None
        Mean log-likelihood of the data under the iterate *entering* each iteration
        (the fused E-step computes it at no extra cost), one value per iteration.
    param_changes : array
        Relative change of the normal parameters (mu, gamma, L_Sigma) made by each
        iteration; the fit converges when it drops below ``tol``.
    n_iter : int
        Number of EM iterations performed.
    converged : bool
        True only if the tolerance was met within the iteration budget (the status is
        :attr:`EMStatus.CONVERGED`).
    elapsed_time : float
        Wall time of the fit in seconds.
    message : str
        How the fit ended, in words.
    status : EMStatus
        How the fit ended, as a code (:class:`EMStatus`).  When a result is built by
        hand without one, it is :attr:`EMStatus.CONVERGED` if ``converged`` and
        :attr:`EMStatus.MAX_ITER` otherwise.
    constraints : ParameterConstraints or None
        What a fit with ``fixed=`` or ``symmetric=True`` held (see
        :mod:`normix._em.fixed`); ``None`` for a free fit.  :mod:`normix.selection`
        counts the free parameters of a result with it.
    """

    model: Any
    log_likelihoods: Any
    param_changes: Any
    n_iter: int
    converged: bool
    elapsed_time: float
    message: str = ""
    status: EMStatus = None
    constraints: Any = None

    def __post_init__(self):
        if self.status is None:
            object.__setattr__(self, "status", EMStatus.CONVERGED if self.converged else EMStatus.MAX_ITER)
        if not isinstance(self.status, EMStatus):
            raise TypeError(f"status must be an EMStatus, got {self.status!r}")
        if bool(self.converged) != (self.status is EMStatus.CONVERGED):
            raise ValueError(f"converged={self.converged!r} contradicts status={self.status}")

    def raise_for_status(self):
        """Return this result if the fit converged; raise :class:`EMNotConvergedError` otherwise."""
        if self.status is not EMStatus.CONVERGED:
            raise EMNotConvergedError(self)
        return self

    def standard_errors(self, X, kind="louis"):
        """Standard errors of the fitted model's parameters (:func:`normix.inference.standard_errors`).

        A fit that did not converge is flagged first in the result's ``warnings``.
        """
        if not _STANDARD_ERRORS:
            raise RuntimeError("no standard-error function is registered: import normix first")
        return _STANDARD_ERRORS[-1](self, X, kind)
