"""The log-partition triad ψ, ∇ψ, ∇²ψ of the subordinator families, in its JAX and numpy versions.

Each of the six functions is checked against JAX autodiff of ψ and against mpmath at
40 digits: ψ from its closed form (log Γ, log K_p), ∇ψ and ∇²ψ by mpmath's
high-precision numerical differentiation of that closed form.  The numpy versions must
return float64 numpy values without touching JAX (checked with a transfer guard), and
the triad must drive ``solve_bregman`` back to the natural parameters.
"""
import functools

import jax
import jax.numpy as jnp
import mpmath
import numpy as np
import pytest

from normix import Gamma, InverseGamma, InverseGaussian
from normix.distributions.generalized_inverse_gaussian import GIG
from normix.fitting.solvers import solve_bregman

mp = mpmath.mp.clone()
mp.dps = 40


def mp_gamma_psi(t1, t2):
    alpha, beta = t1 + 1, -t2
    return mp.loggamma(alpha) - alpha * mp.log(beta)


def mp_inverse_gamma_psi(t1, t2):
    alpha, beta = -t2 - 1, t1
    return mp.loggamma(alpha) - alpha * mp.log(beta)


def mp_inverse_gaussian_psi(t1, t2):
    return -mp.log(-2 * t2) / 2 - mp.sqrt(4 * t1 * t2)


def mp_gig_psi(t1, t2, t3):
    p, a, b = t1 + 1, -2 * t3, -2 * t2
    return mp.log(2) + mp.log(mp.besselk(p, mp.sqrt(a * b))) + p / 2 * mp.log(b / a)


# (family, mpmath ψ, θ): θ from classical parameters, typical and extreme
CASES = [
    (Gamma, mp_gamma_psi, Gamma(2.5, 1.5)),
    (Gamma, mp_gamma_psi, Gamma(0.05, 40.0)),
    (Gamma, mp_gamma_psi, Gamma(300.0, 0.02)),
    (InverseGamma, mp_inverse_gamma_psi, InverseGamma(3.0, 2.0)),
    (InverseGamma, mp_inverse_gamma_psi, InverseGamma(0.3, 0.01)),
    (InverseGaussian, mp_inverse_gaussian_psi, InverseGaussian(1.3, 2.5)),
    (InverseGaussian, mp_inverse_gaussian_psi, InverseGaussian(0.01, 50.0)),
    (GIG, mp_gig_psi, GIG(0.7, 1.3, 2.1)),
    (GIG, mp_gig_psi, GIG(-2.5, 0.3, 7.0)),
    (GIG, mp_gig_psi, GIG(3.0, 20.0, 0.05)),
]
IDS = [f"{cls.__name__}-{'-'.join(f'{float(v):g}' for v in jax.tree_util.tree_leaves(d))}" for cls, _, d in CASES]


def theta_of(dist):
    return np.asarray(dist.natural_params(), dtype=np.float64)


def mp_reference(psi, theta):
    """(ψ, ∇ψ, ∇²ψ) at θ by mpmath: the closed form and its high-precision derivatives."""
    point = [mp.mpf(float(t)) for t in theta]
    k = len(point)
    value = float(psi(*point))
    grad = np.array([float(mp.diff(psi, point, tuple(int(i == j) for j in range(k)))) for i in range(k)])
    hess = np.empty((k, k))
    for i in range(k):
        for j in range(i, k):
            order = [0] * k
            order[i] += 1
            order[j] += 1
            hess[i, j] = hess[j, i] = float(mp.diff(psi, point, tuple(order)))
    return value, grad, hess


def assert_matches(got, ref, rtol):
    """Entrywise |got − ref| <= rtol · scale, scale = √(|ref_ii ref_jj|) for matrices, |ref_i| for vectors."""
    got = np.asarray(got, dtype=np.float64)
    scale = np.sqrt(np.abs(np.outer(np.diag(ref), np.diag(ref)))) if ref.ndim == 2 else np.abs(ref)
    np.testing.assert_array_less(np.abs(got - ref), rtol * np.maximum(scale, 1e-300) + 1e-300)


@functools.cache
def compiled(cls):
    """One jit per class: the JAX triad, and jax.grad / jax.hessian of its ψ."""
    f, g, h = cls.log_partition_triad("jax")
    return jax.jit(g), jax.jit(h), jax.jit(jax.grad(f)), jax.jit(jax.hessian(f))


@pytest.fixture(scope="module")
def references():
    return {i: mp_reference(psi, theta_of(dist)) for i, (_, psi, dist) in enumerate(CASES)}


def _case_index():
    return pytest.mark.parametrize("index", range(len(CASES)), ids=IDS)


@_case_index()
def test_jax_triad_matches_mpmath_and_autodiff(index, references):
    cls, _, dist = CASES[index]
    theta = jnp.asarray(theta_of(dist))
    psi, grad, hess = references[index]
    f, g, h = cls.log_partition_triad("jax")
    assert (f, g, h) == (cls._log_partition_from_theta, cls._grad_log_partition, cls._hessian_log_partition)
    gradient, hessian, autodiff_gradient, autodiff_hessian = (func(theta) for func in compiled(cls))
    np.testing.assert_allclose(float(f(theta)), psi, rtol=1e-13, atol=1e-13)
    assert_matches(gradient, grad, 1e-12)
    assert_matches(hessian, hess, 1e-10)
    assert_matches(gradient, np.asarray(autodiff_gradient), 1e-12)
    assert_matches(hessian, np.asarray(autodiff_hessian), 1e-10)
    assert isinstance(gradient, jax.Array) and isinstance(hessian, jax.Array)


@_case_index()
def test_numpy_triad_matches_mpmath_and_autodiff(index, references):
    cls, _, dist = CASES[index]
    theta = theta_of(dist)
    psi, grad, hess = references[index]
    f, g, h = cls.log_partition_triad("cpu")
    assert (f, g, h) == (cls._log_partition_cpu, cls._grad_log_partition_cpu, cls._hessian_log_partition_cpu)
    with jax.transfer_guard("disallow"):
        value, gradient, hessian = f(theta), g(theta), h(theta)
    assert isinstance(value, (np.floating, np.ndarray)) and np.asarray(value).shape == ()
    assert isinstance(gradient, np.ndarray) and gradient.dtype == np.float64 and gradient.shape == theta.shape
    assert isinstance(hessian, np.ndarray) and hessian.dtype == np.float64 and hessian.shape == 2 * theta.shape
    np.testing.assert_allclose(float(value), psi, rtol=1e-13, atol=1e-13)
    assert_matches(gradient, grad, 1e-12)
    assert_matches(hessian, hess, 1e-10)
    _, _, autodiff_gradient, autodiff_hessian = compiled(cls)
    assert_matches(gradient, np.asarray(autodiff_gradient(jnp.asarray(theta))), 1e-12)
    assert_matches(hessian, np.asarray(autodiff_hessian(jnp.asarray(theta))), 1e-10)


@pytest.mark.parametrize("cls", [Gamma, InverseGamma, InverseGaussian, GIG])
def test_numpy_triad_refuses_traced_values(cls):
    theta = theta_of(CASES[[c for c, _, _ in CASES].index(cls)][2])
    for func in cls.log_partition_triad("cpu"):
        with pytest.raises(TypeError, match="backend='jax'"):
            jax.jit(func)(theta)


def test_base_class_default_triad_is_autodiff_of_psi():
    """The defaults of ExponentialFamily (used by classes without closed forms) are the compiled autodiff of ψ."""
    base = Gamma.__mro__[2]
    theta = theta_of(Gamma(2.5, 1.5))
    psi, grad, hess = mp_reference(mp_gamma_psi, theta)
    np.testing.assert_allclose(float(base._log_partition_cpu.__func__(Gamma, theta)), psi, rtol=1e-14)
    assert_matches(base._grad_log_partition_cpu.__func__(Gamma, theta), grad, 1e-13)
    assert_matches(base._hessian_log_partition_cpu.__func__(Gamma, theta), hess, 1e-12)
    assert_matches(base._grad_log_partition.__func__(Gamma, jnp.asarray(theta)), grad, 1e-13)
    assert_matches(base._hessian_log_partition.__func__(Gamma, jnp.asarray(theta)), hess, 1e-12)
    assert isinstance(base._grad_log_partition_cpu.__func__(Gamma, theta), np.ndarray)


def test_log_partition_triad_validates_the_backend():
    with pytest.raises(ValueError, match="backend must be one of"):
        GIG.log_partition_triad("gpu")


TRUTH = GIG(1.2, 2.0, 3.0)


def _gig_problem():
    theta = theta_of(TRUTH)
    eta = np.asarray(TRUTH.expectation_params("cpu"))
    return theta, eta, theta * np.array([1.1, 0.9, 1.15])


def test_solve_bregman_with_the_numpy_triad():
    theta, eta, theta0 = _gig_problem()
    result = solve_bregman(GIG._log_partition_cpu, eta, theta0, backend="cpu", method="lbfgs",
                           grad_fn=GIG._grad_log_partition_cpu)
    assert isinstance(result.theta, np.ndarray)
    np.testing.assert_allclose(result.theta, theta, rtol=1e-6)
    assert float(result.grad_norm) < 1e-8


def test_solve_bregman_with_the_jax_triad():
    theta, eta, theta0 = _gig_problem()
    result = solve_bregman(GIG._log_partition_from_theta, eta, theta0, backend="jax", method="newton",
                           grad_fn=GIG._grad_log_partition, hess_fn=GIG._hessian_log_partition)
    assert bool(result.converged)
    np.testing.assert_allclose(np.asarray(result.theta), theta, rtol=1e-10)
