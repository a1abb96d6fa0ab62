"""Portfolio risk: VaR and ES of 1e4 portfolios at 3 levels (d = 50), ES with its Euler contributions
(d = 100, one portfolio), the long-only min-ES portfolio (d = 100); ``track_ratio_to_floor`` gives the
first over F(3e4), ``track_student_t_es_error`` the relative error of ES against the Student t's closed
form.  The script ``benchmarks/risk.py`` prints the same cases on fitted models and the comparison with
Monte-Carlo ES.
"""
import numpy as np
from scipy import stats

from normix import GeneralizedHyperbolic, NormalInverseGamma
from normix.risk import expected_shortfall, optimize_portfolio, risk_contributions, tail_risk

from .common import best_time, floor_time

LEVELS = [0.95, 0.99, 0.999]


def gh_model(d, seed=0):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(d, d))
    sigma = 1e-4 * (A @ A.T / d + 0.5 * np.eye(d))
    return GeneralizedHyperbolic.from_classical(mu=5e-4 * rng.normal(size=d), gamma=-5e-4 * rng.uniform(size=d),
                                                sigma=sigma, p=-1.0, a=1.5, b=1.5)


class PortfolioRisk:
    timeout = 900

    def setup(self):
        rng = np.random.default_rng(1)
        self.model50, self.model100 = gh_model(50), gh_model(100)
        self.W = rng.dirichlet(np.ones(50), size=10_000)
        self.w100 = rng.dirichlet(np.ones(100))
        tail_risk(self.model50, self.W[:10], LEVELS)
        risk_contributions(self.model100, self.w100, 0.99)

    def time_var_es_1e4_portfolios_3_levels(self):
        tail_risk(self.model50, self.W, LEVELS)

    def time_es_contributions_d100(self):
        risk_contributions(self.model100, self.w100, 0.99)

    def time_min_es_d100(self):
        optimize_portfolio(self.model100, "es", 0.99)

    def track_ratio_to_floor(self):
        return best_time(lambda: tail_risk(self.model50, self.W, LEVELS), 1) / floor_time(self.W.shape[0] * 3)

    track_ratio_to_floor.unit = "ratio"

    def track_student_t_es_error(self):
        """NInvG with γ = 0: L = s√(β/α) T_{2α}, ES_t(α) = f(t)(ν + t²)/((ν - 1)(1 - α)) at t = F⁻¹(α)."""
        alpha, beta, level = 2.5, 1.5, 0.999
        model = NormalInverseGamma.from_classical(mu=[0.0], gamma=[0.0], sigma=[[1.0]], alpha=alpha, beta=beta)
        nu = 2 * alpha
        t = stats.t.isf(1 - level, nu)
        exact = np.sqrt(beta / alpha) * stats.t.pdf(t, nu) * (nu + t * t) / ((nu - 1) * (1 - level))
        return abs(float(expected_shortfall(model, [1.0], level)) / exact - 1)

    track_student_t_es_error.unit = "relative error"
