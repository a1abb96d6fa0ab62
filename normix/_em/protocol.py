"""What the EM engine needs from a normal variance-mean mixture family.

EM for ``X = mu + gamma Y + sqrt(Y) Z`` alternates two maps on a small
parameter *state* (a pytree of plain arrays, numpy on the CPU path and JAX on
the JAX path, so the loop never rebuilds model objects or crosses the
host-device boundary):

* E-step: the data and the state give the averaged sufficient statistics
  :class:`MixtureStatistics` and, for free, the mean log-likelihood of the state;
* M-step: the statistics give the next state in closed form (mu, gamma, Sigma)
  and through an eta -> theta solve (subordinator).

A family implements :class:`EMFamily` (class methods on the marginal mixture
class).  Every method takes ``backend`` and must be jit-traceable when it is
``'jax'``.
"""
from typing import Any, NamedTuple


class MixtureStatistics(NamedTuple):
    """Row averages of the complete-data sufficient statistics under the posterior of Y.

    With ``w_i = E[1/Y | x_i]``::

        s1 = mean E[log Y | x]     s4 = mean x
        s2 = mean E[1/Y | x]       s5 = mean x w
        s3 = mean E[Y | x]         S6 = mean x x^T w   (one weighted Gram matrix)
    """

    s1: Any
    s2: Any
    s3: Any
    s4: Any
    s5: Any
    S6: Any


class MixtureState(NamedTuple):
    """Parameters of a mixture during EM: the normal part and the subordinator's classical parameters.

    ``L_Sigma`` is the lower Cholesky factor of Sigma; ``subordinator`` is a tuple of
    scalars in the family's classical parameterisation (e.g. ``(p, a, b)`` for GH).
    """

    mu: Any
    gamma: Any
    L_Sigma: Any
    subordinator: Any


class EMFamily:
    """Protocol (documentation only): class methods a mixture family provides to the EM engine.

    ``em_validate_data(X, model) -> ndarray``
        ``X`` as a float64 (n, d) array, or a ``ValueError`` naming the problem (wrong
        dimension, NaN or inf rows, too few rows).
    ``em_state(model, backend) -> MixtureState``
        The state of a model, as numpy (``'cpu'``) or JAX (``'jax'``) arrays.
    ``em_model(state) -> model``
        The model of a state (called once, after the loop).
    ``em_e_step(X, state, backend) -> (MixtureStatistics, mean_log_likelihood)``
        Fused E-step over the rows of ``X``; the log-likelihood is that of ``state``.
    ``em_e_step_many(X, index, states, backend) -> (MixtureStatistics, mean_log_likelihoods)``
        E-steps of K problems at once: ``states`` has a leading axis of K, ``X`` has shape
        (B, n, d) and problem k uses the data set ``X[index[k]]``; every output has a
        leading axis of K and equals the single-problem :meth:`em_e_step` of its problem.
    ``em_weighted_e_step(X, w, state, backend)``, ``em_weighted_e_step_many(X, W, index, states, backend)``
        The same with row weights ``w`` (n,) or ``W`` (B, n): weighted means
        Σ_i w_i t(x_i) / Σ_i w_i (see :mod:`normix._em.weighted`).
    ``em_m_step(stats, state, backend, method) -> MixtureState``
        Closed-form normal update and the subordinator's eta -> theta solve
        (``method`` in ``'newton'``, ``'lbfgs'``, ``'bfgs'``), warm-started at ``state``.
    ``em_regularize(state, regularization, backend) -> MixtureState``
        ``'none'`` returns the state; ``'det_sigma_one'`` rescales to ``|Sigma| = 1``
        leaving the marginal law unchanged.
    ``em_free_subordinator``
        Attribute: indices of the subordinator parameters that range over all reals (the
        others are >= 0); accelerated EM (:mod:`normix._em.squarem`) extrapolates the
        latter on the log scale.
    ``em_unbounded_at_mu(state, d) -> str or None``
        Why the density at x = mu is infinite for ``state`` (so that the likelihood has
        no maximum if mu sits on a data row), or ``None``.
    ``em_nearest_row(X, state) -> (index, Q)``
        The row of ``X`` nearest to mu in Mahalanobis distance squared Q; the end-of-fit
        check :func:`normix._em.loop.degeneracy` combines the two, and a fit that ends
        degenerate never reports convergence.
    """
