"""``fit_mle`` of each univariate distribution on 1e6 draws (the plain script is ``benchmarks/fit_mle.py``)."""
from normix import GIG, Gamma, InverseGamma, InverseGaussian

N = 1_000_000
LAWS = {
    "Gamma": Gamma(alpha=2.5, beta=1.5),
    "InverseGamma": InverseGamma(alpha=3.0, beta=2.0),
    "InverseGaussian": InverseGaussian(mu=1.5, lam=4.0),
    "GIG": GIG(p=-0.5, a=2.0, b=1.0),
}


class FitMLE:
    params = list(LAWS)
    param_names = ["family"]
    timeout = 300

    def setup(self, family):
        law = LAWS[family]
        self.cls = type(law)
        self.x = law.rvs(N, seed=0)
        self.cls.fit_mle(self.x[:1000])

    def time_fit_mle(self, family):
        self.cls.fit_mle(self.x)
