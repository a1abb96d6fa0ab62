"""The result record of a Bregman solve and the objective it minimises."""
import dataclasses
from typing import Any

import jax
import jax.numpy as jnp


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
    """

    theta: Any
    fun: Any
    grad_norm: Any
    num_steps: Any
    converged: Any
    elapsed_time: Any = 0.0


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
