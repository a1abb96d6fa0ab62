"""M-step of the normal part of a variance-mean mixture, pure-JAX twin (twin: ``mstep_cpu.py``).

Same formulas, signature and edge values as the numpy twin: with averaged posterior
statistics s2 = mean E[1/Y|x], s3 = mean E[Y|x], s4 = mean x, s5 = mean x E[1/Y|x],
S6 = mean x x^T E[1/Y|x]::

    D = 1 - s2 s3,  mu = (s4 - s3 s5)/D,  gamma = (s5 - s2 s4)/D,
    Sigma = S6 - s5 mu^T - mu s5^T + s2 mu mu^T - s3 gamma gamma^T,

and the lower Cholesky factor of Sigma, all NaN where Sigma is not positive definite.
Branch-free, jit-able and vmappable.
"""
import jax.numpy as jnp

__all__ = ["normal_m_step"]


def normal_m_step(s2, s3, s4, s5, S6):
    """Closed-form update (mu, gamma, L_Sigma) of the normal part; see the numpy twin."""
    s2 = jnp.asarray(s2, dtype=jnp.float64)
    s3 = jnp.asarray(s3, dtype=jnp.float64)
    s4 = jnp.asarray(s4, dtype=jnp.float64)
    s5 = jnp.asarray(s5, dtype=jnp.float64)
    S6 = jnp.asarray(S6, dtype=jnp.float64)
    D = 1.0 - s2 * s3
    mu = (s4 - s3 * s5) / D
    gamma = (s5 - s2 * s4) / D
    cross = jnp.outer(s5, mu)
    sigma = S6 - cross - cross.T + s2 * jnp.outer(mu, mu) - s3 * jnp.outer(gamma, gamma)
    sigma = 0.5 * (sigma + sigma.T)
    finite = jnp.all(jnp.isfinite(sigma))
    L_Sigma = jnp.linalg.cholesky(jnp.where(finite, sigma, jnp.eye(sigma.shape[0])))
    ok = finite & jnp.all(jnp.isfinite(L_Sigma)) & jnp.all(jnp.diagonal(L_Sigma) > 0.0)
    return mu, gamma, jnp.where(ok, L_Sigma, jnp.nan)
