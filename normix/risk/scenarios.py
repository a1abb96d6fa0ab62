"""Stress scenarios: the risk of a portfolio given shocked values of some of the assets.

Given X_A = x_A for the shocked columns A, the other columns X_B follow the conditional
law of :func:`normix.mixtures.conditional.condition`, a Generalized Hyperbolic law
X_B | x_A = μ' + γ'Y + √Y L' Z with Y ~ GIG(p', a', b') (p' = p - d_A/2, a' = a +
γ_AᵀΣ_AA⁻¹γ_A, b' = b + (x_A - μ_A)ᵀΣ_AA⁻¹(x_A - μ_A)).  The portfolio w holds all d
assets: its loss given the scenario is

    L = -w_Aᵀx_A - w_BᵀX_B = m + g Y + s √Y Z,
    m = -w_Aᵀx_A - w_Bᵀμ',  g = -w_Bᵀγ',  s = ‖L'ᵀw_B‖,

the shocked positions contributing their known value.  Its conditional mean is
m + g E[Y | x_A] (E[Y | x_A] the mean of GIG(p', a', b'), +inf for a' = 0 and p' >= -1,
then the mean is ±inf unless g = 0), and its VaR and ES those of
:mod:`normix.risk.measures` under this law.  A portfolio that holds only shocked assets
(w_B = 0) has the deterministic loss m: mean, VaR and ES all equal m.

Columns are given by index (models carry no column names).
"""
from dataclasses import dataclass

import numpy as np

from normix._kernels import dispatch
from normix._validation import as_real_array, is_traced
from normix.mixtures.affine import check_columns
from normix.mixtures.conditional import condition
from normix.risk.tail import log_normalizer_parts
from normix.risk.checks import check_flag, check_levels, check_model, check_portfolios
from normix.risk.measures import law_measures


@dataclass(frozen=True)
class StressResult:
    """The conditional risk of each portfolio in each scenario.

    Attributes
    ----------
    columns : tuple of int
        The shocked columns A, in the order of ``scenarios``' columns.
    scenarios : array
        The shocked values x_A, one row per scenario, shape (S, d_A).
    mean : array
        E[L | x_A] (or E[R | x_A] = -E[L | x_A] with ``returns=True``), shape (S, K).
    value_at_risk, expected_shortfall : array
        Conditional VaR and ES, shape (S, K, n).
    returns : bool
        Whether the numbers describe the return R = wᵀX (True) or the loss L = -R.

    The S axis is dropped when every shock is a scalar, K for 1-d ``weights`` and n for
    a scalar ``level``.
    """

    columns: tuple
    scenarios: object
    mean: object
    value_at_risk: object
    expected_shortfall: object
    returns: bool


def check_shocks(shocks, d, name="shocks"):
    """``(columns, values (S, d_A), one_scenario)`` from a dict {column index: scalar or 1-d array of S values}."""
    if not isinstance(shocks, dict) or not shocks:
        raise ValueError(f"{name} must be a non-empty dict {{column index: value}}, got {shocks!r}")
    columns = check_columns(list(shocks), d, name=f"{name} keys")
    if len(columns) == d:
        raise ValueError(f"{name} must leave at least one of the d = {d} columns unshocked")
    values = [shocks[key] if is_traced(shocks[key]) else as_real_array(shocks[key], f"{name}[{key!r}]")
              for key in shocks]
    if any(np.ndim(v) > 1 for v in values):
        raise ValueError(f"{name} values must be scalars or 1-d arrays (one value per scenario)")
    lengths = {np.size(v) for v in values if np.ndim(v) == 1}
    if len(lengths) > 1 or 0 in lengths:
        raise ValueError(f"{name} values must be scalars or 1-d arrays of one common, non-zero length, "
                         f"got lengths {sorted(lengths)}")
    n = lengths.pop() if lengths else 1
    xp = dispatch.array_namespace("jax" if any(is_traced(v) for v in values) else "cpu")
    stacked = xp.stack([xp.broadcast_to(xp.asarray(v, dtype=xp.float64).reshape(-1), (n,)) for v in values], axis=1)
    return columns, stacked, all(np.ndim(v) == 0 for v in values)


def stress(model, shocks, weights, level, returns=False, backend="cpu"):
    """Conditional mean, VaR and ES of portfolios given shocked values of some columns (module docstring).

    Parameters
    ----------
    model : NormalMixture
        An unbatched fitted mixture of dimension d >= 2.
    shocks : dict
        ``{column index: value}``; a value is a scalar or a 1-d array of S values (one
        per scenario; arrays of one common length, scalars are repeated).
    weights : array, shape (d,) or (K, d)
        Positions in all d assets; the shocked ones contribute their shocked value.
    level : float or array, shape (n,)
        Confidence levels in (0, 1).
    returns : bool
        If True, report the return side (signs flipped, as in :mod:`normix.risk.measures`).
    backend : {'cpu', 'jax'}

    Returns
    -------
    StressResult

    Raises
    ------
    ValueError
        Bad ``model``, ``weights``, ``level`` (see :func:`normix.risk.value_at_risk`);
        ``shocks`` not a non-empty dict of valid, distinct column indices leaving a
        column unshocked, or with values of mismatched lengths or non-finite; or a
        conditional law that does not exist (:func:`normix.mixtures.conditional.condition`).
    """
    dispatch.validate_backend(backend)
    xp = dispatch.array_namespace(backend)
    model = check_model(model)
    d = model.joint.d
    columns, values, one_scenario = check_shocks(shocks, d)
    W = check_portfolios(weights, d)
    levels = check_levels(level)
    sign = -1.0 if check_flag(returns, "returns") else 1.0
    law = condition(model, columns, values).joint
    rest = np.asarray([i for i in range(d) if i not in columns])
    mu, gamma, L_Sigma, values, W = dispatch.to_backend((law.mu, law.gamma, law.L_Sigma, values, W), backend)
    p, a, b = dispatch.to_backend(law.gig_params(), backend)
    W_a, W_b = W[:, np.asarray(columns)], W[:, rest]
    m = 0.0 - (values @ W_a.T + mu @ W_b.T)                         # (S, K)
    g = -(gamma @ W_b.T)
    s = xp.sqrt(xp.sum((W_b @ L_Sigma) ** 2, axis=-1))               # (S, K)
    held = s > 0.0
    s_safe = xp.where(held, s, 1.0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        scaled = log_normalizer_parts(xp.stack([p + 1.0, p]), xp.stack([a, a]), xp.stack([b, b]), backend)[0]
        mean_y = xp.exp(scaled[0] - scaled[1])[:, None]
        mean = m + xp.where(g == 0.0, 0.0, g * xp.where(g == 0.0, 1.0, mean_y))
        shape = m.shape
        repeat = (lambda x: xp.broadcast_to(x[:, None], shape).reshape(-1))
        var, es = law_measures(m.reshape(-1), g.reshape(-1), s_safe.reshape(-1), repeat(p), repeat(a), repeat(b),
                               levels, backend)
    var = xp.where(held[..., None], var.reshape(shape + (-1,)), m[..., None])
    es = xp.where(held[..., None], es.reshape(shape + (-1,)), m[..., None])
    keep = (0 if one_scenario else slice(None), 0 if np.ndim(weights) == 1 else slice(None))
    levels_kept = keep + (0 if np.ndim(level) == 0 else slice(None),)
    mean, var, es = sign * mean[keep], sign * var[levels_kept], sign * es[levels_kept]
    return StressResult(columns=columns, scenarios=values, mean=mean, value_at_risk=var, expected_shortfall=es,
                        returns=sign < 0)
