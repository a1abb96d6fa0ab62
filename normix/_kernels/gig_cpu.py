"""Generalized inverse Gaussian kernels, numba twin (twin: ``gig_jax.py``).

GIG(p, a, b) has density y^(p-1) exp(-(a y + b/y)/2) / Z on y > 0, sufficient
statistics t(y) = (log y, 1/y, y), natural parameters θ = (p - 1, -b/2, -a/2) and
log-partition

    ψ(θ) = log 2 + log K_p(w) + (p/2) log(b/a),   w = sqrt(ab),  s = sqrt(b/a).

Kernels
-------
``gig_moments(p, a, b)``
    η = ∇ψ = (E log Y, E 1/Y, E Y).
``gig_fisher(p, a, b)``
    ∇²ψ = Cov t(Y), shape (..., 3, 3).
``gig_eta_to_theta(eta, theta0, maxiter, tol)``
    The inverse map η → (p, a, b) by damped Newton on the convex dual, batched.

The formulas and the solver are documented in :mod:`normix._kernels.gig_core_cpu`,
which holds the scalar cores; this module holds the array kernels and wrappers.
"""
import numpy as np

from normix._kernels._constants import GIG_SERIAL_MAX_PROBLEMS, LOG_KV_SERIAL_MAX_SIZE
from normix._kernels._numba import array_kernel, prange, readonly, scalar_core
from normix._kernels.gig_core_cpu import fisher_scalar, moments_scalar
from normix._kernels.gig_solve_cpu import solve_scalar

__all__ = ["gig_moments", "gig_fisher", "gig_eta_to_theta"]


@array_kernel(LOG_KV_SERIAL_MAX_SIZE)
def _moments_kernel(p, a, b, out):
    for i in prange(p.size):
        out[0, i], out[1, i], out[2, i] = moments_scalar(p[i], a[i], b[i])


@array_kernel(LOG_KV_SERIAL_MAX_SIZE)
def _fisher_kernel(p, a, b, out):
    for i in prange(p.size):
        h11, h12, h13, h22, h23, h33 = fisher_scalar(p[i], a[i], b[i])
        out[i, 0, 0] = h11
        out[i, 0, 1] = h12
        out[i, 0, 2] = h13
        out[i, 1, 0] = h12
        out[i, 1, 1] = h22
        out[i, 1, 2] = h23
        out[i, 2, 0] = h13
        out[i, 2, 1] = h23
        out[i, 2, 2] = h33


@scalar_core
def _solve_row(eta, theta0, maxiter, tol, params, converged, n_iter, i):
    p, a, b, ok, k = solve_scalar(eta[i, 0], eta[i, 1], eta[i, 2], theta0[i, 0], theta0[i, 1], theta0[i, 2], maxiter, tol)
    params[i, 0] = p
    params[i, 1] = a
    params[i, 2] = b
    converged[i] = ok
    n_iter[i] = k


@array_kernel(GIG_SERIAL_MAX_PROBLEMS)
def _solve_kernel(eta, theta0, maxiter, tol, params, converged, n_iter):
    for i in prange(eta.shape[0]):
        _solve_row(eta, theta0, maxiter, tol, params, converged, n_iter, i)


def _flat(p, a, b):
    p, a, b = np.broadcast_arrays(*(np.asarray(x, dtype=np.float64) for x in (p, a, b)))
    return p.shape, *readonly(*(np.ascontiguousarray(x).ravel() for x in (p, a, b)))


def gig_moments(p, a, b):
    """Expectation parameters (E log Y, E 1/Y, E Y) of GIG(p, a, b), broadcast over the inputs.

    With w = sqrt(ab), s = sqrt(b/a) and R_v = K_{v+1}(w)/K_v(w):
    E Y = s R_p, E 1/Y = R_{-p}/s (the law of 1/Y is GIG(-p, b, a)), and
    E log Y = log s + ∂/∂p log K_p(w).

    Edge values: b = 0 with p > 0 is Gamma(p, rate a/2) (E log Y = ψ(p) - log(a/2),
    E 1/Y = a/(2(p-1)) for p > 1, else +inf; E Y = 2p/a); a = 0 with p < 0 is
    InverseGamma(-p, rate b/2).  Every other input outside a, b > 0 finite (improper
    limits, negative or infinite a or b, NaN) gives NaN.
    """
    shape, p, a, b = _flat(p, a, b)
    out = np.empty((3, p.size))
    _moments_kernel.run(p.size, p, a, b, out)
    return tuple(row.reshape(shape) for row in out)


def gig_fisher(p, a, b):
    """Fisher information ∇²ψ(θ) = Cov t(Y) of GIG(p, a, b), shape ``broadcast_shape + (3, 3)``.

    Rows and columns follow t(y) = (log y, 1/y, y), i.e. θ = (p - 1, -b/2, -a/2).  The
    limits b = 0 (Gamma) and a = 0 (InverseGamma) are exact, with +inf or -inf for the
    entries whose moments do not exist; other inputs outside the domain give NaN.
    """
    shape, p, a, b = _flat(p, a, b)
    out = np.empty((p.size, 3, 3))
    _fisher_kernel.run(p.size, p, a, b, out)
    return out.reshape(shape + (3, 3))


def gig_eta_to_theta(eta, theta0, maxiter, tol):
    """Classical parameters (p, a, b) of GIG laws from their expectation parameters, one problem per row.

    Parameters
    ----------
    eta : array_like, shape (..., 3)
        Rows (E log Y, E 1/Y, E Y).
    theta0 : array_like, broadcastable to eta's shape
        Warm starts as classical parameters (p, a, b); a row with a non-finite p, or an
        a or b outside (0, inf), asks for the seeds (InverseGaussian, Gamma, InverseGamma).
    maxiter : int
        Newton steps allowed per problem.
    tol : float
        Convergence when |E log Y(θ) - η₁| <= tol and the relative errors of E 1/Y and
        E Y are <= tol (in the rescaled problem; see :mod:`normix._kernels.gig_solve_cpu`).

    Returns
    -------
    params : ndarray, shape (..., 3)
        (p, a, b); NaN rows where η is invalid (not finite, E[1/Y] E[Y] <= 1, or
        E log Y outside (-log E[1/Y], log E[Y])).
    converged : ndarray of bool, shape (...)
        Whether the tolerance is met at the returned parameters (False for invalid η).
    n_iter : ndarray of int64, shape (...)
        Newton steps taken (0 for invalid η).
    """
    eta = np.asarray(eta, dtype=np.float64)
    batch = eta.shape[:-1]
    theta0 = np.ascontiguousarray(np.broadcast_to(np.asarray(theta0, dtype=np.float64), eta.shape).reshape(-1, 3))
    eta, theta0 = readonly(np.ascontiguousarray(eta.reshape(-1, 3)), theta0)
    n = eta.shape[0]
    params = np.empty((n, 3))
    converged = np.empty(n, dtype=np.bool_)
    n_iter = np.empty(n, dtype=np.int64)
    _solve_kernel.run(n, eta, theta0, int(maxiter), float(tol), params, converged, n_iter)
    return params.reshape(batch + (3,)), converged.reshape(batch), n_iter.reshape(batch)
