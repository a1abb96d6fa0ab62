"""Fixed and symmetric parameters: EM with some parameters held at given values.

``fit(X, fixed={...}, symmetric=...)`` holds any of μ, γ and the subordinator's
parameters (named as in the family's ``from_classical``: GH ``p, a, b``; NIG
``mu_ig, lam``; VG and NInvG ``alpha, beta``); ``symmetric=True`` is ``fixed={'gamma': 0}``.
Σ is always estimated.  The fit is EM for the constrained maximum-likelihood problem:
the held values are set in the start and every M-step maximises the expected
complete-data log-likelihood over the free parameters only, so the observed-data
log-likelihood still rises at every iteration.

Constrained M-step of the normal part.  With the E-step statistics s2 = mean E[1/Y],
s3 = mean E[Y], s4 = mean x, s5 = mean x E[1/Y], S6 = mean x xᵀ E[1/Y], the normal part
of the expected complete-data log-likelihood is -½ log|Σ| - ½ tr(Σ⁻¹ M(μ, γ)) with

    M(μ, γ) = S6 - s5 μᵀ - μ s5ᵀ + s2 μ μᵀ - (s4 - μ) γᵀ - γ (s4 - μ)ᵀ + s3 γ γᵀ.

For any Σ its gradients are Σ⁻¹(s5 - s2 μ - γ) in μ and Σ⁻¹(s4 - μ - s3 γ) in γ, so

* γ held:  μ = (s5 - γ) / s2;
* μ held:  γ = (s4 - μ) / s3;
* both free: the usual closed form (``normal_m_step``); both held: neither moves;

and then Σ = M(μ, γ), the maximiser of -½ log|Σ| - ½ tr(Σ⁻¹ M) (M is quadratic in μ and
γ with positive curvature, M(μ + δ) = M(μ) + s2 δδᵀ for the γ-held case, so the profile
in Σ is maximised by the same μ, γ).

The subordinator's part depends only on (s1, s2, s3) and its parameters: the family's
``_subordinator_m_step_fixed`` maximises it over the free ones (closed forms for NIG and
for one held parameter of VG and NInvG; the restricted η -> θ problem of
:mod:`normix._em.reduced_solve` otherwise).

Regularisation.  ``'det_sigma_one'`` maps (μ, γ, Σ, Y) to (μ, γ/s, Σ/s, sY): it keeps μ,
γ = 0 and the subordinator parameters that do not depend on Y's scale (GH p, VG and NInvG
alpha), and is refused with any other held value (a held γ ≠ 0, a held a, b, mu_ig, lam or
beta): such a value already fixes the scale, so ``regularization='none'`` is the fit.

Counting.  The mixture law is unchanged by (γ/c, Σ/c, cY), which removes one parameter
of the free family.  When every held value is unchanged by it, the constrained family
keeps that redundancy and holds ``n_fixed`` fewer parameters; when some held value is
not (:attr:`ParameterConstraints.scale_pinned`), the hold only picks the scale and the
constrained family has ``n_fixed - 1`` fewer (for instance a single held GH ``a``: none).
"""
import dataclasses
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from normix._em.protocol import MixtureState
from normix._kernels import dispatch

NORMAL_NAMES = ("mu", "gamma")


@dataclasses.dataclass(frozen=True)
class ParameterConstraints:
    """The parameters a fit held, as recorded on ``EMResult.constraints`` and read by :mod:`normix.selection`.

    Attributes
    ----------
    fixed : tuple of (name, value)
        Held parameters in the order μ, γ, subordinator; a value is a float or (for μ and
        γ) a tuple of d floats.
    symmetric : bool
        Whether the fit was asked for γ = 0 by ``symmetric=True``.
    scale_pinned : bool
        Whether some held value changes under (γ/c, Σ/c, cY) (see the module docstring).
    """

    fixed: tuple
    symmetric: bool
    scale_pinned: bool

    @property
    def n_fixed(self):
        """Number of scalars held."""
        return sum(len(value) if isinstance(value, tuple) else 1 for _, value in self.fixed)

    @property
    def n_removed(self):
        """Free parameters the constraint removes from the family: ``n_fixed``, less 1 when ``scale_pinned``."""
        return self.n_fixed - int(self.scale_pinned)

    def as_dict(self):
        """The held values as a dict (arrays for μ and γ)."""
        return {name: np.asarray(value) if isinstance(value, tuple) else value for name, value in self.fixed}


def _normal_value(name, value, d):
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"fixed[{name!r}] must be a real vector of shape ({d},) or a scalar, got {value!r}") from None
    if array.shape not in ((), (d,)):
        raise ValueError(f"fixed[{name!r}] must have shape ({d},) (or be a scalar), got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"fixed[{name!r}] must be finite, got {value!r}")
    return tuple(float(v) for v in np.broadcast_to(array, (d,)))


def _subordinator_value(name, value):
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"fixed[{name!r}] must be a real number, got {value!r}")
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"fixed[{name!r}] must be a real number, got {value!r}") from None
    if array.shape != ():
        raise ValueError(f"fixed[{name!r}] must be a scalar, got shape {array.shape}")
    number = float(array)
    if not math.isfinite(number):
        raise ValueError(f"fixed[{name!r}] must be finite, got {value!r}")
    if name != "p" and not number > 0:
        raise ValueError(f"fixed[{name!r}] must be > 0 (every subordinator parameter but the GIG index p is), "
                         f"got {number!r}")
    return number


def validate_constraints(model, fixed, symmetric, regularization):
    """The :class:`ParameterConstraints` of a fit of ``model``, or ``None`` when nothing is held.

    Raises ``ValueError`` naming the argument: ``fixed`` not a mapping, an unknown name
    (Σ cannot be held), a value of the wrong shape, not finite or outside the family's
    domain (every subordinator parameter > 0 except GH's p; the starting model with the
    held values must be a valid model); ``symmetric`` not a bool or given with a held γ;
    a held value that ``regularization='det_sigma_one'`` would change.
    """
    if not isinstance(symmetric, (bool, np.bool_)):
        raise ValueError(f"symmetric must be True or False, got {symmetric!r}")
    if fixed is None:
        fixed = {}
    if not isinstance(fixed, Mapping):
        raise ValueError(f"fixed must be a mapping of parameter names to values (or None), got "
                         f"{type(fixed).__name__}")
    family = type(model)
    sub_names = family.em_subordinator_names()
    allowed = NORMAL_NAMES + sub_names
    unknown = [name for name in fixed if name not in allowed]
    if unknown:
        raise ValueError(f"fixed has unknown parameter name(s) {unknown} for {family.__name__}: the names are "
                         f"{list(allowed)} (Sigma is always estimated)")
    if symmetric and "gamma" in fixed:
        raise ValueError("symmetric=True fixes gamma = 0: do not also give fixed['gamma']")
    d = model.d
    values = {name: _normal_value(name, fixed[name], d) for name in NORMAL_NAMES if name in fixed}
    if symmetric:
        values["gamma"] = (0.0,) * d
    values.update({name: _subordinator_value(name, fixed[name]) for name in sub_names if name in fixed})
    if not values:
        return None
    state = _held_state(family.em_state(model, "cpu"), values, sub_names)
    try:
        family.em_model(state)
    except ValueError as error:
        raise ValueError(f"fixed={_shown(values)} does not give a valid {family.__name__} with the starting "
                         f"model: {error}") from None
    changed = _changed_by_rescaling(family, state, values, sub_names)
    if changed and regularization == "det_sigma_one":
        raise ValueError(f"fixed holds {changed}, which regularization='det_sigma_one' rescales (gamma -> gamma/s, "
                         "Y -> sY); the held value already fixes the scale: fit with regularization='none'")
    ordered = tuple((name, values[name]) for name in allowed if name in values)
    return ParameterConstraints(ordered, bool(symmetric), bool(changed))


def _shown(values):
    return {name: list(value) if isinstance(value, tuple) else value for name, value in values.items()}


def _held_state(state, values, sub_names):
    """``state`` (numpy) with the held values set."""
    subordinator = tuple(np.asarray(values.get(name, old), dtype=np.float64)
                         for name, old in zip(sub_names, state.subordinator))
    return MixtureState(np.asarray(values.get("mu", state.mu), dtype=np.float64),
                        np.asarray(values.get("gamma", state.gamma), dtype=np.float64), state.L_Sigma, subordinator)


def _changed_by_rescaling(family, state, values, sub_names):
    """Names of held values that (γ/c, Σ/c, cY) changes: a non-zero γ and scale-dependent subordinator parameters.

    The subordinator's are found by the family's own rescaling (``em_regularize`` of a
    state with Σ = 4 I, so c = 4).
    """
    d = state.mu.shape[0]
    probe = state._replace(L_Sigma=2.0 * np.eye(d))
    scaled = family.em_regularize(probe, "det_sigma_one", "cpu")
    changed = [name for name, old, new in zip(sub_names, probe.subordinator, scaled.subordinator)
               if name in values and not np.isclose(float(new), float(old), rtol=1e-12, atol=0.0)]
    if any(values.get("gamma", (0.0,))):
        changed.insert(0, "gamma")
    return changed


def normal_m_step_held(stats, mu, gamma, backend):
    """(μ, γ, L_Σ) maximising the normal part with μ and/or γ held (see the module docstring).

    ``mu`` and ``gamma`` are tuples of floats (held) or ``None`` (free); with both free this
    is the ``normal_m_step`` kernel.  L_Σ is all NaN when M(μ, γ) is not positive definite.
    """
    if mu is None and gamma is None:
        return dispatch.kernels(backend).normal_m_step(stats.s2, stats.s3, stats.s4, stats.s5, stats.S6)
    xp = dispatch.array_namespace(backend)
    s2, s3 = xp.asarray(stats.s2, dtype=xp.float64), xp.asarray(stats.s3, dtype=xp.float64)
    s4, s5, S6 = (xp.asarray(v, dtype=xp.float64) for v in (stats.s4, stats.s5, stats.S6))
    if gamma is not None:
        gamma = xp.asarray(gamma, dtype=xp.float64)
        mu = (s5 - gamma) / s2 if mu is None else xp.asarray(mu, dtype=xp.float64)
    else:
        mu = xp.asarray(mu, dtype=xp.float64)
        gamma = (s4 - mu) / s3
    r = s4 - mu
    M = (S6 - xp.outer(s5, mu) - xp.outer(mu, s5) + s2 * xp.outer(mu, mu) - xp.outer(r, gamma)
         - xp.outer(gamma, r) + s3 * xp.outer(gamma, gamma))
    return mu, gamma, _cholesky_or_nan(0.5 * (M + M.T), xp)


def _cholesky_or_nan(S, xp):
    """Lower Cholesky factor of S; all NaN where S is not positive definite (as ``normal_m_step``)."""
    if xp is np:
        try:
            L = np.linalg.cholesky(S)
        except np.linalg.LinAlgError:
            return np.full(S.shape, np.nan)
        return L if np.all(np.isfinite(L)) else np.full(S.shape, np.nan)
    L = xp.linalg.cholesky(S)
    return xp.where(xp.all(xp.isfinite(L)), L, xp.nan)


@dataclasses.dataclass(frozen=True)
class FixedParameters:
    """EM family adapter holding parameters fixed: constrained start and M-step, everything else forwarded.

    Frozen and hashable (the held values are tuples of floats), so that it is a static
    argument of the compiled loop.  ``family`` is what the placement picked (the mixture
    class, or a rows adapter for dask or sharded data), ``mixture`` the mixture class.
    """

    family: Any
    mixture: type
    mu: tuple | None
    gamma: tuple | None
    subordinator: tuple

    @classmethod
    def wrap(cls, family, mixture, constraints):
        """``family`` held to ``constraints`` (``family`` itself when ``constraints`` is ``None``)."""
        if constraints is None:
            return family
        values = dict(constraints.fixed)
        return cls(family, mixture, values.get("mu"), values.get("gamma"),
                   tuple(values.get(name) for name in mixture.em_subordinator_names()))

    @property
    def __name__(self):
        return self.family.__name__

    @property
    def em_free_subordinator(self):
        """The wrapped family's real-valued subordinator parameters (read by SQUAREM's extrapolation)."""
        return self.family.em_free_subordinator

    def held(self, state, backend):
        """``state`` with the held values set (arrays of ``backend``)."""
        xp = dispatch.array_namespace(backend)
        subordinator = tuple(old if value is None else xp.asarray(value, dtype=xp.float64)
                             for value, old in zip(self.subordinator, state.subordinator))
        mu = state.mu if self.mu is None else xp.asarray(self.mu, dtype=xp.float64)
        gamma = state.gamma if self.gamma is None else xp.asarray(self.gamma, dtype=xp.float64)
        return MixtureState(mu, gamma, state.L_Sigma, subordinator)

    def em_state(self, model, backend):
        """The state of ``model`` with the held values set (the constrained start)."""
        return self.held(self.family.em_state(model, backend), backend)

    def em_m_step(self, stats, state, backend, method):
        """Normal part by :func:`normal_m_step_held`, subordinator by ``em_subordinator_m_step``."""
        mu, gamma, L_Sigma = normal_m_step_held(stats, self.mu, self.gamma, backend)
        subordinator = self.mixture.em_subordinator_m_step(stats.s1, stats.s2, stats.s3, state.subordinator,
                                                           backend, method, fixed=self.subordinator)
        return MixtureState(mu, gamma, L_Sigma, tuple(subordinator))

    def em_validate_data(self, X, model):
        return self.family.em_validate_data(X, model)

    def em_model(self, state):
        return self.family.em_model(state)

    def em_e_step(self, X, state, backend):
        return self.family.em_e_step(X, state, backend)

    def em_e_step_many(self, X, index, states, backend):
        return self.family.em_e_step_many(X, index, states, backend)

    def em_regularize(self, state, regularization, backend):
        return self.family.em_regularize(state, regularization, backend)

    def em_unbounded_at_mu(self, state, d):
        return self.family.em_unbounded_at_mu(state, d)

    def em_nearest_row(self, X, state):
        return self.family.em_nearest_row(X, state)
