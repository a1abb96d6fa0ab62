"""Standard errors of fitted parameters: observed information, Louis's formula, sandwich.

For a model fitted by maximum likelihood to the rows of X, the free parameters θ
(:mod:`normix.inference.parametrization`, gauge det Σ = 1) are asymptotically normal
with covariance

    observed, louis:  I(θ̂)⁻¹,               I = -∇²ℓ (the observed information)
    sandwich:         I⁻¹ (Σᵢ sᵢ sᵢᵀ) I⁻¹    (Huber 1967; White 1982),

sᵢ the per-row scores.  ``'observed'`` computes I by automatic differentiation of the
log-density kernel, ``'louis'`` by Louis's formula from the E-step
(:mod:`normix.inference.information`); both give the same matrix, Louis's in a
fraction of the time (the autodiff Hessian compiles for minutes).  The sandwich stays
valid when the family is misspecified.  The classical parameters of the family's
``from_classical`` are functions of θ and get their covariance by the delta method,
Cov = J Cov_θ Jᵀ with J = ∂(classical)/∂θ by ``jax.jacfwd``.

Only the gauge-free quantities (μ, GH's p, VG's and NInvG's α, and every derived
quantity of the law: mean, covariance, VaR, ES) mean the same in every gauge; the
standard errors of γ, Σ and the subordinator's scale parameters are those of the
det Σ = 1 representative, which is what ``estimates`` reports.

References
----------
P. J. Huber (1967), "The behavior of maximum likelihood estimates under nonstandard
conditions", Proc. Fifth Berkeley Symp. 1:221-233.
H. White (1982), "Maximum likelihood estimation of misspecified models",
Econometrica 50:1-25.
"""
import jax
import jax.numpy as jnp
import numpy as np
import scipy.stats

from normix.inference.boundary import boundary_warnings
from normix.inference.delta import delta_method, portfolio_risk
from normix.inference.information import autodiff_information, louis_information, row_scores
from normix.inference.parametrization import (build, classical, family_of, gauge_fixed, is_mixture,
                                              parameter_shapes)

KINDS = ("louis", "observed", "sandwich")

#: A Newton step from the estimate longer than this many standard errors flags the fit.
NEWTON_STEP_TOLERANCE = 0.1


def _rows(model, X):
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != model.d or X.shape[0] < 2:
        raise ValueError(f"X must have shape (n, {model.d}) with n >= 2, got shape {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError("X must be finite (it holds NaN or inf)")
    return X


def _flat_classical(family, d, theta):
    return jnp.concatenate([jnp.ravel(v) for v in classical(family, d, theta).values()])


def _split(flat, shapes):
    out, start = {}, 0
    for name, shape in shapes.items():
        size = int(np.prod(shape, dtype=int))
        out[name] = np.asarray(flat[start:start + size]).reshape(shape)
        start += size
    return out


def free_names(family, d):
    """Labels of the entries of θ (for the free covariance matrix)."""
    names = [f"mu[{i}]" for i in range(d)]
    rows, cols = np.tril_indices(d, -1)
    if not is_mixture(family):
        return names + [f"L[{i},{j}]" for i, j in zip(rows, cols)] + [f"log L[{i},{i}]" for i in range(d)]
    names += [f"gamma[{i}]" for i in range(d)] + [f"L[{i},{j}]" for i, j in zip(rows, cols)]
    names += [f"log L[{i},{i}]" for i in range(d - 1)]
    return names + [f"log {n}" if log else n for n, log in zip(family.subordinator, family.log_scale)]


def _covariance(information, scores, kind, warnings):
    """Cov θ̂ from the information (and the scores for the sandwich); NaN with a warning if I is not PD."""
    eigenvalues = np.linalg.eigvalsh(information)
    if not np.all(np.isfinite(information)) or eigenvalues[0] <= 1e-10 * max(eigenvalues[-1], 0.0):
        warnings.append(f"the observed information is not positive definite (smallest eigenvalue "
                        f"{eigenvalues[0]:.3g}): the log-likelihood's Hessian is not negative definite, so the "
                        "fit is not at a strict maximum or a parameter is not identified; standard errors are NaN")
        return np.full_like(information, np.nan)
    inverse = np.linalg.inv(information)
    inverse = 0.5 * (inverse + inverse.T)
    if kind != "sandwich":
        return inverse
    meat = scores.T @ scores
    return inverse @ meat @ inverse


class StandardErrors:
    """Standard errors of a fitted model's parameters (returned by :func:`standard_errors`).

    Attributes
    ----------
    model : the fitted law in the gauge det Σ = 1 (the same law as the input model)
    kind : {'louis', 'observed', 'sandwich'}
    n : int, rows of the data
    theta : array (k,), the free parameters; ``free_names`` labels them
    covariance : array (k, k), the estimated covariance of θ̂
    information : array (k, k), the observed information -∇²ℓ(θ̂)
    estimates, standard_errors : dict
        Parameter name of ``from_classical`` → array of its shape.
    classical_covariance : array
        Covariance of the classical parameters, flattened in ``from_classical`` order.
    warnings : list of str
        Boundary parameters, a non-definite information, a score that is not zero.
    """

    def __init__(self, model, kind, n, theta, information, covariance, warnings):
        family = family_of(model)
        d = model.d
        self.model, self.kind, self.n = model, kind, n
        self.family = family.name
        self.theta = np.asarray(theta)
        self.free_names = free_names(family, d)
        self.information, self.covariance = information, covariance
        shapes = parameter_shapes(family, d)
        flat = np.asarray(_flat_classical(family, d, self.theta))
        jac = np.asarray(jax.jacfwd(_flat_classical, argnums=2)(family, d, jnp.asarray(self.theta)))
        self.classical_covariance = jac @ covariance @ jac.T
        self.estimates = _split(flat, shapes)
        self.standard_errors = _split(np.sqrt(np.diag(self.classical_covariance)), shapes)
        self.warnings = list(warnings) + boundary_warnings(family, d, self.estimates, self.standard_errors)

    def intervals(self, level=0.95):
        """Wald intervals estimate ∓ z σ̂, z = Φ⁻¹((1 + level)/2): name → (lower, upper) arrays."""
        if not 0.0 < level < 1.0:
            raise ValueError(f"level must be in (0, 1), got {level!r}")
        z = scipy.stats.norm.ppf(0.5 + 0.5 * level)
        return {name: (value - z * self.standard_errors[name], value + z * self.standard_errors[name])
                for name, value in self.estimates.items()}

    def rows(self, level=0.95):
        """(label, estimate, standard error, lower, upper) per scalar parameter (Σ: lower triangle)."""
        out = []
        bounds = self.intervals(level)
        for name, value in self.estimates.items():
            se, (lower, upper) = self.standard_errors[name], bounds[name]
            if value.ndim == 0:
                index = [()]
            elif value.ndim == 1:
                index = [(i,) for i in range(value.shape[0])]
            else:
                index = [(i, j) for i in range(value.shape[0]) for j in range(i + 1)]
            for ix in index:
                label = name + (f"[{','.join(map(str, ix))}]" if ix else "")
                out.append((label, float(value[ix]), float(se[ix]), float(lower[ix]), float(upper[ix])))
        return out

    def to_dict(self, level=0.95):
        """JSON-ready summary: the table rows, kind, gauge and warnings."""
        return {"family": self.family, "kind": self.kind, "n": self.n, "gauge": "|Sigma| = 1", "level": level,
                "parameters": [dict(zip(("name", "estimate", "standard_error", "lower", "upper"), row))
                               for row in self.rows(level)],
                "warnings": list(self.warnings)}

    def __str__(self):
        head = f"{self.family} standard errors ({self.kind}, n = {self.n}"
        head += ", gauge |Sigma| = 1)" if self.family != "Normal" else ")"
        lines = [head, f"  {'parameter':<14}{'estimate':>13}{'std. error':>13}{'95% lower':>13}{'95% upper':>13}"]
        for label, value, se, lower, upper in self.rows(0.95):
            lines.append(f"  {label:<14}{value:>13.6g}{se:>13.4g}{lower:>13.6g}{upper:>13.6g}")
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)

    __repr__ = __str__

    # ----------------------------------------------------- derived quantities
    def delta(self, function):
        """Delta-method estimate of ``function(model)`` (see :func:`normix.inference.delta_method`)."""
        return delta_method(self, function)

    def mean(self):
        """E[X] with its standard errors."""
        return delta_method(self, lambda m: m.mean())

    def cov(self):
        """Cov[X] with its standard errors."""
        return delta_method(self, lambda m: m.cov())

    def value_at_risk(self, weights, level):
        """VaR of the loss -wᵀX at ``level`` (:func:`normix.risk.value_at_risk`) with its standard error."""
        return portfolio_risk(self, weights, level, "var")

    def expected_shortfall(self, weights, level):
        """ES of the loss -wᵀX at ``level`` (:func:`normix.risk.expected_shortfall`) with its standard error."""
        return portfolio_risk(self, weights, level, "es")


def standard_errors(model, X, kind="louis"):
    """Standard errors of ``model``'s parameters fitted to the rows of ``X``.

    Parameters
    ----------
    model : GeneralizedHyperbolic, NormalInverseGaussian, VarianceGamma, NormalInverseGamma or MultivariateNormal
        The maximum-likelihood fit to ``X`` (e.g. ``model.fit(X).model``).
    X : array, shape (n, d)
        The data it was fitted to.
    kind : {'louis', 'observed', 'sandwich'}
        ``'louis'`` (default) and ``'observed'``: the inverse observed information,
        by Louis's formula or by ``jax.hessian`` of the log-density (same matrix; the
        latter compiles for minutes the first time); ``'sandwich'``: I⁻¹ B I⁻¹ with
        B = Σ sᵢsᵢᵀ, robust to misspecification.

    Returns
    -------
    StandardErrors
        Estimates, standard errors, Wald intervals and warnings (module docstring).

    Raises
    ------
    ValueError
        If ``kind`` is unknown or ``X`` is not a finite (n, d) array with n >= 2.
    TypeError
        If ``model`` is not one of the supported classes.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    family = family_of(model)
    X = _rows(model, X)
    d = model.d
    theta = gauge_fixed(model)
    model = build(model, jnp.asarray(theta))
    if kind == "observed":
        information = autodiff_information(theta, X, family, d)
    else:
        information = louis_information(theta, X, family, d)
    scores = row_scores(theta, X, family, d)
    warnings = []
    covariance = _covariance(information, scores, kind, warnings)
    se = np.sqrt(np.diag(covariance))
    if np.all(np.isfinite(se)):
        step = np.linalg.solve(information, scores.sum(axis=0)) / se
        worst = int(np.argmax(np.abs(step)))
        if abs(step[worst]) > NEWTON_STEP_TOLERANCE:
            warnings.append(f"the score is not zero: a Newton step from the estimate moves "
                            f"{free_names(family, d)[worst]} by {abs(step[worst]):.2g} standard errors; the fit has "
                            "not reached the maximum (refit with a smaller tol)")
    return StandardErrors(model, kind, X.shape[0], theta, information, covariance, warnings)


def from_em_result(result, X, kind="louis"):
    """:func:`standard_errors` of an ``EMResult``'s model, warning if the fit did not converge."""
    out = standard_errors(result.model, X, kind)
    if not result.converged:
        out.warnings.insert(0, f"the EM fit did not converge ({result.status.value}): {result.message}")
    return out
