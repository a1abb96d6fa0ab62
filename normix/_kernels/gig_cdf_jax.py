"""Distribution function of the GIG law, pure JAX (twin: ``gig_cdf_cpu.py``).

The same window, bisection and Gauss-Legendre rule as the numba twin, whose module
docstring states the method, its accuracy and its edge values.  Branch-free: the
bisection is a ``lax.fori_loop`` and every element runs it on safe stand-in inputs
where its answer is an edge value.
"""
import jax
import jax.numpy as jnp
import numpy as np

from normix._kernels._constants import GIG_CDF_BISECTIONS, GIG_CDF_NODES, GIG_CDF_OVERFLOW_REACH, \
    GIG_CDF_WINDOW_DROP, LOG_2
from normix._kernels.bessel_jax import log_kv

__all__ = ["gig_cdf"]

_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(GIG_CDF_NODES)


def _drop(p, w, u, h_u, step):
    v = u + step
    return h_u - (p * v - w * jnp.cosh(v))


@jax.jit
def gig_cdf(p, a, b, x):
    """P(Y <= x) for Y ~ GIG(p, a, b), elementwise over the broadcast of the inputs (float64)."""
    p, a, b, x = jnp.broadcast_arrays(*(jnp.asarray(v, dtype=jnp.float64) for v in (p, a, b, x)))
    valid = jnp.isfinite(p) & (a > 0.0) & (a < jnp.inf) & (b > 0.0) & (b < jnp.inf) & ~jnp.isnan(x)
    regular = valid & (x > 0.0) & (x < jnp.inf)
    p = jnp.where(regular, p, 1.0)
    sa = jnp.sqrt(jnp.where(regular, a, 1.0))
    sb = jnp.sqrt(jnp.where(regular, b, 1.0))
    w = sa * sb
    u = jnp.log(jnp.where(regular, x, 1.0)) - (jnp.log(sb) - jnp.log(sa))
    sigma = jnp.where(u <= jnp.arcsinh(p / w), -1.0, 1.0)
    h_u = p * u - w * jnp.cosh(u)
    slope = -sigma * (p - w * jnp.sinh(u))
    drop = GIG_CDF_WINDOW_DROP
    hi = jnp.minimum(2.0 * drop / (slope + jnp.sqrt(slope * slope + 2.0 * w * drop)),
                     jnp.abs(u) + GIG_CDF_OVERFLOW_REACH)

    def halve(_, bracket):
        lo, hi = bracket
        mid = 0.5 * (lo + hi)
        above = _drop(p, w, u, h_u, sigma * mid) >= drop
        return jnp.where(above, lo, mid), jnp.where(above, mid, hi)

    _, hi = jax.lax.fori_loop(0, GIG_CDF_BISECTIONS, halve, (jnp.zeros_like(hi), hi))
    steps = (sigma * hi)[..., None] * (0.5 * (_NODES + 1.0))
    terms = _WEIGHTS * jnp.exp(-_drop(p[..., None], w[..., None], u[..., None], h_u[..., None], steps))
    total = jnp.sum(terms, axis=-1)
    piece = jnp.exp(h_u - LOG_2 - log_kv(p, w) + jnp.log(0.5 * hi * total))
    value = jnp.where(sigma < 0.0, piece, 1.0 - piece)
    edge = jnp.where(x <= 0.0, 0.0, 1.0)
    return jnp.where(regular, value, jnp.where(valid, edge, jnp.nan))
