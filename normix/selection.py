"""Model selection: parameter counts, AIC, BIC, likelihood-ratio tests, comparison tables.

Every criterion uses the total log-likelihood ℓ = Σᵢ log f(xᵢ) of the data under the
fitted model:

    AIC  = 2k - 2ℓ                          (Akaike 1974)
    AICc = AIC + 2k(k + 1)/(n - k - 1)      (Hurvich and Tsai 1989)
    BIC  = k log n - 2ℓ                     (Schwarz 1978)

with k the number of free parameters (:func:`n_parameters`) and n the number of rows.
Lower is better for all three.

Nested pairs are compared by :func:`likelihood_ratio_test`, whose reference law for
VG and NInvG inside GH is the boundary mixture ½χ²₀ + ½χ²₁ (Self and Liang 1987);
non-nested pairs (NIG, VG, NInvG against each other) by :func:`vuong_test`.

Counting parameters of the mixtures
-----------------------------------
X = μ + γY + √Y Z, Z ~ N(0, Σ), has the same law as the model with (γ/c, Σ/c, cY) for
every c > 0, and in each of the four families cY stays in the family: GIG(p, a, b)
becomes GIG(p, a/c, bc), InverseGaussian(μ_IG, λ) becomes InverseGaussian(cμ_IG, cλ),
Gamma(α, β) becomes Gamma(α, β/c), InverseGamma(α, β) becomes InverseGamma(α, cβ).
One parameter is therefore not identified in every family, and the free count is
d (μ) + d (γ) + d(d+1)/2 (Σ) + the subordinator's parameters minus one:

    GH: +2 (p and one of a, b)     NIG, VG, NInvG: +1

For d = 1 this gives the usual counts: 5 for the univariate GH (λ, α, β, δ, μ) and 4
for NIG (α, β, δ, μ), VG and the skewed Student t.  With the same rule the special
cases sit one constraint inside GH (NIG: p = -1/2; VG: b = 0; NInvG: a = 0), so each
likelihood-ratio test against GH has 1 degree of freedom.

Fits with held parameters
-------------------------
A fit with ``fixed=`` or ``symmetric=True`` (see :mod:`normix._em.fixed`) holds some
parameters; its ``EMResult`` records them in ``constraints``, and every function here
accepts such a result in place of a model and counts k = n_parameters(model) minus the
parameters the constraint removes: ``n_fixed`` held scalars, less one when a held value
is not invariant under (γ/c, Σ/c, cY) (it then only fixes the scale: a GH fit with ``a``
held has the free GH's count).  A plain model takes the same information by the
keywords ``fixed`` and ``symmetric``.  The symmetric fit (γ = 0) has d parameters fewer
than the skewed one, so their likelihood-ratio test has df = d.

References
----------
H. Akaike (1974), "A new look at the statistical model identification", IEEE Trans.
Automatic Control 19:716-723.
G. Schwarz (1978), "Estimating the dimension of a model", Ann. Statist. 6:461-464.
S. S. Wilks (1938), "The large-sample distribution of the likelihood ratio for testing
composite hypotheses", Ann. Math. Statist. 9:60-62.
S. G. Self and K.-Y. Liang (1987), "Asymptotic properties of maximum likelihood
estimators and likelihood ratio tests under nonstandard conditions", JASA 82:605-610.
C. M. Hurvich and C.-L. Tsai (1989), "Regression and time series model selection in
small samples", Biometrika 76:297-307.
Q. H. Vuong (1989), "Likelihood ratio tests for model selection and non-nested
hypotheses", Econometrica 57:307-333.
"""
import math
from typing import NamedTuple

import jax
import numpy as np

from normix._em.fixed import validate_constraints
from normix._em.result import EMResult
from normix._kernels import dispatch
from normix.distributions.gamma import Gamma
from normix.distributions.generalized_hyperbolic import GeneralizedHyperbolic
from normix.distributions.generalized_inverse_gaussian import GeneralizedInverseGaussian
from normix.distributions.inverse_gamma import InverseGamma
from normix.distributions.inverse_gaussian import InverseGaussian
from normix.distributions.normal import MultivariateNormal
from normix.distributions.normal_inverse_gamma import NormalInverseGamma
from normix.distributions.normal_inverse_gaussian import NormalInverseGaussian
from normix.distributions.variance_gamma import VarianceGamma

# Identified parameters of the subordinator: its own parameters minus the one absorbed
# by the scale invariance (γ/c, Σ/c, cY) (see the module docstring).
_SUBORDINATOR_PARAMETERS = {
    GeneralizedHyperbolic: 2,
    NormalInverseGaussian: 1,
    VarianceGamma: 1,
    NormalInverseGamma: 1,
}
_UNIVARIATE_PARAMETERS = {Gamma: 2, InverseGamma: 2, InverseGaussian: 2, GeneralizedInverseGaussian: 3}


class LikelihoodRatioTest(NamedTuple):
    """Outcome of :func:`likelihood_ratio_test`."""

    statistic: float
    """2 (ℓ_full - ℓ_restricted)."""
    df: int
    """Degrees of freedom: n_parameters(full) - n_parameters(restricted)."""
    p_value: float
    """P(χ²_df >= statistic); approximate (see :func:`likelihood_ratio_test`)."""


class ModelScore(NamedTuple):
    """One row of :func:`compare`."""

    name: str
    n_parameters: int
    log_likelihood: float
    """Total log-likelihood ℓ = Σᵢ log f(xᵢ)."""
    mean_log_likelihood: float
    aic: float
    bic: float
    aicc: float
    """AICc = AIC + 2k(k + 1)/(n - k - 1) (Hurvich and Tsai 1989; inf when n <= k + 1)."""


def _unpack(model, fixed=None, symmetric=False):
    """``(model, ParameterConstraints or None)`` of a model (with ``fixed``/``symmetric``) or of an ``EMResult``."""
    if isinstance(model, EMResult):
        if fixed is not None or symmetric:
            raise ValueError("fixed and symmetric describe a plain model: an EMResult carries its own constraints")
        return model.model, model.constraints
    if fixed is None and not symmetric:
        return model, None
    if type(model) not in _SUBORDINATOR_PARAMETERS:
        raise ValueError(f"fixed and symmetric apply to the normal mixtures, not to {type(model).__name__}")
    return model, validate_constraints(model, fixed, symmetric, "none")


def _model(model):
    """The model of a model or of an ``EMResult``."""
    return model.model if isinstance(model, EMResult) else model


def n_parameters(model, *, fixed=None, symmetric=False):
    """Number of free parameters k of ``model``.

    ``2d + d(d+1)/2 + 2`` for GH and ``2d + d(d+1)/2 + 1`` for NIG, VG and NInvG (one
    parameter of each mixture is not identified: see the module docstring);
    ``d + d(d+1)/2`` for ``MultivariateNormal``; 2 for Gamma, InverseGamma and
    InverseGaussian; 3 for GIG.

    ``model`` may be an ``EMResult``: a fit with held parameters then counts the
    parameters its ``constraints`` leave free; for a plain mixture the keywords ``fixed``
    and ``symmetric`` (as given to ``fit``) do the same (see the module docstring).

    Raises
    ------
    TypeError
        For any other object (joint laws included: they describe (x, y) pairs).
    ValueError
        For ``fixed``/``symmetric`` with an ``EMResult`` or a law that is not a mixture,
        or held values ``fit`` would refuse.
    """
    model, constraints = _unpack(model, fixed, symmetric)
    removed = 0 if constraints is None else constraints.n_removed
    return _base_count(model) - removed


def _base_count(model):
    cls = type(model)
    if cls in _SUBORDINATOR_PARAMETERS:
        d = model.d
        return 2 * d + d * (d + 1) // 2 + _SUBORDINATOR_PARAMETERS[cls]
    if cls is MultivariateNormal:
        d = model.d
        return d + d * (d + 1) // 2
    if cls in _UNIVARIATE_PARAMETERS:
        return _UNIVARIATE_PARAMETERS[cls]
    known = [c.__name__ for c in (*_SUBORDINATOR_PARAMETERS, MultivariateNormal, *_UNIVARIATE_PARAMETERS)]
    raise TypeError(f"model must be one of {known}, got {cls.__name__}")


def _univariate(model):
    """Whether ``model`` is a law of scalars (data of shape (n,))."""
    return type(model) in _UNIVARIATE_PARAMETERS


def _rows(model, X):
    """X as float64 numpy, with its number of rows; ``ValueError`` on a shape the model cannot score."""
    X = np.asarray(X, dtype=np.float64)
    univariate = _univariate(model)
    if X.ndim != 2 - univariate or X.shape[0] < 1:
        shape = "(n,)" if univariate else "(n, d)"
        raise ValueError(f"X must have shape {shape} with n >= 1 for {type(model).__name__}, got shape {X.shape}")
    if not univariate and X.shape[1] != model.d:
        raise ValueError(f"X must have shape (n, {model.d}) for this {type(model).__name__} of dimension {model.d}, "
                         f"got shape {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError("X must be finite (it holds NaN or inf)")
    return X, X.shape[0]


def log_likelihood(model, X, backend="cpu"):
    """Total log-likelihood ℓ = Σᵢ log f(xᵢ) of the rows of ``X`` under ``model``.

    Multivariate models sum their ``log_prob_rows(X, backend)`` (for the mixtures the
    closed-form marginal density by the ``mixture_log_density`` kernel of ``backend``:
    ``'cpu'``, numba, parallel over rows, nothing to compile; ``'jax'``, the compiled
    JAX twin, the kernel of ``marginal_log_likelihood``); the univariate families sum
    ``log_prob`` over the rows.  ``ValueError`` if ℓ is not finite (a row outside the
    support, or a density that underflows).
    ``model`` may be an ``EMResult`` (its model).
    """
    model = _model(model)
    n_parameters(model)
    backend = dispatch.validate_backend(backend)
    X, _ = _rows(model, X)
    rows = jax.vmap(model.log_prob)(X) if _univariate(model) else model.log_prob_rows(X, backend)
    total = float(np.sum(np.asarray(rows)))
    if not math.isfinite(total):
        raise ValueError(f"the log-likelihood of X under {type(model).__name__} is not finite ({total})")
    return total


def aic(model, X, backend="cpu", *, fixed=None, symmetric=False):
    """Akaike information criterion AIC = 2k - 2ℓ (Akaike 1974); lower is better.

    k = :func:`n_parameters` (with ``fixed``, ``symmetric``; ``model`` may be an ``EMResult``),
    ℓ = :func:`log_likelihood` of ``X`` (on ``backend``).
    """
    k = n_parameters(model, fixed=fixed, symmetric=symmetric)
    return 2.0 * k - 2.0 * log_likelihood(model, X, backend)


def bic(model, X, backend="cpu", *, fixed=None, symmetric=False):
    """Bayesian information criterion BIC = k log n - 2ℓ (Schwarz 1978); lower is better.

    k = :func:`n_parameters` (with ``fixed``, ``symmetric``; ``model`` may be an ``EMResult``),
    n = rows of ``X``, ℓ = :func:`log_likelihood` of ``X`` (on ``backend``).
    """
    k = n_parameters(model, fixed=fixed, symmetric=symmetric)
    _, n = _rows(_model(model), X)
    return k * math.log(n) - 2.0 * log_likelihood(model, X, backend)


NULLS = ("auto", "chi2", "boundary")


def boundary_p_value(statistic, df=1):
    """p-value of a likelihood-ratio statistic T whose null law is ½χ²_(df-1) + ½χ²_df.

    The limit law when one tested parameter lies on the boundary of the parameter space
    (Self and Liang 1987, case 5): p = ½ P(χ²_df >= T) + ½ P(χ²_(df-1) >= T), with χ²₀
    the point mass at 0; for df = 1, p = P(χ²₁ >= T)/2 when T > 0.  p = 1 when T <= 0.
    """
    import scipy.stats

    if int(df) != df or df < 1:
        raise ValueError(f"df must be an integer >= 1, got {df!r}")
    if not statistic > 0.0:
        return 1.0
    lower = float(scipy.stats.chi2.sf(statistic, df - 1)) if df > 1 else 0.0
    return 0.5 * float(scipy.stats.chi2.sf(statistic, df)) + 0.5 * lower


def _on_boundary(restricted, full):
    """Whether ``restricted`` is a boundary special case of ``full``: VG (b = 0) or NInvG (a = 0) inside GH."""
    return type(_model(full)) is GeneralizedHyperbolic and type(_model(restricted)) in (VarianceGamma,
                                                                                        NormalInverseGamma)


def likelihood_ratio_test(restricted, full, X, backend="cpu", null="auto"):
    """Likelihood-ratio test of a restricted model against a larger model containing it.

    Statistic Λ = 2 (ℓ_full - ℓ_restricted), with both models fitted to ``X`` by maximum
    likelihood.  For an interior restriction Λ is asymptotically χ² with
    df = k_full - k_restricted degrees of freedom (Wilks 1938) and the p-value is
    P(χ²_df >= Λ).  VG (b = 0) and NInvG (a = 0) lie on the boundary of GH's parameter
    space, where the limit law is ½χ²_(df-1) + ½χ²_df (Self and Liang 1987): for these
    pairs the p-value is :func:`boundary_p_value`, P(χ²₁ >= Λ)/2.  NIG (p = -1/2) is
    interior and keeps the χ² reference, though the GH likelihood is flat in directions
    that are weakly identified on finite samples.

    A negative statistic means the full model's fit is worse than the restricted one's
    (the full fit stopped short of its maximum); it is returned as computed, with
    p-value 1.

    Parameters
    ----------
    restricted, full : models accepted by :func:`n_parameters`, of the same dimension
        Or their ``EMResult``: a fit with held parameters counts only its free ones, so
        that, e.g., the symmetric fit (``symmetric=True``) against the skewed fit of the
        same family has df = d.
    X : array
        The data both were fitted to.
    backend : {'cpu', 'jax'}
        Kernels of :func:`log_likelihood`.
    null : {'auto', 'chi2', 'boundary'}
        Reference law: ``'auto'`` takes the boundary mixture for VG or NInvG against GH
        and χ²_df otherwise; ``'chi2'`` and ``'boundary'`` force one.

    Returns
    -------
    LikelihoodRatioTest
        ``(statistic, df, p_value)``.

    Raises
    ------
    ValueError
        If ``full`` does not have more free parameters than ``restricted``, or ``null``
        is unknown.
    """
    import scipy.stats

    if null not in NULLS:
        raise ValueError(f"null must be one of {NULLS}, got {null!r}")
    df = n_parameters(full) - n_parameters(restricted)
    if df < 1:
        raise ValueError(f"full ({type(_model(full)).__name__}, {n_parameters(full)} parameters) must have more "
                         f"free parameters than restricted ({type(_model(restricted)).__name__}, "
                         f"{n_parameters(restricted)})")
    statistic = 2.0 * (log_likelihood(full, X, backend) - log_likelihood(restricted, X, backend))
    boundary = null == "boundary" or (null == "auto" and _on_boundary(restricted, full))
    if boundary:
        return LikelihoodRatioTest(statistic, df, boundary_p_value(statistic, df))
    return LikelihoodRatioTest(statistic, df, float(scipy.stats.chi2.sf(max(statistic, 0.0), df)))


def aicc(model, X, backend="cpu"):
    """Corrected AIC, AICc = AIC + 2k(k + 1)/(n - k - 1) (Hurvich and Tsai 1989); lower is better.

    inf when n <= k + 1 (too few rows for the correction).
    """
    _, n = _rows(_model(model), X)
    return _aicc(n_parameters(model), log_likelihood(model, X, backend), n)


def _aicc(k, ll, n):
    if n <= k + 1:
        return math.inf
    return 2.0 * k - 2.0 * ll + 2.0 * k * (k + 1) / (n - k - 1)


class VuongTest(NamedTuple):
    """Outcome of :func:`vuong_test`."""

    statistic: float
    """Z = (ℓ_a - ℓ_b - correction) / (√n ω̂); positive favours model_a."""
    p_value: float
    """Two-sided: 2 Φ(-abs(Z)), for H0 "both models are equally close to the truth"."""
    preferred: str
    """'a', 'b', or 'neither' (p_value >= 0.05)."""


CORRECTIONS = (None, "schwarz", "akaike")


def vuong_test(model_a, model_b, X, correction=None, backend="cpu"):
    """Vuong's test of two non-nested models fitted to the same rows (Vuong 1989).

    With mᵢ = log f_a(xᵢ) - log f_b(xᵢ), the statistic is

        Z = (Σᵢ mᵢ - c) / (√n ω̂),   ω̂² = (1/n) Σᵢ mᵢ² - ((1/n) Σᵢ mᵢ)²,

    asymptotically N(0, 1) when both models are equally close (in Kullback-Leibler
    divergence) to the law of the data; the correction c is 0, (k_a - k_b) log(n)/2
    (``'schwarz'``) or k_a - k_b (``'akaike'``).  Meant for non-nested pairs (NIG, VG,
    NInvG against each other); for nested ones use :func:`likelihood_ratio_test`.

    Parameters
    ----------
    model_a, model_b : models accepted by :func:`n_parameters`
    X : array
        The data both were fitted to.
    correction : {None, 'schwarz', 'akaike'}
    backend : {'cpu', 'jax'}

    Returns
    -------
    VuongTest
        ``(statistic, p_value, preferred)``.

    Raises
    ------
    ValueError
        If ``correction`` is unknown, or the two models give identical log-densities on
        every row (ω̂ = 0: the test is undefined).
    """
    import scipy.stats

    if correction not in CORRECTIONS:
        raise ValueError(f"correction must be one of {CORRECTIONS}, got {correction!r}")
    backend = dispatch.validate_backend(backend)
    X, n = _rows(model_a, X)
    rows = [np.asarray(jax.vmap(m.log_prob)(X) if _univariate(m) else m.log_prob_rows(X, backend), dtype=np.float64)
            for m in (model_a, model_b)]
    if not all(np.all(np.isfinite(r)) for r in rows):
        raise ValueError("a log-density of X is not finite under model_a or model_b")
    m = rows[0] - rows[1]
    omega = float(np.sqrt(np.mean(m * m) - np.mean(m) ** 2))
    if not omega > 0.0:
        raise ValueError("model_a and model_b give the same log-density on every row: the Vuong test is undefined")
    dk = n_parameters(model_a) - n_parameters(model_b)
    penalty = {None: 0.0, "schwarz": 0.5 * dk * math.log(n), "akaike": float(dk)}[correction]
    statistic = (float(np.sum(m)) - penalty) / (math.sqrt(n) * omega)
    p_value = float(2.0 * scipy.stats.norm.sf(abs(statistic)))
    preferred = "neither" if p_value >= 0.05 else ("a" if statistic > 0 else "b")
    return VuongTest(statistic, p_value, preferred)


def compare(models, X, backend="cpu"):
    """Score several models on ``X``; rows sorted by BIC, best (lowest) first.

    Parameters
    ----------
    models : mapping of name to model, or iterable of models
        An iterable is named by class names.  A model may be an ``EMResult`` (its
        constraints count, see :func:`n_parameters`).
    X : array
        Data all models can score.
    backend : {'cpu', 'jax'}
        Kernels of :func:`log_likelihood`.

    Returns
    -------
    list of ModelScore
        ``(name, n_parameters, log_likelihood, mean_log_likelihood, aic, bic, aicc)`` per model.
    """
    items = list(models.items()) if hasattr(models, "items") else [(type(_model(m)).__name__, m) for m in models]
    if not items:
        raise ValueError("models must hold at least one model")
    rows = []
    for name, model in items:
        k = n_parameters(model)
        ll = log_likelihood(model, X, backend)
        _, n = _rows(_model(model), X)
        rows.append(ModelScore(str(name), k, ll, ll / n, 2.0 * k - 2.0 * ll, k * math.log(n) - 2.0 * ll,
                               _aicc(k, ll, n)))
    return sorted(rows, key=lambda row: row.bic)
