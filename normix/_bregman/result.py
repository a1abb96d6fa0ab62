"""The result record of a Bregman solve, its outcome code, and the objective it minimises."""
import dataclasses
import enum
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np


class BregmanStatus(enum.IntEnum):
    """How a Bregman solve ended, decided from the numbers of its final point.

    An ``IntEnum``: under ``jax.jit`` or ``jax.vmap`` the status travels as an integer
    array holding the member's value, and compares equal to the member
    (``result.status == BregmanStatus.CONVERGED`` works on eager, jitted and batched
    results alike); ``BregmanStatus(int(code))`` turns a concrete code back into a member.

    Attributes
    ----------
    CONVERGED
        ‖∇f(θ) − η‖∞ <= tol · max(1, ‖η‖∞) at the returned θ.
    MAX_STEPS
        The criterion is not met and the iteration budget is used up.
    STALLED
        The criterion is not met and the solver stopped before its budget (no step
        decreased the objective further: the rounding level of f, or a failed line search).
    NON_FINITE
        The criterion is not met and θ, the objective or the gradient is not finite.
    """

    CONVERGED = 0
    MAX_STEPS = 1
    STALLED = 2
    NON_FINITE = 3


def outcome(theta, fun, grad_norm, num_steps, target, max_steps, xp):
    """``(converged, status)`` of a solve from its final numbers; ``xp`` is ``numpy`` or ``jax.numpy``.

    converged = (‖∇f(θ) − η‖∞ <= target); the status is CONVERGED exactly when
    converged, else NON_FINITE, MAX_STEPS or STALLED, in that order of precedence
    (see :class:`BregmanStatus`).  With target = 0 only an exactly zero gradient
    residual counts as converged.
    """
    converged = grad_norm <= target
    finite = xp.all(xp.isfinite(theta)) & xp.isfinite(fun) & xp.isfinite(grad_norm)
    not_converged = xp.where(finite, xp.where(num_steps >= max_steps, BregmanStatus.MAX_STEPS.value,
                                              BregmanStatus.STALLED.value), BregmanStatus.NON_FINITE.value)
    return converged, xp.where(converged, BregmanStatus.CONVERGED.value, not_converged)


@dataclasses.dataclass(frozen=True)
class BregmanResult:
    """Result of minimising the Bregman objective f(θ) − θ·η.

    Scalar fields accept Python numbers and JAX arrays alike, and the class is a
    registered pytree (every field a leaf), so a result can be returned from
    ``jax.jit``, batched by ``jax.vmap`` or carried through ``lax.scan``.

    Attributes
    ----------
    theta : array
        The final iterate θ (numpy for ``backend='cpu'``, JAX for ``backend='jax'``).
    fun : scalar
        Objective f(θ) − θ·η at ``theta``.
    grad_norm : scalar
        ‖∇f(θ) − η‖∞ at ``theta``, evaluated after the solver stopped.
    num_steps : int
        Iterations taken by the solver.
    converged : bool
        Whether ``grad_norm <= tol * max(1, ‖η‖∞)``: the solver's own stopping flag
        is not trusted, the criterion is re-evaluated at the returned point.
    elapsed_time : float
        Wall-clock seconds of the solve (0.0 when it ran under a JAX transformation,
        where no meaningful time can be measured).
    status : BregmanStatus or None
        How the solve ended, set by :func:`outcome` together with ``converged``.  A
        :class:`BregmanStatus` member on results returned eagerly; under ``jax.jit``
        and ``jax.vmap`` an integer array of member values (a leaf like the others).
        ``None`` for a result built by hand without one (then it is no leaf).
    """

    theta: Any
    fun: Any
    grad_norm: Any
    num_steps: Any
    converged: Any
    elapsed_time: Any = 0.0
    status: Any = None

    @classmethod
    def from_final_point(cls, theta, fun, grad_norm, num_steps, target, max_steps, xp):
        """The result at a solver's final point; ``converged`` and ``status`` from :func:`outcome`."""
        converged, status = outcome(theta, fun, grad_norm, num_steps, target, max_steps, xp)
        return cls(theta, fun, grad_norm, num_steps, converged, status=status)

    def with_concrete_status(self):
        """This result with ``status`` as a :class:`BregmanStatus` member (for a concrete, unbatched result)."""
        return dataclasses.replace(self, status=BregmanStatus(int(np.asarray(self.status))))


jax.tree_util.register_dataclass(
    BregmanResult,
    data_fields=[f.name for f in dataclasses.fields(BregmanResult)],
    meta_fields=[],
)


def bregman_objective(theta, eta, f):
    """Bregman objective f(θ) − θ·η.

    For a convex f (the log-partition ψ of an exponential family) this is, up to a
    constant, the Bregman divergence between θ and the natural parameters of η; it is
    minimised exactly where ∇f(θ) = η (the convex conjugate identity).

    Parameters
    ----------
    theta : array, shape (k,)
    eta : array, shape (k,)
    f : callable
        Convex function θ → scalar.
    """
    return f(theta) - jnp.dot(theta, eta)
