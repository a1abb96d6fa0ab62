"""log K_v(z) for users: one function over both backends, differentiable on JAX.

``backend='jax'`` evaluates the JAX twin under a ``jax.custom_jvp`` whose
tangent uses the kernel's exact partial derivatives, ∂/∂z log K_v(z) =
v/z - K_{v+1}(z)/K_v(z) (DLMF 10.29.2) and ∂/∂v log K_v(z) from the same
quadrature nodes.  ∂/∂v log K_v is itself a ``custom_jvp`` function whose
v-tangent is the exact ∂²/∂v² log K_v, so ``jax.grad(jax.grad(f))`` in v is exact
too, at v = 0 included (autodiff through |v| would lose it there).  The other
second derivatives (∂²/∂z², ∂²/∂v∂z) are autodiff through the JAX twin (its
quadrature or series), accurate to a few units in the last place of the first
derivatives.

``backend='cpu'`` runs the numba twin on concrete arrays and returns numpy
arrays; it raises ``TypeError`` on traced values (inside ``jit``, ``vmap``,
``grad``).
"""
import jax
import jax.numpy as jnp

from normix._kernels import dispatch

__all__ = ["log_kv"]


def _jax_kernels():
    return dispatch.kernels("jax")


@jax.custom_jvp
def _dlogkv_dv(v, z):
    return _jax_kernels().log_kv_derivatives(v, z)[2]


@_dlogkv_dv.defjvp
def _dlogkv_dv_jvp(primals, tangents):
    v, z = primals
    v_dot, z_dot = tangents
    derivatives = _jax_kernels().log_kv_derivatives
    _, _, dv, d2v = derivatives(v, z)
    _, dvz_dot = jax.jvp(lambda zz: derivatives(v, zz)[2], (z,), (z_dot,))
    return dv, d2v * v_dot + dvz_dot


@jax.custom_jvp
def _log_kv_jax(v, z):
    return _jax_kernels().log_kv(v, z)


@_log_kv_jax.defjvp
def _log_kv_jax_jvp(primals, tangents):
    v, z = primals
    v_dot, z_dot = tangents
    log_k, dz, _, _ = _jax_kernels().log_kv_derivatives(v, z)
    return log_k, _dlogkv_dv(v, z) * v_dot + dz * z_dot


def log_kv(v, z, backend="jax"):
    """log K_v(z), the logarithm of the modified Bessel function of the second kind.

    Parameters
    ----------
    v : float or array_like
        Order, any real number (K_{-v} = K_v, DLMF 10.27.3).
    z : float or array_like
        Argument, z > 0.  Accurate for ``|v| <= 500`` and 1e-300 <= z <= 1e300.
    backend : {'jax', 'cpu'}
        ``'jax'``: pure JAX, jit-able, vmappable and differentiable in both ``v``
        and ``z`` with exact first derivatives and an exact ∂²/∂v².
        ``'cpu'``: the numba kernel on concrete arrays (numpy in, numpy out).

    Returns
    -------
    array
        log K_v(z) with the broadcast shape of ``v`` and ``z``, float64.  NaN in
        either argument or z < 0 gives NaN; z = 0 gives +inf; z = +inf gives -inf.
    """
    if not dispatch.traceable(backend):
        return dispatch.kernels(backend).log_kv(v, z)
    v, z = jnp.broadcast_arrays(jnp.asarray(v, dtype=jnp.float64), jnp.asarray(z, dtype=jnp.float64))
    return _log_kv_jax(v, z)
