"""Independent references for the reliability suite: scipy, mpmath and quadrature, never normix."""
import mpmath
import numpy as np
import scipy.stats as st
from scipy import integrate


def subordinator_law(name, params):
    """The scipy law of Y for a mixture family's classical subordinator parameters."""
    if name == "nig":
        return st.invgauss(mu=params["mu_ig"] / params["lam"], scale=params["lam"])
    if name == "vg":
        return st.gamma(a=params["alpha"], scale=1.0 / params["beta"])
    if name == "ninvg":
        return st.invgamma(a=params["alpha"], scale=params["beta"])
    p, a, b = params["p"], params["a"], params["b"]
    return st.geninvgauss(p, np.sqrt(a * b), scale=np.sqrt(b / a))


def mixture_quadrature(x, params, law):
    """(log f(x), E[log Y|x], E[1/Y|x], E[Y|x]) by adaptive quadrature over t = log y.

    f(x) = ∫ N(x; μ + γy, Σy) f_Y(y) dy, with the normal log-density written out from a
    Cholesky factor of Σ.
    """
    mu, gamma, sigma = params["mu"], params["gamma"], params["sigma"]
    L = np.linalg.cholesky(sigma)
    d = mu.size
    half_log_det = np.sum(np.log(np.diag(L)))

    def log_integrand(t):
        y = np.exp(t)
        z = np.linalg.solve(L, x - mu - gamma * y)
        return (-0.5 * d * np.log(2 * np.pi * y) - half_log_det - 0.5 * z @ z / y + law.logpdf(y) + t)

    grid = np.linspace(-30.0, 30.0, 1201)
    values = np.array([log_integrand(t) for t in grid])
    peak_index = int(np.argmax(values))
    peak = values[peak_index]
    keep = grid[values > peak - 50.0]
    lo, hi = keep[0] - 0.5, keep[-1] + 0.5
    results = []
    for g in (lambda t: 1.0, lambda t: t, lambda t: np.exp(-t), lambda t: np.exp(t)):
        value, _ = integrate.quad(lambda t: g(t) * np.exp(log_integrand(t) - peak), lo, hi, limit=400,
                                  epsabs=0.0, epsrel=1e-12, points=[grid[peak_index]])
        results.append(value)
    mass = results[0]
    return np.log(mass) + peak, results[1] / mass, results[2] / mass, results[3] / mass


def gig_moments_mpmath(p, a, b, digits=40):
    """(E log Y, E 1/Y, E Y) of GIG(p, a, b) from mpmath's K_p at ``digits`` digits.

    E Y = s K_{p+1}(w)/K_p(w), E 1/Y = K_{p+1}(w)/(s K_p(w)) - 2p/b, E log Y = log s + ∂_p log K_p(w),
    w = √(ab), s = √(b/a) (Jørgensen 1982).
    """
    with mpmath.workdps(digits):
        p, a, b = mpmath.mpf(p), mpmath.mpf(a), mpmath.mpf(b)
        w, s = mpmath.sqrt(a * b), mpmath.sqrt(b / a)
        k = mpmath.besselk(p, w)
        ratio = mpmath.besselk(p + 1, w) / k
        dlog = mpmath.diff(lambda v: mpmath.log(mpmath.besselk(v, w)), p)
        return float(mpmath.log(s) + dlog), float(ratio / s - 2 * p / b), float(s * ratio)
