"""Value at risk, expected shortfall and their Euler contributions for portfolios of a fitted mixture.

Sign convention: losses are positive, L = -wᵀX (ghyp's ``distr = "loss"``).  At level α,

    VaR_α = F_L⁻¹(α),   ES_α = E[L | L >= VaR_α] = VaR_α + E[(L - VaR_α)⁺] / (1 - α).

VaR is the ``univariate_isf`` kernel at 1 - α (exact for α near 1, down to 1 - α =
1e-300); ES comes from the closed forms of :mod:`normix.risk.tail` (the survival function
under the subordinator and its size-biased version, and one GIG normaliser), with no
quadrature or Monte Carlo of its own.  The form v + E[(L - v)⁺]/(1 - α) is stationary in
v at the VaR (its v-derivative is 1 - P(L > v)/(1 - α)), so the quantile's rounding
does not reach ES at first order.

With ``returns=True`` the same numbers describe the lower tail of the portfolio return
R = wᵀX: VaR_ret = F_R⁻¹(1 - α) = -VaR_α and ES_ret = E[R | R <= VaR_ret] = -ES_α.

Euler contributions.  VaR and ES are positively homogeneous of degree 1 in w, so
Σᵢ wᵢ ∂ρ/∂wᵢ = ρ (Euler's theorem), with the exact gradients (Tasche 1999)

    ∂VaR/∂w = -E[X | L = VaR],
    ∂ES/∂w = -E[X 1{L > v}]/(1 - α) - (1 - P(L > v)/(1 - α)) E[X | L = v],  v = VaR,

(the second term, the v-derivative above times ∂v/∂w, vanishes at the exact VaR and
makes the contributions of the computed ES add up to it to rounding), both in closed
form (:mod:`normix.risk.tail`).

Shapes: ``weights`` (d,) or (K, d), ``level`` a scalar or (n,); VaR and ES have shape
(K, n), with the K axis dropped for a 1-d ``weights`` and the n axis for a scalar
``level``; contributions have that shape followed by d.

Backends: ``'cpu'`` runs the numba kernels on concrete arrays and returns numpy arrays;
``'jax'`` the JAX twins, jit-able and differentiable in the weights, the level and the
model's parameters (the quantile through the implicit-function theorem), returning JAX
arrays.

Infinite ES: where E[L⁺] = ∞, which happens only for an InverseGamma subordinator (a = 0)
with p >= -1 and g = -wᵀγ > 0, or p >= -½ and g = 0 (see :mod:`normix.risk.tail`), ES is
+inf; :func:`risk_contributions` of ES raises ``ValueError`` there on concrete input.
"""
import functools

import numpy as np

from normix._kernels import dispatch
from normix._validation import is_traced
from normix.mixtures._compiled import compiled
from normix.risk.tail import excess_mean, posterior_mean_at, tail_quantities
from normix.risk.checks import check_flag, check_levels, check_measure, check_model, check_portfolios


def loss_laws(W, mu, gamma, L_Sigma, xp):
    """(m, g, s, Σw) of the losses -wₖᵀX for the rows of W (K, d): m, g, s of shape (K,), Σw (K, d)."""
    LW = W @ L_Sigma
    return -(W @ mu), -(W @ gamma), xp.sqrt(xp.sum(LW * LW, axis=-1)), LW @ L_Sigma.T


def _conditional_at(v, m, g, s, sigma_w, mu, gamma, post):
    """E[X | L = v] = μ - (Σw/s²)(v - m) + (γ + g Σw/s²) E[Y | L = v], shape (K, n, d), for v of shape (K, n)."""
    ratio = (sigma_w / (s * s))[:, None, :]
    return mu - ratio * (v - m)[..., None] + (gamma + g[..., None] * ratio) * post[..., None]


def law_measures(m, g, s, p, a, b, levels, backend):
    """(VaR, ES) of the losses L = m + gY + s√Y Z (arrays of shape (K,)) at ``levels`` (n,), each (K, n).

    p, a, b are scalars or (K,) arrays; no argument is checked.
    """
    q = 1.0 - levels
    m, g, s = m[:, None], g[:, None], s[:, None]
    p, a, b = (x[..., None] if np.ndim(x) else x for x in (p, a, b))
    v = dispatch.kernels(backend).univariate_isf(q, m, g, s, p, a, b)
    S, T, J = tail_quantities(v, m, g, s, p, a, b, backend)
    return v, v + excess_mean(v, m, g, s, S, T, J, backend) / q


def _program(backend, kind):
    """The function (W, levels, μ, γ, L_Σ, p, a, b) -> result of ``kind`` on ``backend``."""
    xp = dispatch.array_namespace(backend)
    isf = dispatch.kernels(backend).univariate_isf

    def run(W, levels, mu, gamma, L_Sigma, p, a, b):
        m, g, s, sigma_w = loss_laws(W, mu, gamma, L_Sigma, xp)
        if kind == "es":
            return law_measures(m, g, s, p, a, b, levels, backend)
        q = 1.0 - levels
        m2, g2, s2 = m[:, None], g[:, None], s[:, None]
        v = isf(q, m2, g2, s2, p, a, b)
        if kind == "var":
            return v
        if kind == "var_gradient":
            post = posterior_mean_at(v, m2, g2, s2, p, a, b, backend)
            return -_conditional_at(v, m2, g2, s2, sigma_w, mu, gamma, post)
        S, T, J, post = tail_quantities(v, m2, g2, s2, p, a, b, backend, posterior=True)
        es = v + excess_mean(v, m2, g2, s2, S, T, J, backend) / q
        at_v = _conditional_at(v, m2, g2, s2, sigma_w, mu, gamma, post)
        beyond = mu * S[..., None] + gamma * T[..., None] - (sigma_w / s[:, None])[:, None, :] * J[..., None]
        return es, -beyond / q[:, None] - (1.0 - S / q)[..., None] * at_v

    return run


@functools.cache
def program(backend, kind):
    """:func:`_program` of ``backend`` and ``kind``, compiled once with ``jax.jit`` on the JAX backend."""
    return compiled(backend, _program(backend, kind))


def evaluate(model, weights, level, kind, backend):
    """Checked inputs through :func:`program`; returns the raw (K, n[, d]) results and the squeeze flags."""
    dispatch.validate_backend(backend)
    model = check_model(model)
    joint = model.joint
    W = check_portfolios(weights, joint.d)
    levels = check_levels(level)
    args = dispatch.to_backend((W, levels, joint.mu, joint.gamma, joint.L_Sigma, *joint.gig_params()), backend)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        result = program(backend, kind)(*args)
    return result, (np.ndim(weights) == 1, np.ndim(level) == 0)


def squeeze(value, flags, trailing=0):
    """Drop the portfolio axis (1-d weights) and the level axis (scalar level) of a (K, n, ...) result."""
    one_portfolio, one_level = flags
    index = (0 if one_portfolio else slice(None), 0 if one_level else slice(None)) + (slice(None),) * trailing
    return value[index]


def _signed(value, returns):
    return -value if check_flag(returns, "returns") else value


def value_at_risk(model, weights, level, returns=False, backend="cpu"):
    """Value at risk VaR_α = F_L⁻¹(α) of the loss L = -wᵀX of each portfolio, at each level.

    Parameters
    ----------
    model : NormalMixture
        A fitted GeneralizedHyperbolic, NormalInverseGaussian, VarianceGamma or
        NormalInverseGamma model (unbatched), of dimension d.
    weights : array, shape (d,) or (K, d)
        Portfolio weights (positions in the d assets), finite, no zero row.
    level : float or array, shape (n,)
        Confidence levels α in (0, 1), e.g. 0.99.
    returns : bool
        If True, report the lower tail of the return R = wᵀX: F_R⁻¹(1 - α) = -VaR_α.
    backend : {'cpu', 'jax'}
        ``'cpu'``: numba kernels, numpy out; ``'jax'``: jit-able and differentiable.

    Returns
    -------
    array
        Shape (K, n), without the K axis for 1-d ``weights`` and without the n axis for
        a scalar ``level``.

    Raises
    ------
    ValueError
        If ``model`` is not an unbatched normal mixture, ``weights`` has the wrong shape,
        non-finite entries or a zero row, ``level`` is not in (0, 1), or ``backend`` is
        not a backend.
    """
    value, flags = evaluate(model, weights, level, "var", backend)
    return squeeze(_signed(value, returns), flags)


def expected_shortfall(model, weights, level, returns=False, backend="cpu"):
    """Expected shortfall ES_α = E[L | L >= VaR_α] of the loss L = -wᵀX, exact (module docstring).

    ES_α = VaR_α + E[(L - VaR_α)⁺]/(1 - α), with E[(L - v)⁺] = (m - v) S + g T + s J in
    closed form (:mod:`normix.risk.tail`).  +inf where E[L⁺] is infinite (a = 0 with
    p >= -1 and g > 0, or p >= -½ and g = 0).  Arguments, shapes and errors as in
    :func:`value_at_risk`; with ``returns=True``, E[R | R <= F_R⁻¹(1 - α)] = -ES_α.
    """
    value, flags = evaluate(model, weights, level, "es", backend)
    return squeeze(_signed(value[1], returns), flags)


def tail_risk(model, weights, level, returns=False, backend="cpu"):
    """``(VaR, ES)`` of :func:`value_at_risk` and :func:`expected_shortfall` from one quantile evaluation."""
    value, flags = evaluate(model, weights, level, "es", backend)
    return tuple(squeeze(_signed(v, returns), flags) for v in value)


def risk_contributions(model, weights, level, measure="es", returns=False, backend="cpu"):
    """Euler contributions wᵢ ∂ρ/∂wᵢ of each asset to ρ = ES or VaR; they sum to ρ.

    ∂VaR/∂w = -E[X | L = VaR] and ∂ES/∂w = -E[X | L >= VaR] (plus a term that vanishes at
    the exact VaR; module docstring), both in closed form.

    Parameters
    ----------
    model, weights, level, returns, backend
        As in :func:`value_at_risk`.
    measure : {'es', 'var'}
        The risk measure ρ.

    Returns
    -------
    array
        Shape (K, n, d), without the K axis for 1-d ``weights`` and the n axis for a
        scalar ``level``: for 1-d weights and a scalar level, shape (d,).  With
        ``returns=True`` the contributions to -ρ (the return-side VaR or ES).

    Raises
    ------
    ValueError
        As :func:`value_at_risk`; if ``measure`` is not 'es' or 'var'; for 'es', if the
        expected shortfall of a portfolio is infinite (concrete input).
    """
    check_measure(measure)
    if measure == "var":
        gradient, flags = evaluate(model, weights, level, "var_gradient", backend)
    else:
        (es, gradient), flags = evaluate(model, weights, level, "es_gradient", backend)
        if not is_traced(es) and not np.all(np.isfinite(es)):
            bad = np.argwhere(~np.isfinite(es))[:5].tolist()
            raise ValueError(f"measure='es' has no contributions where the expected shortfall is infinite "
                             f"((portfolio, level) index {bad}): E[L+] diverges for an InverseGamma subordinator "
                             f"(a = 0) with p >= -1 and g = -w.gamma > 0, or p >= -1/2 and g = 0")
    W = dispatch.to_backend(check_portfolios(weights, model.joint.d), backend)
    return squeeze(_signed(W[:, None, :] * gradient, returns), flags, trailing=1)
