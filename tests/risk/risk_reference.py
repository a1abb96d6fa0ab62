"""Independent references for the risk tests: mpmath quadrature over the subordinator, and laws by hand.

The loss L = m + g Y + s √Y Z given Y = y is N(m + g y, s² y), so with the subordinator's
density f_Y (GIG, Gamma or InverseGamma, normalised with mpmath's Bessel and Gamma
functions) and z(y) = (v - m - g y)/(s √y):

    P(L > v) = ∫ Φ(-z) f_Y dy,   f_L(v) = ∫ φ(z)/(s √y) f_Y dy,
    E[(L - v)⁺] = ∫ s √y (φ(z) - z Φ(-z)) f_Y dy     (the normal "call" formula),

each taken by tanh-sinh quadrature in t = log y at ``mp.dps`` digits, on a grid of
sub-intervals around the peak of the integrand (found on a float grid).  VaR is the root
of P(L > v) = 1 - α by Newton from a starting value, and ES = VaR + E[(L - VaR)⁺]/(1 - α).
No normix code is used.
"""
import mpmath as mp
import numpy as np
from scipy import special


def subordinator(family, **params):
    """(p, a, b) of the GIG form of each family's classical parameters."""
    if family == "nig":
        return -0.5, params["lam"] / params["mu_ig"] ** 2, params["lam"]
    if family == "vg":
        return params["alpha"], 2.0 * params["beta"], 0.0
    if family == "ninvg":
        return -params["alpha"], 0.0, 2.0 * params["beta"]
    return params["p"], params["a"], params["b"]


def loss_law(mu, gamma, sigma, w):
    """(m, g, s) of L = -wᵀX."""
    w = np.asarray(w, dtype=float)
    return -float(w @ mu), -float(w @ gamma), float(np.sqrt(w @ sigma @ w))


class MixtureTail:
    """The tail integrals of one law (m, g, s, p, a, b) at ``dps`` digits."""

    def __init__(self, m, g, s, p, a, b, dps=40):
        self.dps = dps
        with mp.workdps(dps):
            self.m, self.g, self.s, self.p, self.a, self.b = (mp.mpf(x) for x in (m, g, s, p, a, b))
            p, a, b = self.p, self.a, self.b
            if b == 0:
                self.log_norm = mp.loggamma(p) - p * mp.log(a / 2)
            elif a == 0:
                self.log_norm = mp.loggamma(-p) + p * mp.log(b / 2)
            else:
                self.log_norm = mp.log(2) + p / 2 * mp.log(b / a) + mp.log(mp.besselk(p, mp.sqrt(a * b)))

    def _log_fy(self, y):
        return (self.p - 1) * mp.log(y) - (self.a * y + self.b / y) / 2 - self.log_norm

    def _pieces(self, v, kind):
        """Integrand in t and its breakpoints."""
        m, g, s = self.m, self.g, self.s

        def integrand(t):
            y = mp.exp(t)
            sd = s * mp.sqrt(y)
            z = (v - m - g * y) / sd
            tail = mp.ncdf(-z)
            dens = mp.npdf(z)
            if kind == "sf":
                value = tail
            elif kind == "pdf":
                value = dens / sd
            elif kind == "excess":
                value = sd * (dens - z * tail)
            elif kind == "y_tail":
                value = y * tail
            else:
                value = mp.sqrt(y) * dens
            return value * mp.exp(self._log_fy(y)) * y

        lo, hi = self._window(float(v), kind)
        points = list(np.linspace(lo, hi, max(13, int((hi - lo) / 4))))
        step = float((v - m) * g) / float(s * s)
        if step > 0:
            # Φ(-z) steps from 0 to 1 at t0 = log((v - m)/g) over a width 1/√(x'g') in t: resolve it.
            t0, width = float(mp.log((v - m) / g)), 1.0 / np.sqrt(step)
            near = t0 + width * np.concatenate([-np.logspace(-1, 6, 29), [0.0], np.logspace(-1, 6, 29)])
            points += [t for t in near if lo < t < hi]
        return integrand, [mp.mpf(x) for x in sorted(points)]

    def _window(self, v, kind):
        """The t-range where the float log-integrand is within 90 of its peak (a coarse grid, scipy)."""
        m, g, s, p, a, b = (float(x) for x in (self.m, self.g, self.s, self.p, self.a, self.b))
        t = np.linspace(-650.0, 650.0, 26001)
        y = np.exp(t)
        sd = s * np.sqrt(y)
        z = (v - m - g * y) / sd
        log_y = p * t - (a * y + b / y) / 2
        with np.errstate(all="ignore"):
            extra = {"sf": special.log_ndtr(-z), "pdf": -z * z / 2 - np.log(sd),
                     "excess": np.log(sd) + np.log(np.maximum(np.exp(-z * z / 2) / np.sqrt(2 * np.pi)
                                                              - z * special.ndtr(-z), 1e-300)),
                     "y_tail": t + special.log_ndtr(-z), "j": t / 2 - z * z / 2}[kind]
        logs = np.where(np.isfinite(log_y + extra), log_y + extra, -np.inf)
        inside = t[logs > np.max(logs) - 90.0]
        return inside[0] - 0.5, inside[-1] + 0.5

    def integral(self, v, kind):
        """One of 'sf', 'pdf', 'excess', 'y_tail' (E[Y Φ(-z)]), 'j' (E[√Y φ(z)]) at v."""
        with mp.workdps(self.dps):
            integrand, points = self._pieces(mp.mpf(v), kind)
            return mp.quad(integrand, points)

    def value_at_risk(self, level, start, steps=1):
        """VaR_α by Newton on P(L > v) = 1 - α from ``start``."""
        with mp.workdps(self.dps):
            q = 1 - mp.mpf(level)
            v = mp.mpf(start)
            for _ in range(steps):
                v = v + (self.integral(v, "sf") - q) / self.integral(v, "pdf")
            return v

    def expected_shortfall(self, level, var):
        with mp.workdps(self.dps):
            return var + self.integral(var, "excess") / (1 - mp.mpf(level))
