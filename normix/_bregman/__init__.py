"""Bregman solvers: find θ with ∇f(θ) = η by minimising f(θ) − θ·η.

Used by :meth:`normix.exponential_family.ExponentialFamily.from_expectation`
(η → θ for exponential families) and re-exported publicly by
:mod:`normix.fitting.solvers`.  scipy.optimize and jaxopt are imported only when
a solver that needs them runs.
"""
from .result import BregmanResult, BregmanStatus, bregman_objective
from .solve import METHODS, check_tolerance, solve_bregman, solve_bregman_multistart

__all__ = ["BregmanResult", "BregmanStatus", "METHODS", "bregman_objective", "check_tolerance", "solve_bregman",
           "solve_bregman_multistart"]
