"""Warnings for parameters near the boundary of their family, where Wald intervals fail.

The Wald interval estimate ∓ z σ̂ rests on a quadratic log-likelihood around an
interior maximum.  It is flagged (never dropped) when

* a positive parameter lies within :data:`BOUNDARY_Z` standard errors of 0 (GH's a
  near 0 is the NInvG limit, b near 0 the VG limit; any scale of a subordinator):
  its relative standard error exceeds 1/:data:`BOUNDARY_Z`, so the log-likelihood is
  also nearly flat in it (a limiting family fits almost as well);
* VG's α lies within :data:`BOUNDARY_Z` standard errors of d/2, or below it: at
  α <= d/2 the density is unbounded at μ and no maximum-likelihood estimate exists.
"""
import numpy as np

#: Distance to a boundary, in standard errors, below which a parameter is flagged.
BOUNDARY_Z = 2.0

_LIMITS = {("GH", "a"): "the NInvG limit (a = 0)", ("GH", "b"): "the VG limit (b = 0)"}


def boundary_warnings(family, d, estimates, standard_errors):
    """The warnings (list of str) for a family's subordinator parameters; empty when all are interior."""
    out = []
    for name, log in zip(family.subordinator, family.log_scale):
        value, se = float(estimates[name]), float(standard_errors[name])
        if family.name == "VG" and name == "alpha" and value <= 0.5 * d:
            out.append(f"alpha = {value:.4g} is at most d/2 = {0.5 * d:g}: the VG density is unbounded at mu and "
                       "no maximum-likelihood estimate exists")
            continue
        if not np.isfinite(se):
            continue
        if family.name == "VG" and name == "alpha" and value - 0.5 * d < BOUNDARY_Z * se:
            out.append(f"alpha = {value:.4g} is within {BOUNDARY_Z:g} standard errors ({se:.3g}) of d/2 = "
                       f"{0.5 * d:g}, where the VG density is unbounded at mu: the Wald interval is unreliable")
        if not log:
            continue
        where = _LIMITS.get((family.name, name), "0")
        if value < BOUNDARY_Z * se:
            out.append(f"{name} = {value:.4g} is within {BOUNDARY_Z:g} standard errors ({se:.3g}) of {where}, "
                       "the boundary of the parameter space (or the log-likelihood is nearly flat in it): the Wald "
                       "interval is unreliable")
    return out
