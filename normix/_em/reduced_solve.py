"""Maximum likelihood of an exponential family with some natural parameters held fixed.

For a family with log-partition ψ(θ) and averaged sufficient statistics η, the expected
complete-data log-likelihood of the subordinator is ℓ(θ) = θ·η - ψ(θ) (up to a constant),
concave in θ.  Holding the coordinates θ_F at given values leaves the problem

    max over θ_R of  θ_R·η_R - ψ_R(θ_R),      ψ_R(θ_R) = ψ(θ_R, θ_F),

(the term θ_F·η_F is a constant), which is again the η -> θ problem of a convex
log-partition: ψ_R's gradient and Hessian are the R-rows of ψ's.  It is solved by
:func:`normix._bregman.solve_bregman` on either backend, so that the constrained M-step
traces inside the compiled EM loop.

The restricted functions are frozen, hashable callables holding the fixed values as
floats: the compiled solver is cached on them, and equal constraints reuse one program.
"""
import dataclasses
from typing import Callable

import numpy as np

from normix._bregman import solve_bregman
from normix._kernels import dispatch


@dataclasses.dataclass(frozen=True)
class Restricted:
    """ψ (``order`` 0), its gradient (1) or its Hessian (2) restricted to the free coordinates.

    ``fixed_theta`` is the full-length tuple of θ: a float at a fixed coordinate, ``None``
    at a free one; the call takes the free coordinates in order.
    """

    function: Callable
    order: int
    fixed_theta: tuple
    backend: str

    @property
    def free(self):
        return tuple(i for i, value in enumerate(self.fixed_theta) if value is None)

    def embed(self, theta_free):
        """The full θ of the free coordinates ``theta_free``."""
        xp = dispatch.array_namespace(self.backend)
        parts, j = [], 0
        for value in self.fixed_theta:
            if value is None:
                parts.append(theta_free[j])
                j += 1
            else:
                parts.append(xp.asarray(value, dtype=xp.float64))
        return xp.stack(parts)

    def __call__(self, theta_free):
        out = self.function(self.embed(theta_free))
        index = np.asarray(self.free)
        if self.order == 0:
            return out
        if self.order == 1:
            return out[index]
        return out[index[:, None], index[None, :]]


def solve_fixed_coordinates(triad, eta, theta0, fixed_theta, bounds, *, backend, method, max_steps, tol):
    """The full θ maximising θ·η - ψ(θ) with the coordinates given in ``fixed_theta`` held fixed.

    Parameters
    ----------
    triad : (ψ, ∇ψ, ∇²ψ)
        Functions of θ on ``backend`` (``ExponentialFamily.log_partition_triad``).
    eta : sequence of scalars
        The averaged sufficient statistics (all coordinates; the fixed ones are unused).
    theta0 : sequence of scalars
        Warm start (all coordinates), strictly inside ``bounds`` at the free ones.
    fixed_theta : tuple
        Float at a fixed coordinate, ``None`` at a free one (at least one free).
    bounds : list of (lo, hi)
        The family's open box of θ (``None``: unbounded side).
    backend, method, max_steps, tol
        As in :func:`normix._bregman.solve_bregman`.

    Returns
    -------
    tuple of scalars
        Every coordinate of θ (the fixed ones as given).  The damped Newton and the
        quasi-Newton solvers never increase the objective from the warm start, so an
        unconverged solve is still an ascent step of the M-step (generalised EM).
    """
    xp = dispatch.array_namespace(backend)
    functions = tuple(Restricted(f, order, fixed_theta, backend) for order, f in enumerate(triad))
    free = functions[0].free
    result = solve_bregman(functions[0], xp.stack([xp.asarray(eta[i], dtype=xp.float64) for i in free]),
                           xp.stack([xp.asarray(theta0[i], dtype=xp.float64) for i in free]),
                           backend=backend, method=method, bounds=[bounds[i] for i in free], max_steps=max_steps,
                           tol=tol, grad_fn=functions[1], hess_fn=functions[2])
    full = functions[0].embed(result.theta)
    return tuple(full[i] for i in range(len(fixed_theta)))

