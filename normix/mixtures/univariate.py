"""Distribution function and quantiles of a univariate mixture law (d = 1), exact in both tails.

A d = 1 mixture (a fitted model of one column, a margin, or a projection wᵀX) is

    R = m + g Y + s √Y Z,   Z ~ N(0, 1),   Y ~ GIG(p, a, b)

(Gamma when b = 0, InverseGamma when a = 0), so F(x) = E_Y[Φ((x − m − g Y)/(s √Y))].
The ``univariate_cdf`` kernels evaluate log F and log(1 − F) as one-dimensional
integrals over the subordinator in log space (each side integrated directly, so both
tails keep their relative accuracy down to 1e-300), and the quantiles by a bracketed
Newton iteration on the log-probability of the smaller side.  See
:mod:`normix._kernels.univariate_cdf_cpu` for the method and its accuracy.

Every function takes a model with ``d = 1``, unbatched or with leading batch axes
(the K laws of ``model.project(W)``); ``x`` (or ``q``) broadcasts against the batch
shape numpy-style, the law's axes last: for K laws, ``x`` of shape (n, K) gives the
n-th point of each law, and ``x[:, None]`` of shape (n, 1) every point under every law.

``backend='cpu'`` runs the numba twin on concrete arrays; ``backend='jax'`` the JAX
twin (jit-able, vmappable, differentiable in x, q and the parameters; the quantile
through the implicit-function theorem).
"""
import numpy as np

from normix._kernels import dispatch
from normix._validation import as_real_array, is_traced
from normix.mixtures._compiled import compiled_kernel


def law_parameters(model):
    """(m, g, s, p, a, b) of a d = 1 mixture, each with the model's batch shape; ``ValueError`` if d != 1."""
    joint = model.joint
    if joint.mu.shape[-1] != 1:
        raise ValueError(f"the distribution function needs a univariate law (d = 1), got d = {joint.mu.shape[-1]}: "
                         "take model.margin([j]) or model.project(w) first")
    p, a, b = joint.gig_params()
    return joint.mu[..., 0], joint.gamma[..., 0], joint.L_Sigma[..., 0, 0], p, a, b


def _points(x, name, backend):
    """``x`` as a float64 array of ``backend``; strings, booleans and complex values raise ``ValueError``."""
    if is_traced(x):
        return x
    return dispatch.to_backend(as_real_array(x, name), backend)


def _probabilities(q, name, backend):
    """``q`` as float64 of ``backend``, checked in [0, 1] when concrete (NaN passes through as NaN)."""
    q = _points(q, name, backend)
    if not is_traced(q):
        values = np.asarray(q)
        bad = (values < 0) | (values > 1)
        if bad.any():
            raise ValueError(f"{name} must be probabilities in [0, 1], got {values[bad][:3]!r}")
    return q


def _evaluate(kernel, model, v, backend):
    params = dispatch.to_backend(law_parameters(model), backend)
    return compiled_kernel(backend, kernel)(v, *params)


def logcdf(model, x, backend="cpu"):
    """log F(x) = log P(R <= x); −inf at x = −inf, 0 at +inf, NaN where x is NaN."""
    return _evaluate("univariate_logcdf", model, _points(x, "x", backend), backend)


def logsf(model, x, backend="cpu"):
    """log(1 − F(x)) = log P(R > x), integrated directly (exact far in the upper tail)."""
    return _evaluate("univariate_logsf", model, _points(x, "x", backend), backend)


def cdf(model, x, backend="cpu"):
    """F(x) = exp(log F(x)); relative accuracy in the lower tail down to 1e-300."""
    return dispatch.array_namespace(backend).exp(logcdf(model, x, backend))


def sf(model, x, backend="cpu"):
    """1 − F(x) = exp(log sf(x)); relative accuracy in the upper tail down to 1e-300."""
    return dispatch.array_namespace(backend).exp(logsf(model, x, backend))


def ppf(model, q, backend="cpu"):
    """The quantile F⁻¹(q) for q in [0, 1] (−inf at 0, +inf at 1); ``ValueError`` for q outside [0, 1]."""
    return _evaluate("univariate_ppf", model, _probabilities(q, "q", backend), backend)


def isf(model, q, backend="cpu"):
    """The x with P(R > x) = q, exact for tiny upper-tail probabilities (q down to 1e-300)."""
    return _evaluate("univariate_isf", model, _probabilities(q, "q", backend), backend)
