"""Shared table of mixture families for the mixture tests, with independent references.

Every reference here is built from scipy densities and plain numpy, never from normix:
the subordinator's log-density (scipy.stats), the conditional normal log-density
(by hand from a Cholesky factor) and quadrature over y.
"""
import numpy as np
import scipy.stats as st

from normix import GeneralizedHyperbolic, NormalInverseGamma, NormalInverseGaussian, VarianceGamma

# (class, subordinator parameters, scipy law of Y)
FAMILIES = {
    "vg": (VarianceGamma, {"alpha": 2.5, "beta": 1.5},
           lambda s: st.gamma(a=s["alpha"], scale=1.0 / s["beta"])),
    "ninvg": (NormalInverseGamma, {"alpha": 3.5, "beta": 2.0},
              lambda s: st.invgamma(a=s["alpha"], scale=s["beta"])),
    "nig": (NormalInverseGaussian, {"mu_ig": 1.2, "lam": 1.5},
            lambda s: st.invgauss(mu=s["mu_ig"] / s["lam"], scale=s["lam"])),
    "gh": (GeneralizedHyperbolic, {"p": 0.7, "a": 1.3, "b": 0.8},
           lambda s: st.geninvgauss(s["p"], np.sqrt(s["a"] * s["b"]), scale=np.sqrt(s["b"] / s["a"]))),
}
NAMES = sorted(FAMILIES)


def normal_params(d, seed=0):
    """A fixed (mu, gamma, Sigma) in dimension d with a well-conditioned, non-diagonal Sigma."""
    rng = np.random.default_rng(seed + 17 * d)
    mu = rng.normal(size=d)
    gamma = 0.5 * rng.normal(size=d)
    A = rng.normal(size=(d, d))
    sigma = A @ A.T / d + 0.5 * np.eye(d)
    return mu, gamma, sigma


def make_model(name, d, seed=0, **overrides):
    cls, sub, _ = FAMILIES[name]
    mu, gamma, sigma = normal_params(d, seed)
    params = {"mu": mu, "gamma": gamma, "sigma": sigma, **sub, **overrides}
    return cls.from_classical(**params)


def subordinator_law(name, **overrides):
    _, sub, law = FAMILIES[name]
    return law({**sub, **overrides})


def log_normal_conditional(x, y, mu, gamma, sigma):
    """log N(x; mu + gamma y, sigma y) for a vector of y (by hand, Cholesky of sigma)."""
    L = np.linalg.cholesky(sigma)
    d = mu.size
    r = x[None, :] - mu[None, :] - y[:, None] * gamma[None, :]
    z = np.linalg.solve(L, r.T)
    return (-0.5 * d * np.log(2 * np.pi) - np.sum(np.log(np.diag(L))) - 0.5 * d * np.log(y)
            - 0.5 * np.sum(z * z, axis=0) / y)


def posterior_quadrature(x, mu, gamma, sigma, law, nodes=6001):
    """(log f(x), E[log Y|x], E[1/Y|x], E[Y|x]) by the trapezoid rule in t = log y.

    The integrand exp(g(t)), g = log f(x|e^t) + log f_Y(e^t) + t, is smooth and decays
    at least exponentially in t on both sides, so the trapezoid rule on the window where
    g is within 60 of its peak converges spectrally.
    """
    def log_integrand(t):
        y = np.exp(t)
        return log_normal_conditional(x, y, mu, gamma, sigma) + law.logpdf(y) + t

    coarse = np.linspace(-40.0, 40.0, 8001)
    g = log_integrand(coarse)
    keep = coarse[g > np.max(g) - 60.0]
    t = np.linspace(keep[0] - 0.5, keep[-1] + 0.5, nodes)
    g = log_integrand(t)
    peak = np.max(g)
    w = np.exp(g - peak)
    h = t[1] - t[0]
    mass = np.sum(w) * h
    y = np.exp(t)
    moments = [np.sum(w * f) * h / mass for f in (t, 1.0 / y, y)]
    return (np.log(mass) + peak, *moments)
