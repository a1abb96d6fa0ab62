"""The outcome of an EM fit, reported as data."""
from dataclasses import dataclass
from typing import Any


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
        True only if the tolerance was met within the iteration budget.
    elapsed_time : float
        Wall time of the fit in seconds.
    message : str
        How the fit ended, in words (converged, iteration budget exhausted, or the
        iteration at which the iterate stopped being finite).
    """

    model: Any
    log_likelihoods: Any
    param_changes: Any
    n_iter: int
    converged: bool
    elapsed_time: float
    message: str = ""
