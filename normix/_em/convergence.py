"""The convergence measure of EM: relative change of the normal parameters.

For the blocks mu, gamma and L_Sigma (the lower Cholesky factor of Sigma),

    change = max( |mu' - mu| / (|mu| + s),  |gamma' - gamma| / (|gamma| + s),  |L' - L| / |L| )

with Frobenius norms and ``s = |L|_F / sqrt(d)``, the typical spread of the data.
The floor ``s`` keeps the measure scale-free (data in any unit converge alike) and
well defined when mu or gamma is zero.  The subordinator's parameters are not
part of the measure (for GH they are not identified without a regularisation).

A state with its own ``sigma_change(new, xp)`` method (the factor-structured state of
:mod:`normix._em.factor`) gives the Σ block instead: ``(|Σ^(1/2)|_F, relative change)``.

The numpy versions run once per iteration of the Python EM loop on arrays of a few
elements, where the cost of a call, not the arithmetic, is what counts: they use one
BLAS dot product per norm and plain floats.
"""
import math

import jax
import jax.numpy as jnp
import numpy as np


def _norm(a):
    flat = np.ravel(a)
    return math.sqrt(float(np.dot(flat, flat)))


def param_change_numpy(old, new):
    """Relative change between two numpy states (see module docstring); NaN if ``new`` is not finite.

    ``old`` must be finite (the loops keep only finite iterates); then the change is
    finite exactly when the normal parameters of ``new`` are.
    """
    if hasattr(old, "sigma_change"):
        scale, sigma_part = (float(v) for v in old.sigma_change(new, np))
    else:
        scale = _norm(old.L_Sigma)
        sigma_part = _norm(np.subtract(new.L_Sigma, old.L_Sigma)) / scale
    spread = scale / math.sqrt(np.shape(old.mu)[-1])
    parts = (_norm(np.subtract(new.mu, old.mu)) / (_norm(old.mu) + spread),
             _norm(np.subtract(new.gamma, old.gamma)) / (_norm(old.gamma) + spread),
             sigma_part)
    return max(parts) if all(math.isfinite(part) for part in parts) else math.nan


def param_change_jax(old, new):
    """Relative change between two JAX states, traceable (see module docstring)."""
    norm = lambda a: jnp.sqrt(jnp.sum(a**2))  # noqa: E731
    if hasattr(old, "sigma_change"):
        scale, sigma_part = old.sigma_change(new, jnp)
    else:
        scale = norm(old.L_Sigma)
        sigma_part = norm(new.L_Sigma - old.L_Sigma) / scale
    spread = scale / jnp.sqrt(old.mu.shape[-1])
    return jnp.maximum(
        jnp.maximum(
            norm(new.mu - old.mu) / (norm(old.mu) + spread),
            norm(new.gamma - old.gamma) / (norm(old.gamma) + spread),
        ),
        sigma_part,
    )


def state_is_finite_jax(state, log_likelihood):
    """Whether every parameter of the (JAX) state and the log-likelihood are finite; traceable."""
    ok = jnp.isfinite(log_likelihood)
    for leaf in jax.tree_util.tree_leaves(state):
        ok = ok & jnp.all(jnp.isfinite(leaf))
    return ok
