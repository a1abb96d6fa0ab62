"""The convergence measure of EM: relative change of the normal parameters.

For the blocks mu, gamma and L_Sigma (the lower Cholesky factor of Sigma),

    change = max( |mu' - mu| / (|mu| + s),  |gamma' - gamma| / (|gamma| + s),  |L' - L| / |L| )

with Frobenius norms and ``s = |L|_F / sqrt(d)``, the typical spread of the data.
The floor ``s`` keeps the measure scale-free (data in any unit converge alike) and
well defined when mu or gamma is zero.  The subordinator's parameters are not
part of the measure (for GH they are not identified without a regularisation).

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
    scale = _norm(old.L_Sigma)
    spread = scale / math.sqrt(np.shape(old.mu)[-1])
    parts = (_norm(np.subtract(new.mu, old.mu)) / (_norm(old.mu) + spread),
             _norm(np.subtract(new.gamma, old.gamma)) / (_norm(old.gamma) + spread),
             _norm(np.subtract(new.L_Sigma, old.L_Sigma)) / scale)
    return max(parts) if all(math.isfinite(part) for part in parts) else math.nan


def param_change_jax(old, new):
    """Relative change between two JAX states, traceable (see module docstring)."""
    scale = jnp.sqrt(jnp.sum(old.L_Sigma**2))
    spread = scale / jnp.sqrt(old.mu.shape[-1])
    norm = lambda a: jnp.sqrt(jnp.sum(a**2))  # noqa: E731
    return jnp.maximum(
        jnp.maximum(
            norm(new.mu - old.mu) / (norm(old.mu) + spread),
            norm(new.gamma - old.gamma) / (norm(old.gamma) + spread),
        ),
        norm(new.L_Sigma - old.L_Sigma) / scale,
    )


def state_is_finite_jax(state, log_likelihood):
    """Whether every parameter of the (JAX) state and the log-likelihood are finite; traceable."""
    ok = jnp.isfinite(log_likelihood)
    for leaf in jax.tree_util.tree_leaves(state):
        ok = ok & jnp.all(jnp.isfinite(leaf))
    return ok
