"""The law of the other coordinates of a mixture given some of them: X_B | X_A = x_A.

Split X into the observed coordinates A (d_A of them) and the rest B.  Given Y = y,
(X_A, X_B) is normal, and Y's density is ∝ y^(p-1) exp(-(a y + b/y)/2), so

    f(x_A | y) f_Y(y) ∝ y^(p - d_A/2 - 1) exp(-((a + γ_AᵀΣ_AA⁻¹γ_A) y + (b + Q_A)/y)/2),
    Q_A = (x_A - μ_A)ᵀΣ_AA⁻¹(x_A - μ_A),

that is Y | x_A ~ GIG(p - d_A/2, a + γ_AᵀΣ_AA⁻¹γ_A, b + Q_A); and the normal
conditioning of N(μ + γy, Σy) gives

    X_B | Y = y, x_A ~ N(μ_B + Σ_BAΣ_AA⁻¹(x_A - μ_A) + (γ_B - Σ_BAΣ_AA⁻¹γ_A) y,
                         (Σ_BB - Σ_BAΣ_AA⁻¹Σ_AB) y).

So X_B | x_A is again a normal variance-mean mixture, with a GIG subordinator: a
Generalized Hyperbolic law (McNeil, Frey and Embrechts 2005, Sect. 3.2; Blæsild 1981).

Everything goes through one Cholesky factorisation: with the coordinates reordered
(A, B), chol(Σ) = [[L_AA, 0], [C, L_B|A]], where Σ_BAΣ_AA⁻¹ = C L_AA⁻¹ and
L_B|A L_B|Aᵀ = Σ_BB - Σ_BAΣ_AA⁻¹Σ_AB.  With z = L_AA⁻¹(x_A - μ_A) and h = L_AA⁻¹γ_A
(triangular solves): μ' = μ_B + Cz, γ' = γ_B - Ch, L_Σ' = L_B|A, Q_A = zᵀz,
γ_AᵀΣ_AA⁻¹γ_A = hᵀh.  Σ is never inverted.

References
----------
P. Blæsild (1981), "The two-dimensional hyperbolic distribution and related
distributions, with an application to Johannsen's bean data", Biometrika 68:251-263.
A. McNeil, R. Frey and P. Embrechts (2005), "Quantitative Risk Management", Sect. 3.2.
"""
import jax.numpy as jnp
import numpy as np
from jax.scipy.linalg import solve_triangular

from normix._validation import as_real_array, check_finite, check_real_dtype, is_traced
from normix.mixtures.affine import batched_models, check_columns
from normix.mixtures.general_law import general_law


def conditional_parameters(mu, gamma, L_Sigma, p, a, b, observed, values):
    """GIG-form parameters (μ', γ', L_Σ', p', a', b') of X_B | X_A = ``values`` (one scenario, shape (d_A,)).

    ``observed`` is the tuple of the indices A; B is the other indices in increasing
    order.  Pure JAX, traceable in every array argument (see the module docstring).
    """
    d = mu.shape[0]
    rest = tuple(i for i in range(d) if i not in observed)
    order = np.asarray(observed + rest)
    d_a = len(observed)
    rows = L_Sigma[order, :]
    factor = jnp.linalg.cholesky(rows @ rows.T)
    L_aa, C, L_rest = factor[:d_a, :d_a], factor[d_a:, :d_a], factor[d_a:, d_a:]
    mu_a, mu_b = mu[order[:d_a]], mu[order[d_a:]]
    gamma_a, gamma_b = gamma[order[:d_a]], gamma[order[d_a:]]
    z = solve_triangular(L_aa, values - mu_a, lower=True)
    h = solve_triangular(L_aa, gamma_a, lower=True)
    return mu_b + C @ z, gamma_b - C @ h, L_rest, p - 0.5 * d_a, a + h @ h, b + z @ z


def _check_values(values, d_a):
    """``values`` as a finite float64 array of shape (d_A,) or (S, d_A)."""
    if is_traced(values):
        values = jnp.asarray(check_real_dtype(values, "values"), dtype=jnp.float64)
    else:
        values = as_real_array(values, "values")
    if values.ndim not in (1, 2) or values.shape[-1] != d_a or values.size == 0:
        raise ValueError(f"values must have shape ({d_a},) or (S, {d_a}) (one value per conditioned column), "
                         f"got shape {values.shape}")
    return check_finite(values, "values")


def _check_defined(values, mu_a, p, b, d_a):
    """``ValueError`` where f_A(x_A) is infinite: b = 0 (a Gamma subordinator), x_A = μ_A and p <= d_A/2."""
    if is_traced(values, mu_a, p, b) or float(b) != 0.0 or float(p) > 0.5 * d_a:
        return
    at_mu = np.flatnonzero(np.all(np.atleast_2d(np.asarray(values)) == np.asarray(mu_a), axis=1))
    if at_mu.size:
        raise ValueError(f"values must differ from mu at the conditioned columns when b = 0 and p = {float(p):.4g} "
                         f"<= d_A/2 = {0.5 * d_a:g}: the density f_A(x_A) is infinite there (scenario(s) "
                         f"{at_mu[:5].tolist()}), so the conditional law is not defined")


def condition(model, columns, values):
    """The law of the other coordinates X_B of ``model`` given X_A = ``values`` (A = ``columns``).

    X_B | x_A is the Generalized Hyperbolic law with (module docstring)

        p' = p - d_A/2,  a' = a + γ_AᵀΣ_AA⁻¹γ_A,  b' = b + (x_A - μ_A)ᵀΣ_AA⁻¹(x_A - μ_A),
        μ' = μ_B + Σ_BAΣ_AA⁻¹(x_A - μ_A),  γ' = γ_B - Σ_BAΣ_AA⁻¹γ_A,
        Σ' = Σ_BB - Σ_BAΣ_AA⁻¹Σ_AB,

    where B lists the other coordinates in increasing order.

    The result is always a :class:`~normix.distributions.generalized_hyperbolic.GeneralizedHyperbolic`
    (so that the class does not depend on the values and the function traces).  The
    special cases are not closed in general: NIG never stays NIG (p' = -1/2 - d_A/2);
    VG (b = 0) gives b' = 0, a GH at its Gamma limit, exactly when x_A = μ_A; NInvG
    (a = 0) gives a' = 0, a GH at its InverseGamma limit, exactly when γ_A = 0.  GH
    accepts both limits, and its densities and moments treat them exactly.

    Parameters
    ----------
    model : NormalMixture
        An unbatched mixture of any family, of dimension d >= 2.
    columns : int or sequence of int
        The observed coordinates A: distinct indices in [0, d), fewer than d.
    values : array, shape (d_A,) or (S, d_A)
        The observed values x_A (in the order of ``columns``); S scenarios at once give
        one batched GH with ``batch_shape == (S,)`` (see :mod:`normix.mixtures.operations`).

    Returns
    -------
    GeneralizedHyperbolic
        Of dimension d - d_A.  Traceable in ``values`` and in the model's parameters.

    Raises
    ------
    ValueError
        If ``columns`` is not a valid set of indices or names every coordinate, if
        ``values`` has the wrong shape or non-finite entries, or if the conditional law
        is not defined: b = 0, p <= d_A/2 and x_A = μ_A (there f_A(x_A) is infinite).
    """
    model._require_unbatched("condition")
    joint = model.joint
    d = joint.d
    observed = check_columns(columns, d)
    if len(observed) == d:
        raise ValueError(f"columns must leave at least one coordinate to describe, got all d = {d} of them")
    values = _check_values(values, len(observed))
    p, a, b = joint.gig_params()
    _check_defined(values, joint.mu[np.asarray(observed)], p, b, len(observed))

    def build(x):
        return general_law(*conditional_parameters(joint.mu, joint.gamma, joint.L_Sigma, p, a, b, observed, x))

    return build(values) if values.ndim == 1 else batched_models(build, values)
