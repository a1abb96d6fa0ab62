"""EM with missing entries: the E-step of the rows' observed coordinates, grouped by missingness pattern.

NaN marks a missing entry.  Split a row x into its observed coordinates o and its
missing ones m.  Under X = μ + γY + √Y Z with Z ~ N(0, Σ):

* the observed sub-vector is a normal variance-mean mixture of the same family, with
  the same subordinator Y ~ GIG(p, a, b) and parameters (μ_o, γ_o, Σ_oo); so its
  density is the family's marginal density in dimension d_o = |o|, and
  Y | x_o ~ GIG(p - d_o/2, a + γ_oᵀΣ_oo⁻¹γ_o, b + Q_o), Q_o = (x_o - μ_o)ᵀΣ_oo⁻¹(x_o - μ_o);
* given Y = y, (x_o, x_m) is normal, so x_m | x_o, y ~ N(c + h y, y S) with

      K = Σ_oo⁻¹Σ_om,   c = μ_m + Kᵀ(x_o - μ_o),   h = γ_m - Kᵀγ_o,   S = Σ_mm - Σ_mo K

  (S is the Schur complement Σ_m|o).

With w = E[1/Y | x_o], u = E[Y | x_o], the complete-data statistics of EM given x_o are
therefore closed forms in the posterior GIG moments (McLachlan & Krishnan 2008,
Sect. 2.2 for EM with missing data; the same algebra as for the multivariate t,
Liu & Rubin 1995)::

    E[log Y], E[1/Y] = w, E[Y] = u                 (the posterior GIG of x_o)
    E[x_m] = c + h u,   E[x_m/Y] = c w + h
    E[x_o x_mᵀ/Y] = x_o (c w + h)ᵀ
    E[x_m x_mᵀ/Y] = c cᵀ w + c hᵀ + h cᵀ + h hᵀ u + S

so the M-step (``normal_m_step`` and the subordinator update) is the exact M-step of
the complete-data likelihood, and EM increases the observed-data log-likelihood
Σ_i log f_{d_o(i)}(x_{o(i)}) at every iteration (Dempster, Laird & Rubin 1977).

Rows sharing a pattern share (K, h, S, the Cholesky factor of Σ_oo), and c is affine
in x_o.  So the E-step whitens each pattern's rows with its Cholesky factor of Σ_oo
(giving Q_o and the linear term of log f(x_o)), evaluates every row's posterior GIG
with one call of the ``gig_log_partition_moments`` kernel (ψ and the three moments), and
forms per pattern the row means of E[log Y], w, u, x_o, w x_o, w x_o x_oᵀ; the missing
blocks follow by the algebra above, in O(d³) per pattern.  With e = μ_m - Kᵀμ_o and
means over the pattern's rows (a bar)::

    mean E[x_m]          = e + Kᵀ x̄_o + h ū
    mean E[x_m/Y]        = e w̄ + Kᵀ (w x_o)‾ + h
    mean E[x_o x_mᵀ/Y]   = (w x_o)‾ eᵀ + (w x_o x_oᵀ)‾ K + x̄_o hᵀ
    mean E[x_m x_mᵀ/Y]   = w̄ e eᵀ + e vᵀ + v eᵀ + Kᵀ (w x_o x_oᵀ)‾ K + c̄ hᵀ + h c̄ᵀ + ū h hᵀ + S

with v = Kᵀ (w x_o)‾ and c̄ = e + Kᵀ x̄_o.  The statistics of all rows are the patterns'
means weighted by their row counts.  When b = 0 (VG) the posterior's b + Q_o is floored
as in the complete-data E-step, so the reported log-likelihood is that of the floored
posterior at rows within the floor of μ_o.

The data of a fit travel as :class:`MissingRows` (a pytree of one array of observed
values per pattern), and the patterns as static index tuples of the hashable adapter
:class:`MissingRowsAdapter`, so the compiled JAX loop stays one program (one copy of the
Bessel evaluation whatever the number of patterns).

Supported: the in-memory fits of ``NormalMixture.fit`` and ``BatchEMFitter.fit`` on
both backends.  A dask array or a row-sharded JAX array with ``missing='em'`` raises
``NotImplementedError``; ``fit_many`` and the online and mini-batch fitters take no
``missing`` option and refuse NaN.
"""
import dataclasses
from typing import Any, NamedTuple

import jax
import numpy as np
import scipy.linalg

from normix._em.delegate import AbstractRowsAdapter
from normix._em.protocol import MixtureStatistics
from normix._kernels import dispatch
from normix._kernels._constants import ESTEP_VG_B_FLOOR, HALF_LOG_2PI
from normix._validation import as_real_array, is_traced

MISSING = ("raise", "em")


def validate_missing(missing):
    """``missing`` if it is one of :data:`MISSING`, else ``ValueError`` naming it and the allowed values."""
    if not isinstance(missing, str) or missing not in MISSING:
        raise ValueError(f"missing must be one of {MISSING!r}, got {missing!r}")
    return missing


def _shown(indices, limit=5):
    return ", ".join(str(int(i)) for i in indices[:limit]) + (", ..." if len(indices) > limit else "")


def refuse_nan(X):
    """Raise ``ValueError`` naming the rows and columns of NaN in the concrete array ``X`` (``missing='raise'``).

    Other shapes and non-finite values are left to the family's own validation.
    """
    if is_traced(X) or not hasattr(X, "shape") or len(X.shape) != 2:
        return
    try:
        values = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError):
        return
    nan = np.isnan(values)
    if nan.any():
        rows, cols = np.flatnonzero(nan.any(axis=1)), np.flatnonzero(nan.any(axis=0))
        raise ValueError(f"X must be finite: {rows.size} row(s) hold NaN (rows {_shown(rows)}; columns "
                         f"{_shown(cols)}); NormalMixture.fit and BatchEMFitter.fit treat NaN as missing entries with "
                         "missing='em'")


def validate_missing_data(X, d):
    """``X`` as a float64 (n, d) numpy array whose NaN entries are missing values, or ``ValueError``.

    Refused: the wrong shape, ±inf, a row with every entry missing, a column with no
    observed entry or a single observed value, and fewer than d + 2 rows.
    """
    X = as_real_array(X, "X")
    if X.ndim != 2 or X.shape[1] != d:
        raise ValueError(f"X must have shape (n, {d}) (n observations of dimension d = {d}), got shape {X.shape}")
    if X.shape[0] < d + 2:
        raise ValueError(f"X must have at least {d + 2} row(s) to fit a model of this dimension, got {X.shape[0]}")
    inf = np.isinf(X)
    if inf.any():
        rows = np.flatnonzero(inf.any(axis=1))
        raise ValueError(f"X must not hold inf (NaN marks a missing entry): {rows.size} row(s) hold inf "
                         f"(rows {_shown(rows)})")
    observed = ~np.isnan(X)
    empty = np.flatnonzero(~observed.any(axis=1))
    if empty.size:
        raise ValueError(f"X must have at least one observed entry in every row: {empty.size} row(s) are all NaN "
                         f"(rows {_shown(empty)}); drop them, they carry no information")
    with np.errstate(invalid="ignore"):
        spread = np.nanmax(np.where(observed, X, -np.inf), axis=0) - np.nanmin(np.where(observed, X, np.inf), axis=0)
    constant = np.flatnonzero(~(spread > 0))
    if constant.size:
        raise ValueError(f"X must have at least two distinct observed values in every column: column(s) "
                         f"{_shown(constant)} are constant or entirely missing, so Sigma is not identified")
    return X


# Floor of the eigenvalues of a pairwise-complete covariance, relative to their mean.
_EIGEN_FLOOR = 1e-6


def pairwise_moments(X):
    """(mean, covariance) of ``X`` with NaN entries: column means of the observed entries and the
    pairwise-complete covariance, eigenvalues floored at 1e-6 times their mean (positive definite).

    A pair of columns never observed together gets covariance 0.
    """
    observed = ~np.isnan(X)
    mu = np.array([X[observed[:, j], j].mean() for j in range(X.shape[1])])
    centred = np.where(observed, X - mu, 0.0)
    counts = observed.T.astype(np.float64) @ observed
    sigma = (centred.T @ centred) / np.maximum(counts - 1.0, 1.0)
    values, vectors = np.linalg.eigh(0.5 * (sigma + sigma.T))
    values = np.maximum(values, _EIGEN_FLOOR * np.mean(np.abs(values)))
    return mu, (vectors * values) @ vectors.T


class MissingRows(NamedTuple):
    """The rows of a fit with missing entries, grouped by pattern (a pytree of arrays).

    ``values[k]`` holds the observed entries (n_k, d_k) of the rows of pattern k, and
    ``rows[k]`` their indices in the original ``X``; ``shape`` is the original (n, d).
    """

    values: Any
    rows: Any
    n: int
    d: int

    @property
    def shape(self):
        return self.n, self.d


def group_rows(X):
    """``(patterns, MissingRows)`` of a validated ``X``: patterns are tuples of observed column indices.

    Patterns are ordered by decreasing number of observed entries, then by first row;
    rows keep their order within a pattern.  A complete ``X`` gives one pattern
    ``(0, ..., d - 1)`` whose values are ``X`` itself.
    """
    n, d = X.shape
    observed = ~np.isnan(X)
    keys, inverse = np.unique(observed, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    first = np.array([np.argmax(inverse == k) for k in range(len(keys))])
    order = sorted(range(len(keys)), key=lambda k: (-int(keys[k].sum()), first[k]))
    patterns, values, rows = [], [], []
    for k in order:
        columns = np.flatnonzero(keys[k])
        members = np.flatnonzero(inverse == k)
        patterns.append(tuple(int(j) for j in columns))
        values.append(X if len(keys) == 1 else np.ascontiguousarray(X[np.ix_(members, columns)]))
        rows.append(members)
    return tuple(patterns), MissingRows(tuple(values), tuple(rows), n, d)


def _solve_lower(backend, L, B, trans=False):
    """L⁻¹B (``trans``: L⁻ᵀB) for a lower-triangular L, on ``backend``'s arrays."""
    if dispatch.traceable(backend):
        return jax.scipy.linalg.solve_triangular(L, B, lower=True, trans=1 if trans else 0)
    return scipy.linalg.solve_triangular(L, B, lower=True, trans=1 if trans else 0)


def whiten_pattern(xp, backend, values, observed, state, gig):
    """Per-row (Q_o, lin_o) and the pattern's (L_oo, ν, α, log f's row-free part, VG floor of β).

    With L_oo the Cholesky factor of Σ_oo, z = L_oo⁻¹(x_o - μ_o), g = L_oo⁻¹γ_o:
    Q_o = |z|², lin_o = z·g, ν = p - d_o/2, α = a + |g|², and
    log f(x_o) = -(d_o/2) log 2π - log|L_oo| - ψ(p, a, b) + ψ(ν, α, b + Q_o) + lin_o.
    When b = 0 the E-step raises b + Q_o to ``ESTEP_VG_B_FLOOR * d_o / α`` (as the
    complete-data E-step does, :mod:`normix._kernels.estep_cpu`).
    """
    p, a, b = gig
    o = np.asarray(observed)
    if np.array_equal(o, np.arange(o.size)):
        L_oo = state.L_Sigma[: o.size, : o.size]
    else:
        L_Sigma = state.L_Sigma
        L_oo = xp.linalg.cholesky((L_Sigma @ L_Sigma.T)[np.ix_(o, o)])
    g = _solve_lower(backend, L_oo, state.gamma[o])
    Z = _solve_lower(backend, L_oo, (values - state.mu[o]).T)
    alpha = a + g @ g
    const = -o.size * HALF_LOG_2PI - xp.sum(xp.log(xp.diagonal(L_oo)))
    beta_min = xp.where(b == 0.0, ESTEP_VG_B_FLOOR * o.size / alpha, 0.0)
    return L_oo, xp.sum(Z * Z, axis=0), g @ Z, p - 0.5 * o.size, alpha, const, beta_min


def complete_pattern(xp, backend, values, observed, missing, state, L_oo, moments):
    """Row means of the complete-data statistics of one pattern's rows, in (observed, missing) order.

    ``moments`` are the rows' posterior (E log Y, E 1/Y, E Y); returns (s1, s2, s3, s4, s5, S6)
    with s4, s5, S6 over the coordinates ``observed + missing`` (module docstring).
    """
    e1, w, e3 = moments
    n = values.shape[0]
    s1, s2, s3 = xp.mean(e1), xp.mean(w), xp.mean(e3)
    xo = xp.mean(values, axis=0)
    weighted = values * w[:, None]
    wxo = xp.mean(weighted, axis=0)
    Woo = weighted.T @ values / n
    Woo = 0.5 * (Woo + Woo.T)
    if not missing:
        return s1, s2, s3, xo, wxo, Woo
    o, m = np.asarray(observed), np.asarray(missing)
    Sigma = state.L_Sigma @ state.L_Sigma.T
    K = _solve_lower(backend, L_oo, _solve_lower(backend, L_oo, Sigma[np.ix_(o, m)]), trans=True)
    S = Sigma[np.ix_(m, m)] - Sigma[np.ix_(m, o)] @ K
    e = state.mu[m] - K.T @ state.mu[o]
    h = state.gamma[m] - K.T @ state.gamma[o]
    v = K.T @ wxo
    c_bar = e + K.T @ xo
    xm = c_bar + h * s3
    wxm = e * s2 + v + h
    Wom = xp.outer(wxo, e) + Woo @ K + xp.outer(xo, h)
    Wmm = (s2 * xp.outer(e, e) + xp.outer(e, v) + xp.outer(v, e) + K.T @ Woo @ K + xp.outer(c_bar, h)
           + xp.outer(h, c_bar) + s3 * xp.outer(h, h) + S)
    Wmm = 0.5 * (Wmm + Wmm.T)
    W = xp.concatenate([xp.concatenate([Woo, Wom], axis=1), xp.concatenate([Wom.T, Wmm], axis=1)], axis=0)
    return s1, s2, s3, xp.concatenate([xo, xm]), xp.concatenate([wxo, wxm]), W


@dataclasses.dataclass(frozen=True)
class MissingRowsAdapter(AbstractRowsAdapter):
    """E-step of a family on rows with missing entries (``fit(X, missing='em')``).

    ``patterns`` are the observed column indices of each pattern (static, so the
    adapter is hashable and the compiled loop one program per set of patterns); the
    data are a :class:`MissingRows`.  The E-step returns the exact complete-data
    statistics given the observed entries and the mean observed-data log-likelihood
    (module docstring); every other protocol method is the wrapped family's.
    """

    patterns: tuple = ()
    d: int = 0

    def em_e_step(self, X, state, backend):
        """(MixtureStatistics, mean observed-data log-likelihood) of the rows in ``X`` (a :class:`MissingRows`)."""
        if dispatch.traceable(backend) and not is_traced(*jax.tree_util.tree_leaves((X.values, state))):
            return _compiled_statistics(self, X.values, state)
        return self.statistics(X.values, state, backend)

    def statistics(self, values, state, backend):
        """The E-step on the per-pattern observed values ``values`` (see :meth:`em_e_step`).

        Every row's posterior GIG(ν_k, α_k, b + Q_o) is evaluated by one call of the
        ``gig_log_partition_moments`` kernel, so that a compiled program holds one copy of
        the Bessel evaluation whatever the number of patterns.
        """
        xp = dispatch.array_namespace(backend)
        kernels = dispatch.kernels(backend)
        gig = self.family.em_gig(state.subordinator)
        p, a, b = gig
        whitened = [whiten_pattern(xp, backend, rows, observed, state, gig)
                    for observed, rows in zip(self.patterns, values)]
        sizes = [rows.shape[0] for rows in values]

        def per_row(j):
            return xp.concatenate([xp.broadcast_to(w[j], (size,)) for w, size in zip(whitened, sizes)])

        q, lin, nu, alpha, const, beta_min = (per_row(j) for j in range(1, 7))
        psi, e1, w, e3 = kernels.gig_log_partition_moments(nu, alpha, xp.maximum(b + q, beta_min))
        log_f = const - kernels.gig_log_partition_moments(p, a, b)[0] + psi + lin
        n = sum(sizes)
        totals, stop = None, 0
        for observed, rows, white in zip(self.patterns, values, whitened):
            start, stop = stop, stop + rows.shape[0]
            missing = tuple(j for j in range(self.d) if j not in observed)
            moments = (e1[start:stop], w[start:stop], e3[start:stop])
            s1, s2, s3, s4, s5, S6 = complete_pattern(xp, backend, rows, observed, missing, state, white[0], moments)
            order = np.argsort(np.asarray(observed + missing))
            stats = (s1, s2, s3, s4[order], s5[order], S6[np.ix_(order, order)])
            share = rows.shape[0] / n
            weighted = tuple(share * s for s in stats) if len(values) > 1 else stats
            totals = weighted if totals is None else tuple(t + s for t, s in zip(totals, weighted))
        return MixtureStatistics(*totals), xp.mean(log_f)

    def em_nearest_row(self, X, state):
        """(index, Q_o) of the row nearest to μ_o in its observed coordinates, among the patterns where the
        density at μ_o is infinite (all patterns if there is none)."""
        mu, L = np.asarray(state.mu), np.asarray(state.L_Sigma)
        Sigma = L @ L.T
        candidates = [k for k, o in enumerate(self.patterns) if self.family.em_unbounded_at_mu(state, len(o))]
        best = (0, np.inf)
        for k in candidates or range(len(self.patterns)):
            o = np.asarray(self.patterns[k])
            L_oo = np.linalg.cholesky(Sigma[np.ix_(o, o)])
            z = scipy.linalg.solve_triangular(L_oo, (np.asarray(X.values[k]) - mu[o]).T, lower=True)
            q = np.sum(z * z, axis=0)
            i = int(np.argmin(q))
            if q[i] < best[1]:
                best = (int(np.asarray(X.rows[k])[i]), float(q[i]))
        return best

    def em_unbounded_at_mu(self, state, d):
        """The wrapped family's test in the largest observed dimension (the density of x_o at μ_o is
        infinite there first)."""
        return self.family.em_unbounded_at_mu(state, max(len(o) for o in self.patterns))


_compiled_statistics = jax.jit(lambda adapter, values, state: adapter.statistics(values, state, "jax"),
                               static_argnums=(0,))


def missing_rows(model, X):
    """``(adapter, MissingRows)`` of a fit of ``model`` on ``X`` with NaN as missing entries."""
    family = type(model)
    patterns, data = group_rows(validate_missing_data(X, model.d))
    return MissingRowsAdapter(family, patterns, model.d), data

