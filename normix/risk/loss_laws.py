"""The law of a portfolio's loss under a sequence of forecast models, and draws from it.

A mixture X = μ + γY + √Y L_Σ Z gives the loss L = -wᵀX of the portfolio w the law

    L = m + g Y + s √Y Z,   m = -wᵀμ,  g = -wᵀγ,  s = ‖L_Σᵀ w‖ = √(wᵀΣw),   Y ~ GIG(p, a, b),

and a normal model N(μ, Σ) the law L = m + s Z (Y ≡ 1, g = 0).  :class:`LossLaws` holds
these parameters for R models at once (one per refit of a rolling backtest), as numpy
arrays: the projection is a few dot products, with none of the per-model overhead of
building a projected model object.

:func:`simulated_z2` draws loss paths from these laws, day by day, for the simulated
p-value of the Acerbi-Székely Z2 test (:mod:`normix.risk.coverage_tests`).
"""
from dataclasses import dataclass
from typing import Optional

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from scipy import special

from normix._kernels.gig_sampler_cpu import gig_sample
from normix.risk.coverage_tests import check_level, shortfall_ratio_sum
from normix.risk.measures import law_measures


@dataclass(frozen=True)
class LossLaws:
    """Parameters of R univariate loss laws L = m + gY + s√Y Z, each field of shape (R,).

    ``gig`` is the tuple (p, a, b) of the subordinators in GIG form, or None for normal
    laws (Y ≡ 1; then g = 0).
    """

    m: np.ndarray
    g: np.ndarray
    s: np.ndarray
    gig: Optional[tuple] = None

    def __len__(self):
        return self.m.shape[0]


@eqx.filter_jit
def _loss_law(joint, weights):
    p, a, b = joint.gig_params()
    return jnp.stack([-(weights @ joint.mu), -(weights @ joint.gamma), jnp.linalg.norm(joint.L_Sigma.T @ weights),
                      p, a, b])


def mixture_loss_law(model, weights):
    """``(m, g, s, p, a, b)`` of the loss L = -wᵀX under a fitted (unbatched) mixture, as floats.

    One compiled call per model (the refits of a backtest call it thousands of times).
    """
    return tuple(np.asarray(_loss_law(model.joint, jnp.asarray(weights, dtype=jnp.float64))).tolist())


def normal_loss_law(mean, cov, weights):
    """``(m, s)`` of the loss L = -wᵀX under N(mean, cov): m = -wᵀmean, s = √(wᵀ cov w)."""
    return -float(weights @ mean), float(np.sqrt(weights @ cov @ weights))


def normal_tail_risk(laws, levels):
    """``(VaR, ES)`` of the R normal loss laws L = m + sZ at each of ``levels``: arrays of shape (R, len(levels)).

        VaR_α = m + s Φ⁻¹(α),   ES_α = m + s φ(Φ⁻¹(α)) / (1 - α)

    (McNeil, Frey and Embrechts 2005, Example 2.18).
    """
    levels = np.asarray(levels, dtype=np.float64)
    z = special.ndtri(levels)
    m, s = laws.m[:, None], laws.s[:, None]
    density = np.exp(-0.5 * z * z) / np.sqrt(2.0 * np.pi)
    return m + s * z, m + s * density / (1.0 - levels)


def mixture_tail_risk(laws, levels):
    """``(VaR, ES)`` of the R mixture loss laws at each of ``levels``: arrays of shape (R, len(levels)).

    :func:`normix.risk.measures.law_measures`, the computation behind
    :func:`normix.risk.measures.tail_risk`, for all laws and levels in one broadcast call
    of the numba kernels: VaR_α = F_L⁻¹(α) and ES_α = VaR_α + E[(L - VaR_α)⁺]/(1 - α).
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return law_measures(laws.m, laws.g, laws.s, *laws.gig, np.asarray(levels, dtype=np.float64), "cpu")


def stack_laws(rows, normal):
    """A :class:`LossLaws` from per-model tuples: ``(m, g, s, p, a, b)`` or, with ``normal``, ``(m, s)``."""
    columns = np.array(rows, dtype=np.float64).reshape(len(rows), -1).T
    if normal:
        return LossLaws(columns[0], np.zeros_like(columns[0]), columns[1])
    return LossLaws(columns[0], columns[1], columns[2], tuple(columns[3:6]))


def simulated_z2(laws, day_law, var, es, levels, n_sim, seed=0):
    """Z2 of ``n_sim`` loss paths drawn from the forecast laws: shape (len(levels), n_sim).

    Day t of every path is an independent draw of the law ``laws[day_law[t]]``: Y from
    the library's exact GIG sampler (:func:`normix._kernels.gig_sampler_cpu.gig_sample`,
    one call per law for all the days it serves), Z from numpy's PCG64, and
    L = m + gY + s√Y Z.  Each path's Z2 is that of :func:`~normix.risk.coverage_tests.z2_statistic`
    with the forecasts ``var``, ``es`` (shape (T, len(levels))).

    Parameters
    ----------
    laws : LossLaws
        R laws.
    day_law : array of int, shape (T,)
        The law of each day, nondecreasing (days served by one law are contiguous).
    var, es : array, shape (T, J)
        Forecasts of every day at each of the J ``levels``.
    levels : array, shape (J,)
    n_sim : int
        Number of paths M >= 1.
    seed : int
        Seed of ``numpy.random.SeedSequence``: the draws depend only on it and the inputs.
    """
    levels = [check_level(level) for level in np.atleast_1d(levels)]
    day_law = np.asarray(day_law)
    n_days = day_law.size
    sums = np.zeros((len(levels), n_sim))
    root = np.random.SeedSequence(seed)
    normal_rng = np.random.default_rng(root.spawn(1)[0])
    law_seeds = root.spawn(len(laws))
    bounds = np.searchsorted(day_law, np.arange(len(laws) + 1))
    for r in range(len(laws)):
        first, last = bounds[r], bounds[r + 1]
        if first == last:
            continue
        shape = (n_sim, last - first)
        z = normal_rng.standard_normal(shape)
        if laws.gig is None:
            losses = laws.m[r] + laws.s[r] * z
        else:
            p, a, b = (float(v[r]) for v in laws.gig)
            y = gig_sample(p, a, b, shape[0] * shape[1], law_seeds[r]).reshape(shape)
            losses = laws.m[r] + laws.g[r] * y + laws.s[r] * np.sqrt(y) * z
        for j in range(len(levels)):
            sums[j] += shortfall_ratio_sum(losses, var[first:last, j], es[first:last, j])
    return 1.0 - sums / (n_days * (1.0 - np.asarray(levels))[:, None])
