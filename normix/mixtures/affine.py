"""Affine images of a normal variance-mean mixture: linear maps, projections, margins.

X | Y = y ~ N(μ + γy, Σy) gives A X + b | Y = y ~ N(Aμ + b + Aγy, AΣAᵀ y), so for a
(k, d) matrix A of full row rank k <= d the law of AX + b is the mixture of the same
family with

    μ' = Aμ + b,   γ' = Aγ,   Σ' = AΣAᵀ,

and the same subordinator Y (McNeil, Frey and Embrechts 2005, Prop. 3.13).  Full row
rank makes Σ' positive definite; with L Lᵀ = Σ, Σ' = (AL)(AL)ᵀ and its Cholesky factor
is taken of that product.  A margin (the coordinates ``columns``) is the map by the
rows of the identity, done by indexing: μ' = μ_c, γ' = γ_c, Σ' = L_c L_cᵀ with L_c the
rows ``columns`` of L.

The functions here are pure maps of arrays (traceable in every array argument) plus
the checks of concrete arguments, and :func:`batched_models`, which builds one model
whose leaves carry a leading batch axis by ``jax.vmap`` over the family's constructor.

References
----------
A. McNeil, R. Frey and P. Embrechts (2005), "Quantitative Risk Management", Sect. 3.2.
"""
import operator

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from normix._validation import as_real_array, check_finite, check_real_dtype, is_traced


def check_map(A, d, name="A"):
    """``A`` as a float64 (k, d) array with 1 <= k <= d, finite, of full row rank k.

    Shapes are checked on concrete and traced input alike; finiteness and rank raise
    ``ValueError`` at once on concrete input (the rank by SVD, ``numpy.linalg.matrix_rank``
    with its default tolerance) and are carried into a traced program by
    :func:`equinox.error_if` (see :func:`full_rank_factor`).
    """
    if is_traced(A):
        A = jnp.asarray(check_real_dtype(A, name), dtype=jnp.float64)
    else:
        A = as_real_array(A, name)
    if A.ndim != 2 or A.shape[1] != d or not 1 <= A.shape[0] <= d:
        raise ValueError(f"{name} must have shape (k, {d}) with 1 <= k <= {d} (k outputs of the d = {d} "
                         f"coordinates), got shape {A.shape}")
    A = check_finite(A, name)
    if not is_traced(A):
        rank = int(np.linalg.matrix_rank(np.asarray(A)))
        if rank < A.shape[0]:
            raise ValueError(f"{name} must have full row rank {A.shape[0]} (otherwise A Sigma A^T is singular "
                             f"and A X has no density), got rank {rank}")
    return A


def check_shift(b, k, name="b"):
    """``b`` as a finite float64 (k,) array; ``None`` means 0."""
    if b is None:
        return jnp.zeros(k)
    b = jnp.asarray(check_real_dtype(b, name), dtype=jnp.float64) if is_traced(b) else as_real_array(b, name)
    if b.shape != (k,):
        raise ValueError(f"{name} must have shape ({k},) (one shift per row of A), got shape {b.shape}")
    return check_finite(b, name)


def check_weights(w, d, name="w"):
    """Weights ``w`` of shape (d,) or (K, d) as a finite float64 (K, d) array (K = 1 for a vector).

    A zero row has no density (wᵀX = 0): ``ValueError`` on concrete input, and
    :func:`equinox.error_if` in :func:`projection_normal_parts` under tracing.
    """
    if is_traced(w):
        W = jnp.asarray(check_real_dtype(w, name), dtype=jnp.float64)
    else:
        W = as_real_array(w, name)
    if W.ndim not in (1, 2) or W.shape[-1] != d or W.size == 0:
        raise ValueError(f"{name} must have shape ({d},) or (K, {d}) (weights of the d = {d} coordinates), "
                         f"got shape {W.shape}")
    W = check_finite(W.reshape(-1, d), name)
    if not is_traced(W):
        zero = np.flatnonzero(np.all(np.asarray(W) == 0, axis=1))
        if zero.size:
            raise ValueError(f"{name} must have no zero row (wᵀX = 0 has no density), got zero row(s) "
                             f"{zero[:5].tolist()}")
    return W


def check_columns(columns, d, name="columns"):
    """``columns`` as a tuple of distinct integer indices in [0, d), at least one.

    An int is one column; a sequence or integer array lists several, in the order
    wanted.  Indices must be concrete Python or numpy integers (they fix the shapes of
    the result); booleans, floats, repeats and indices outside [0, d) raise
    ``ValueError`` naming ``name``.
    """
    if is_traced(columns):
        raise ValueError(f"{name} must be concrete integers (they fix the shape of the result), got a traced value")
    flat = np.asarray(columns, dtype=object).ravel() if np.ndim(columns) else [columns]
    if np.ndim(columns) > 1:
        raise ValueError(f"{name} must be an int or a 1-d sequence of ints, got shape {np.shape(columns)}")
    indices = []
    for item in flat:
        if isinstance(item, (bool, np.bool_)):
            raise ValueError(f"{name} must hold integer indices, got the boolean {item!r}")
        try:
            indices.append(operator.index(item))
        except TypeError:
            raise ValueError(f"{name} must hold integer indices, got {item!r}") from None
    if not indices:
        raise ValueError(f"{name} must name at least one column, got none")
    bad = [i for i in indices if not 0 <= i < d]
    if bad:
        raise ValueError(f"{name} must be in [0, {d}) (d = {d} coordinates), got {bad[:5]}")
    if len(set(indices)) != len(indices):
        raise ValueError(f"{name} must not repeat a column, got {indices}")
    return tuple(indices)


def full_rank_factor(M, parts, name):
    """``parts`` after checking that M (k, d) = A L_Σ has full row rank, and the Cholesky factor of M Mᵀ.

    On traced input the check is carried by :func:`equinox.error_if` on every array of
    ``parts`` and on the factor (so it fires whichever of them the caller uses): M has
    full row rank when every diagonal entry of chol(M Mᵀ) exceeds √(k ε) times the
    largest (ε the float64 machine epsilon); a rank-deficient M gives a pivot at
    rounding level or NaN.  Concrete A is checked exactly by :func:`check_map`.
    """
    factor = jnp.linalg.cholesky(M @ M.T)
    diagonal = jnp.diagonal(factor)
    threshold = np.sqrt(M.shape[0] * np.finfo(np.float64).eps) * jnp.max(diagonal)
    deficient = ~jnp.all(diagonal > threshold)
    return eqx.error_if((*parts, factor), deficient, f"{name} must have full row rank")


def image_normal_part(mu, gamma, L_Sigma, A, b):
    """(Aμ + b, Aγ, chol(AΣAᵀ)) of the normal part (μ, γ, L_Σ) under x ↦ Ax + b."""
    return full_rank_factor(A @ L_Sigma, (A @ mu + b, A @ gamma), "A")


def margin_normal_part(mu, gamma, L_Sigma, columns):
    """(μ_c, γ_c, chol(Σ_cc)) of the coordinates ``columns`` (a tuple of indices), with Σ_cc = L_c L_cᵀ."""
    index = np.asarray(columns)
    return mu[index], gamma[index], jnp.linalg.cholesky(L_Sigma[index, :] @ L_Sigma[index, :].T)


def projection_normal_parts(mu, gamma, L_Sigma, W):
    """(m, g, s) of the K laws wₖᵀX (W of shape (K, d)), as arrays of shapes (K, 1), (K, 1), (K, 1, 1).

    m = Wμ, g = Wγ, s = ‖Lᵀwₖ‖ (the standard deviation of wₖᵀZ for Z ~ N(0, Σ)); a zero
    row gives s = 0, reported by :func:`equinox.error_if` (on all three) under tracing.
    """
    scale = jnp.sqrt(jnp.sum((W @ L_Sigma) ** 2, axis=1))
    m, g, s = eqx.error_if(((W @ mu)[:, None], (W @ gamma)[:, None], scale[:, None, None]), ~jnp.all(scale > 0),
                           "w must have no zero row")
    return m, g, s


def batched_models(build, *batched):
    """One model with a leading batch axis on every leaf: ``jax.vmap(build)(*batched)``.

    ``build`` maps unbatched arrays to a model (it validates them through the family's
    constructor, by :func:`equinox.error_if` inside the vmap); leaves that ``build``
    closes over are broadcast along the batch axis.
    """
    return jax.vmap(build)(*batched)
