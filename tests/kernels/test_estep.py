"""E-step kernels against independent references.

* ``mixture_log_density``: numerical integration of f(x | y) f_Y(y) over y (scipy's
  GIG, Gamma and InverseGamma densities, quad in t = log y), scipy's univariate GH and
  NIG, and the multivariate Student t for NInvG with gamma = 0.
* ``posterior_moments``: quadrature of the posterior f(x | y) f_Y(y) / f(x).
* ``estep_statistics``: a per-row NumPy loop (triangular solves, the GIG moment kernel,
  the GIG log-partition written out), summed exactly with ``math.fsum``.
* Determinism across thread counts, the VG singularity, and the JAX twin inside
  ``jit``, ``vmap``, ``lax.while_loop`` and ``grad``.
"""
import functools
import hashlib
import math
import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.integrate as si
import scipy.linalg as sl
import scipy.special as sc
import scipy.stats as st

from normix._kernels import dispatch
from normix._kernels._constants import ESTEP_BLOCK_ROWS, ESTEP_FUSED_MAX_DIM, ESTEP_VG_B_FLOOR
from normix._kernels.bessel_cpu import log_kv
from normix._kernels.parity_cases.estep import problem
from normix._kernels.gig_cpu import gig_moments

BACKENDS = ("cpu", "jax")
FAMILIES = {
    "GH": (1.3, 0.8, 1.7),
    "NIG": (-0.5, 1.2, 0.9),
    "VG": (1.8, 1.1, 0.0),
    "NInvG": (-2.5, 0.0, 1.6),
}


@functools.cache
def kernel(backend, name):
    """The twin ``name`` of ``backend``; the JAX twin jitted once (p, a, b traced, so one compile per shape)."""
    func = getattr(dispatch.twin_module("estep", backend), name)
    return jax.jit(func) if backend == "jax" else func


def call(backend, name, *args):
    if backend == "jax":
        args = [jnp.asarray(x, dtype=jnp.float64) for x in args]
    out = kernel(backend, name)(*args)
    return tuple(np.asarray(o) for o in out) if isinstance(out, tuple) else np.asarray(out)


def dims(backend, all_dims):
    """The JAX twin is checked at one dimension (the parity suite ties it to the numba twin at all)."""
    return [(d, backend) for d in (all_dims if backend == "cpu" else all_dims[1:2])]


BACKEND_DIMS = dims("cpu", [1, 2, 5]) + dims("jax", [1, 2, 5])


def few_rows(family, d, n=4, seed=0):
    p, a, b = FAMILIES[family]
    return problem(np.random.default_rng(seed + d), n, d, p, a, b)


# ------------------------------------------------------------------ quadrature
def log_subordinator(y, p, a, b):
    if b == 0.0:
        return st.gamma.logpdf(y, p, scale=2.0 / a)
    if a == 0.0:
        return st.invgamma.logpdf(y, -p, scale=b / 2.0)
    return st.geninvgauss.logpdf(y, p, math.sqrt(a * b), scale=math.sqrt(b / a))


def log_joint_factory(x, mu, gamma, L, p, a, b):
    """t -> log f(x | y) + log f_Y(y) + t at y = e^t, and the posterior mode in t."""
    d = x.size
    Sigma = L @ L.T
    r = x - mu
    Q = r @ np.linalg.solve(Sigma, r)
    A = gamma @ np.linalg.solve(Sigma, gamma)
    lin = r @ np.linalg.solve(Sigma, gamma)
    log_det = np.linalg.slogdet(Sigma)[1]
    nu, alpha, beta = p - d / 2, a + A, b + Q
    y_mode = beta / (-2 * nu) if alpha == 0 else (nu + math.sqrt(nu * nu + alpha * beta)) / alpha

    def log_joint(t):
        y = math.exp(t)
        quad_form = Q / y - 2 * lin + A * y
        return -0.5 * d * math.log(2 * math.pi * y) - 0.5 * log_det - 0.5 * quad_form + log_subordinator(y, p, a, b) + t

    return log_joint, math.log(y_mode)


def _edge(log_joint, t0, peak, direction):
    """A t beyond which the log-concave integrand is below exp(-60) of its peak."""
    step = 1.0
    while log_joint(t0 + direction * step) - peak > -60.0:
        step *= 2.0
    return t0 + direction * step


def posterior_integrals(x, mu, gamma, L, p, a, b, weights):
    """log ∫ f(x|y) f_Y(y) dy and ∫ h(y) f(x|y) f_Y(y) dy / f(x) for each h in ``weights``."""
    log_joint, t0 = log_joint_factory(x, mu, gamma, L, p, a, b)
    peak = log_joint(t0)
    lo, hi = _edge(log_joint, t0, peak, -1.0), _edge(log_joint, t0, peak, 1.0)
    pieces = ((lo, t0 - 1.0), (t0 - 1.0, t0 + 1.0), (t0 + 1.0, hi))

    def integral(h):
        total = 0.0
        for a_, b_ in pieces:
            total += si.quad(lambda t: h(t) * math.exp(log_joint(t) - peak), a_, b_, epsabs=0.0, epsrel=1e-12, limit=400)[0]
        return total

    mass = integral(lambda t: 1.0)
    return peak + math.log(mass), [integral(h) / mass for h in weights]


# ---------------------------------------------------------- log-density oracles
@pytest.mark.parametrize("d,backend", BACKEND_DIMS)
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_log_density_matches_quadrature(family, d, backend):
    X, mu, gamma, L, p, a, b = few_rows(family, d)
    got = call(backend, "mixture_log_density", X, mu, gamma, L, p, a, b)
    expected = [posterior_integrals(x, mu, gamma, L, float(p), float(a), float(b), [])[0] for x in X]
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-10)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("p,a_y,b_y", [(1.3, 0.8, 1.7), (-0.5, 1.2, 0.9), (-2.0, 3.0, 0.4), (4.0, 0.3, 6.0)])
def test_log_density_is_scipy_genhyperbolic_in_one_dimension(p, a_y, b_y, backend):
    mu, gamma, sigma = 0.3, -0.7, 1.9
    x = np.linspace(-12.0, 9.0, 15)
    got = call(backend, "mixture_log_density", x[:, None], np.array([mu]), np.array([gamma]), np.array([[sigma]]), p, a_y, b_y)
    delta = math.sqrt(b_y)
    shape_a = math.sqrt((a_y + (gamma / sigma) ** 2) * b_y)
    shape_b = gamma / sigma * delta
    expected = st.genhyperbolic.logpdf(x, p, shape_a, shape_b, loc=mu, scale=sigma * delta)
    np.testing.assert_allclose(got, expected, rtol=1e-11, atol=1e-12)
    if p == -0.5:
        nig = st.norminvgauss.logpdf(x, shape_a, shape_b, loc=mu, scale=sigma * delta)
        np.testing.assert_allclose(got, nig, rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize("d,backend", BACKEND_DIMS)
def test_ninvg_without_skew_is_multivariate_t(d, backend):
    p, b = -1.7, 2.3
    X, mu, _, L, *_ = problem(np.random.default_rng(d), 4, d, p, 0.0, b, y_scale=30.0)
    gamma = np.zeros(d)
    got = call(backend, "mixture_log_density", X, mu, gamma, L, p, 0.0, b)
    t = st.multivariate_t(loc=mu, shape=L @ L.T * (b / 2) / (-p), df=-2 * p)
    np.testing.assert_allclose(got, t.logpdf(X), rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------- posterior moments
@pytest.mark.parametrize("d,backend", BACKEND_DIMS)
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_posterior_moments_match_quadrature(family, d, backend):
    X, mu, gamma, L, p, a, b = few_rows(family, d, seed=7)
    got = call(backend, "posterior_moments", X, mu, gamma, L, p, a, b)
    weights = [lambda t: t, lambda t: math.exp(-t), lambda t: math.exp(t)]
    expected = np.array([posterior_integrals(x, mu, gamma, L, float(p), float(a), float(b), weights)[1] for x in X]).T
    np.testing.assert_allclose(got[0], expected[0], rtol=1e-10, atol=1e-11)
    np.testing.assert_allclose(got[1], expected[1], rtol=1e-10)
    np.testing.assert_allclose(got[2], expected[2], rtol=1e-10)


# ------------------------------------------------------- statistics reference
def gig_log_partition(p, a, b):
    """ψ(p, a, b) = log ∫ y^(p-1) exp(-(a y + b/y)/2) dy, with the Gamma (b = 0) and InverseGamma (a = 0) limits.

    ``b`` may be an array (of one sign class: all zero or all positive).
    """
    b = np.asarray(b, dtype=np.float64)
    if np.all(b == 0.0):
        return sc.gammaln(p) - p * math.log(a / 2) + 0.0 * b
    if a == 0.0:
        return sc.gammaln(-p) + p * np.log(b / 2)
    return math.log(2.0) + log_kv(p, np.sqrt(a * b)) + 0.5 * p * np.log(b / a)


def reference_statistics(X, mu, gamma, L, p, a, b):
    """(s1, s2, s3, s4, s5, S6, mean log f) from an explicit loop over rows, summed in extended precision.

    Returns each mean with the mean absolute value of its terms (the scale of its rounding).
    """
    n, d = X.shape
    g = sl.solve_triangular(L, gamma, lower=True)
    nu, alpha = p - d / 2, a + g @ g
    z = np.array([sl.solve_triangular(L, x - mu, lower=True) for x in X])
    beta = np.array([b + zi @ zi for zi in z])
    if b == 0.0:
        beta = np.maximum(beta, ESTEP_VG_B_FLOOR * d / alpha)
    e_log, e_inv, e_y = gig_moments(nu, alpha, beta)
    log_f = -0.5 * d * math.log(2 * math.pi) - np.log(np.diag(L)).sum() - gig_log_partition(p, a, b) \
        + gig_log_partition(nu, alpha, beta) + z @ g
    shapes = [(), (), (), (d,), (d,), (d, d), ()]
    sums = [np.zeros(shape, dtype=np.longdouble) for shape in shapes]
    scales = [np.zeros(shape) for shape in shapes]
    for i, x in enumerate(X):
        for k, term in enumerate((e_log[i], e_inv[i], e_y[i], x, e_inv[i] * x, e_inv[i] * np.outer(x, x), log_f[i])):
            sums[k] += np.asarray(term, dtype=np.longdouble)
            scales[k] += np.abs(term)
    return [(np.asarray(total / n, dtype=np.float64), scale / n) for total, scale in zip(sums, scales)]


STAT_PROBLEMS = {
    "GH-d3": (600, 3, 1.3, 0.8, 1.7),
    "NIG-d2": (3000, 2, -0.5, 1.2, 0.9),
    "VG-d4": (700, 4, 1.8, 1.1, 0.0),
    "NInvG-d1": (500, 1, -2.5, 0.0, 1.6),
    "GH-blocked": (ESTEP_BLOCK_ROWS + 300, ESTEP_FUSED_MAX_DIM + 2, -1.1, 2.0, 0.7),
}


@pytest.mark.parametrize("key,backend", [(k, "cpu") for k in sorted(STAT_PROBLEMS)] + [("NIG-d2", "jax")])
def test_statistics_equal_per_row_reference(key, backend):
    n, d, p, a, b = STAT_PROBLEMS[key]
    args = problem(np.random.default_rng(11), n, d, p, a, b)
    if key.startswith("VG"):
        X = args[0].copy()
        X[:2] = args[1]
        args = (X,) + args[1:]
    got = call(backend, "estep_statistics", *args)
    expected = reference_statistics(*args[:4], p, a, b)
    assert np.asarray(got[5]).shape == (d, d)
    np.testing.assert_array_equal(got[5], got[5].T)
    for k, (value, (ref, scale)) in enumerate(zip(got, expected)):
        np.testing.assert_allclose(value, ref, rtol=1e-12, atol=1e-12 * np.max(scale), err_msg=f"output {k}")


@pytest.mark.parametrize("backend", BACKENDS)
def test_statistics_are_row_means_of_posterior_moments(backend):
    args = few_rows("GH", 2, seed=3)
    stats = call(backend, "estep_statistics", *args)
    e_log, e_inv, e_y = call(backend, "posterior_moments", *args)
    log_f = call(backend, "mixture_log_density", *args)
    X = args[0]
    for value, expected in zip(stats, (e_log.mean(), e_inv.mean(), e_y.mean(), X.mean(0), e_inv @ X / len(X),
                                       (X * e_inv[:, None]).T @ X / len(X), log_f.mean())):
        np.testing.assert_allclose(value, expected, rtol=1e-12)


# ------------------------------------------------------------- VG singularity
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("p", [0.4, 1.5, 4.0])
def test_vg_at_mu(p, backend):
    """f(mu) is +inf for nu = p - d/2 <= 0 and the Gamma-limit value above; statistics stay finite."""
    d, a = 2, 3.0
    X, mu, gamma, L, *_ = problem(np.random.default_rng(5), 4, d, p, a, 0.0)
    X[0] = mu
    log_f = call(backend, "mixture_log_density", X, mu, gamma, L, p, a, 0.0)
    nu = p - d / 2
    alpha = a + gamma @ np.linalg.solve(L @ L.T, gamma)
    if nu <= 0:
        assert log_f[0] == np.inf
    else:
        expected = (-0.5 * d * math.log(2 * math.pi) - np.log(np.diag(L)).sum() - gig_log_partition(p, a, 0.0)
                    + gig_log_partition(nu, alpha, 0.0))
        np.testing.assert_allclose(log_f[0], expected, rtol=1e-13)
    assert np.isfinite(log_f[1:]).all()
    moments = call(backend, "posterior_moments", X, mu, gamma, L, p, a, 0.0)
    floor = ESTEP_VG_B_FLOOR * d / alpha
    np.testing.assert_allclose([m[0] for m in moments], [float(m) for m in gig_moments(nu, alpha, floor)], rtol=1e-12)
    stats = call(backend, "estep_statistics", X, mu, gamma, L, p, a, 0.0)
    assert all(np.isfinite(s).all() for s in stats)


# ------------------------------------------------------------- determinism
_THREAD_SCRIPT = """
import hashlib, numpy as np
from normix._kernels import estep_cpu
from normix._kernels.parity_cases.estep import problem
h = hashlib.sha256()
for n, d in ((5000, 3), ({block} + 700, {blocked_dim})):
    args = problem(np.random.default_rng(d), n, d, 1.3, 0.8, 1.7)
    for name in ("mixture_log_density", "posterior_moments", "estep_statistics"):
        out = getattr(estep_cpu, name)(*args)
        for o in (out if isinstance(out, tuple) else (out,)):
            h.update(np.ascontiguousarray(o).tobytes())
print(h.hexdigest())
"""


def test_cpu_results_do_not_depend_on_thread_count():
    script = _THREAD_SCRIPT.format(block=ESTEP_BLOCK_ROWS, blocked_dim=ESTEP_FUSED_MAX_DIM + 2)
    digests = []
    for threads in ("1", "2"):
        env = dict(os.environ, NUMBA_NUM_THREADS=threads)
        run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
        digests.append(run.stdout.strip())
    assert digests[0] == digests[1] and len(digests[0]) == len(hashlib.sha256().hexdigest())


# ------------------------------------------------------------- JAX twin usage
def test_jax_twin_inside_while_loop_matches_eager():
    args = [jnp.asarray(x) for x in few_rows("NIG", 2)]
    stats = dispatch.twin_module("estep", "jax").estep_statistics

    def body(state):
        k, total = state
        return k + 1, total + stats(*args)[6]

    _, total = jax.jit(lambda: jax.lax.while_loop(lambda s: s[0] < 3, body, (0, jnp.zeros(()))))()
    np.testing.assert_allclose(total, 3 * call("jax", "estep_statistics", *args)[6], rtol=1e-14)


@functools.cache
def log_likelihood_gradient():
    stats = dispatch.twin_module("estep", "jax").estep_statistics
    return jax.jit(jax.grad(lambda X, mu, gamma, L, p, a, b: stats(X, mu, gamma, L, p, a, b)[6], argnums=(1, 2, 3)))


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_jax_gradients_are_finite(family):
    """At a row on mu (VG singularity, floored) and gamma = 0 for NInvG (InverseGamma posterior)."""
    X, mu, gamma, L, p, a, b = few_rows(family, 2, seed=2)
    X = X.copy()
    X[0] = mu
    if family == "NInvG":
        gamma = np.zeros_like(gamma)
    grads = log_likelihood_gradient()(*(jnp.asarray(x) for x in (X, mu, gamma, L, p, a, b)))
    assert all(bool(jnp.isfinite(g).all()) for g in grads)
