"""Parameter maps between univariate GH / NIG laws and ``scipy.stats.genhyperbolic`` / ``norminvgauss``.

A univariate GH law X = μ + γY + σ√Y Z, Y ~ GIG(p, a, b), has the density
(Barndorff-Nielsen 1977, in the (λ, α, β, δ, μ) form)

    f(x) ∝ K_{p-1/2}(α √(δ² + (x - μ)²)) / (δ² + (x - μ)²)^((1/2 - p)/2) · exp(β(x - μ)),

    α = √(a + γ²/σ²) / σ,   β = γ/σ²,   δ = σ√b,

which follows from the mixture density with Q = (x - μ)²/σ²:
√((a + γ²/σ²)(b + Q)) = α √(δ² + (x - μ)²) and (x - μ)γ/σ² = β(x - μ).  scipy writes the
same law in the standardised variable u = (x - loc)/scale with loc = μ, scale = δ:

    genhyperbolic(p, a_s, b_s): f(u) ∝ K_{p-1/2}(a_s √(1 + u²)) (1 + u²)^((p - 1/2)/2) e^(b_s u),
    a_s = αδ = √(b (a + γ²/σ²)),   b_s = βδ = γ√b/σ,

and ``norminvgauss(a_s, b_s)`` is the case p = -1/2.  scipy needs a_s > ``|b_s|``, i.e. a > 0,
and δ > 0, i.e. b > 0: the Gamma (b = 0) and InverseGamma (a = 0) limits have no scipy
form.

The inverse map meets GH's scale invariance ((μ, γ/c, σ²/c, cY) is the same law): it
returns the representative with b = 1, i.e. σ = δ = scale, γ = b_s · scale and
a = a_s² - b_s².

References
----------
O. Barndorff-Nielsen (1977), Proc. R. Soc. Lond. A 353:401-419.
SciPy reference: ``scipy.stats.genhyperbolic``, ``scipy.stats.norminvgauss``.
"""
import math

import numpy as np


def gh_to_scipy(mu, gamma, sigma2, p, a, b):
    """``(p, a_s, b_s, loc, scale)`` of scipy's genhyperbolic for the univariate GH (μ, γ, σ², p, a, b).

    Needs a > 0 and b > 0 (``ValueError`` naming the limit otherwise).
    """
    mu, gamma, sigma2, p, a, b = (float(v) for v in (mu, gamma, sigma2, p, a, b))
    if not (a > 0 and b > 0):
        raise ValueError(f"the subordinator must have a > 0 and b > 0 to have a scipy form (scipy's genhyperbolic "
                         f"and norminvgauss need |b_s| < a_s and scale > 0), got a = {a!r}, b = {b!r}")
    sigma = math.sqrt(sigma2)
    return p, math.sqrt(b * (a + gamma * gamma / sigma2)), gamma * math.sqrt(b) / sigma, mu, sigma * math.sqrt(b)


def scipy_to_gh(p, a_s, b_s, loc, scale):
    """``(μ, γ, σ², p, a, b)`` of the univariate GH with b = 1 that equals scipy's genhyperbolic(p, a_s, b_s, loc, scale)."""
    return loc, b_s * scale, scale * scale, p, a_s * a_s - b_s * b_s, 1.0


def frozen_arguments(frozen, name):
    """The shape parameters, loc and scale of a frozen scipy distribution named ``name``, as floats.

    ``ValueError`` if ``frozen`` is not a frozen ``scipy.stats.<name>`` or its parameters
    are outside scipy's domain (``|b| < a``, scale > 0, finite).
    """
    dist = getattr(frozen, "dist", None)
    if getattr(dist, "name", None) != name:
        raise ValueError(f"frozen must be a frozen scipy.stats.{name} (e.g. scipy.stats.{name}(...)), got "
                         f"{type(frozen).__name__}")
    shapes = [s.strip() for s in dist.shapes.split(",")]
    values = dict(zip(shapes + ["loc", "scale"], frozen.args))
    values.update(frozen.kwds)
    values.setdefault("loc", 0.0)
    values.setdefault("scale", 1.0)
    missing = [s for s in shapes if s not in values]
    if missing:
        raise ValueError(f"frozen must carry the shape parameters {shapes}, missing {missing}")
    values = {key: float(np.asarray(value)) for key, value in values.items()}
    if not all(math.isfinite(v) for v in values.values()):
        raise ValueError(f"frozen must have finite parameters, got {values}")
    if not (abs(values["b"]) < values["a"] and values["scale"] > 0):
        raise ValueError(f"frozen must have |b| < a and scale > 0 (scipy's domain), got {values}")
    return values
