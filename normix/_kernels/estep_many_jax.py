"""E-step statistics of many mixture problems in one call, pure-JAX twin (twin: ``estep_many_cpu.py``).

Problem k is the model (mu_k, gamma_k, L_k, p_k, a_k, b_k) on the data set
``X[index[k]]``; the statistics are :func:`normix._kernels.estep_jax.estep_statistics`
mapped over the problems with ``jax.vmap`` (one program for all of them; on a GPU
they run side by side).  Jit-able, vmappable and branch-free like the single-problem
twin; the function is ``jax.jit``-compiled.
"""
import jax
import jax.numpy as jnp

from normix._kernels.estep_jax import estep_statistics, weighted_estep_statistics

__all__ = ["estep_statistics_many", "weighted_estep_statistics_many"]


def _one(X, k, mu, gamma, L_Sigma, p, a, b):
    return estep_statistics(X[k], mu, gamma, L_Sigma, p, a, b)


def _one_weighted(X, W, k, mu, gamma, L_Sigma, p, a, b):
    return weighted_estep_statistics(X[k], W[k], mu, gamma, L_Sigma, p, a, b)


@jax.jit
def estep_statistics_many(X, index, mu, gamma, L_Sigma, p, a, b):
    """(s1, s2, s3, s4, s5, S6, mean_log_likelihood), each with a leading axis of K problems.

    Arguments and results as in :func:`normix._kernels.estep_many_cpu.estep_statistics_many`:
    X (B, n, d), index (K,) of data set numbers, mu and gamma (K, d), L_Sigma (K, d, d),
    p, a, b (K,).  Compiled once per shape (called eagerly, it runs one program rather than
    one dispatch per operation); shapes are checked while tracing.
    """
    X = jnp.asarray(X, dtype=jnp.float64)
    index = jnp.asarray(index)
    if X.ndim != 3:
        raise ValueError(f"X must have shape (B, n, d) (B data sets of n rows), got shape {X.shape}")
    if index.ndim != 1:
        raise ValueError(f"index must have shape (K,), got shape {index.shape}")
    params = [jnp.asarray(v, dtype=jnp.float64) for v in (mu, gamma, L_Sigma, p, a, b)]
    return jax.vmap(_one, in_axes=(None, 0, 0, 0, 0, 0, 0, 0))(X, index, *params)


@jax.jit
def weighted_estep_statistics_many(X, W, index, mu, gamma, L_Sigma, p, a, b):
    """Weighted statistics of K problems, each with a leading axis of K; problem k weighs ``X[index[k]]`` by ``W[index[k]]``.

    Arguments and results as in :func:`normix._kernels.estep_many_cpu.weighted_estep_statistics_many`
    (W of shape (B, n)); :func:`normix._kernels.estep_jax.weighted_estep_statistics` mapped
    over the problems.
    """
    X = jnp.asarray(X, dtype=jnp.float64)
    W = jnp.asarray(W, dtype=jnp.float64)
    index = jnp.asarray(index)
    if X.ndim != 3:
        raise ValueError(f"X must have shape (B, n, d) (B data sets of n rows), got shape {X.shape}")
    if W.shape != X.shape[:2]:
        raise ValueError(f"W must have shape {X.shape[:2]} (one weight per row of each data set), got shape {W.shape}")
    if index.ndim != 1:
        raise ValueError(f"index must have shape (K,), got shape {index.shape}")
    params = [jnp.asarray(v, dtype=jnp.float64) for v in (mu, gamma, L_Sigma, p, a, b)]
    return jax.vmap(_one_weighted, in_axes=(None, None, 0, 0, 0, 0, 0, 0, 0))(X, W, index, *params)
