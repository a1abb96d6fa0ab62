"""Bregman divergence solvers: minimise f(θ) − θ·η over θ, so that ∇f(θ*) = η.

Public facade of :mod:`normix._bregman`:

* :func:`solve_bregman`: one starting point;
* :func:`solve_bregman_multistart`: several starting points, best result kept
  (``jax.vmap`` for ``backend='jax', method='newton'``, a loop otherwise);
* :func:`bregman_objective`: f(θ) − θ·η;
* :class:`BregmanResult`: θ, objective, gradient norm, steps, an honest
  ``converged`` flag, the elapsed time and a :class:`BregmanStatus` code.
"""
from normix._bregman import BregmanResult, BregmanStatus, bregman_objective, solve_bregman, solve_bregman_multistart

__all__ = ["BregmanResult", "BregmanStatus", "bregman_objective", "solve_bregman", "solve_bregman_multistart"]
