"""The convergence measure of EM: relative change of the normal parameters.

For the blocks mu, gamma and L_Sigma (the lower Cholesky factor of Sigma),

    change = max( |mu' - mu| / (|mu| + s),  |gamma' - gamma| / (|gamma| + s),  |L' - L| / |L| )

with Frobenius norms and ``s = |L|_F / sqrt(d)``, the typical spread of the data.
The floor ``s`` keeps the measure scale-free (data in any unit converge alike) and
well defined when mu or gamma is zero.  The subordinator's parameters are not
part of the measure (for GH they are not identified without a regularisation).
"""
import jax
import jax.numpy as jnp
import numpy as np


def _change(old, new, xp):
    scale = xp.sqrt(xp.sum(old.L_Sigma**2))
    spread = scale / xp.sqrt(old.mu.shape[-1])
    norm = lambda a: xp.sqrt(xp.sum(a**2))  # noqa: E731
    return xp.maximum(
        xp.maximum(
            norm(new.mu - old.mu) / (norm(old.mu) + spread),
            norm(new.gamma - old.gamma) / (norm(old.gamma) + spread),
        ),
        norm(new.L_Sigma - old.L_Sigma) / scale,
    )


def param_change_numpy(old, new):
    """Relative change between two numpy states (see module docstring)."""
    return float(_change(old, new, np))


def param_change_jax(old, new):
    """Relative change between two JAX states, traceable (see module docstring)."""
    return _change(old, new, jnp)


def state_is_finite_numpy(state, log_likelihood):
    """Whether every parameter of the state and the log-likelihood are finite."""
    leaves = [state.mu, state.gamma, state.L_Sigma, *np.atleast_1d(state.subordinator)]
    return bool(np.isfinite(log_likelihood) and all(np.all(np.isfinite(leaf)) for leaf in leaves))


def state_is_finite_jax(state, log_likelihood):
    """Traceable twin of :func:`state_is_finite_numpy`."""
    ok = jnp.isfinite(log_likelihood)
    for leaf in jax.tree_util.tree_leaves(state):
        ok = ok & jnp.all(jnp.isfinite(leaf))
    return ok
