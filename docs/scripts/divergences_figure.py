"""Numbers and figure of ``docs/user_guide/divergences.md``.

Prints the page's two tables (closed forms against quadrature; Monte Carlo against
quadrature and the joint bound) and writes ``docs/_static/divergences_monte_carlo.png``.
The quadrature references use scipy.stats densities only.

Usage (from the repository root)::

    python docs/scripts/divergences_figure.py
"""
import math
import pathlib
import sys

import numpy as np
import scipy.stats as st
from scipy.integrate import quad

DOCS = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(DOCS.parent))  # the repository's normix

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from normix import GIG, Gamma, NormalInverseGaussian  # noqa: E402
from normix.divergences import kl_divergence, kl_upper_bound, squared_hellinger  # noqa: E402
from normix.utils.plotting import PALETTE, set_theme  # noqa: E402

QUAD = dict(epsabs=1e-13, epsrel=1e-11, limit=200)


def kl_quad(lp, lq, lo, hi):
    def integrand(x):
        density = math.exp(lp(x))
        return 0.0 if density == 0.0 else density * (lp(x) - lq(x))
    return quad(integrand, lo, hi, **QUAD)[0]


def h2_quad(lp, lq, lo, hi):
    return 1.0 - quad(lambda x: math.exp(0.5 * (lp(x) + lq(x))), lo, hi, **QUAD)[0]


def nig_1d(mu, gamma, s2, mu_ig, lam):
    """The normix model and scipy's norminvgauss log-density of the same 1-D NIG law.

    Y ~ IG(mu_ig, lam) = GIG(-1/2, a = lam/mu_ig², b = lam); X = mu + gamma Y + √(s2 Y) Z is
    NIG(α, β, δ, mu) with β = gamma/s2, δ² = b s2, α² = a/s2 + β².
    """
    model = NormalInverseGaussian.from_classical(mu=np.array([mu]), gamma=np.array([gamma]),
                                                 sigma=np.array([[s2]]), mu_ig=mu_ig, lam=lam)
    a, b = lam / mu_ig**2, lam
    beta, delta = gamma / s2, math.sqrt(b * s2)
    alpha = math.sqrt(a / s2 + beta**2)
    frozen = st.norminvgauss(alpha * delta, beta * delta, loc=mu, scale=delta)
    return model, lambda x: float(frozen.logpdf(x))


def closed_form_table():
    rows = []
    pairs = [
        ("Gamma(2, 1.5) ‖ Gamma(3.5, 0.7)", Gamma(2.0, 1.5), Gamma(3.5, 0.7),
         lambda x: st.gamma.logpdf(x, 2.0, scale=1 / 1.5), lambda x: st.gamma.logpdf(x, 3.5, scale=1 / 0.7)),
        ("GIG(1.3, 2, 0.7) ‖ GIG(-0.8, 1.1, 2.5)", GIG(1.3, 2.0, 0.7), GIG(-0.8, 1.1, 2.5),
         lambda x: st.geninvgauss.logpdf(x, 1.3, math.sqrt(1.4), scale=math.sqrt(0.35)),
         lambda x: st.geninvgauss.logpdf(x, -0.8, math.sqrt(2.75), scale=math.sqrt(2.5 / 1.1))),
    ]
    for label, p, q, lp, lq in pairs:
        rows.append((label, kl_divergence(p, q), kl_quad(lp, lq, 0, math.inf),
                     squared_hellinger(p, q), h2_quad(lp, lq, 0, math.inf)))
    print("| pair | KL closed form | KL quadrature | H² closed form | H² quadrature |")
    print("|---|---|---|---|---|")
    for label, kl, kl_ref, h2, h2_ref in rows:
        print(f"| {label} | {kl:.10f} | {kl_ref:.10f} | {h2:.10f} | {h2_ref:.10f} |")


def monte_carlo_table_and_figure(path):
    p, lp = nig_1d(0.0, 0.5, 1.0, 1.0, 1.2)
    q, lq = nig_1d(0.3, -0.2, 1.5, 0.8, 2.0)
    # scipy's log-density underflows to -inf beyond |x| ~ 900; the mass outside ±200 is below e^-150.
    kl_ref = kl_quad(lp, lq, -200.0, 200.0)
    h2_ref = h2_quad(lp, lq, -200.0, 200.0)
    bound = kl_upper_bound(p, q)
    sizes = [1_000, 10_000, 100_000, 1_000_000]
    kls = [kl_divergence(p, q, n_samples=n, seed=1) for n in sizes]
    h2s = [squared_hellinger(p, q, n_samples=n, seed=2) for n in sizes]
    print()
    print(f"KL quadrature {kl_ref:.5f}, joint bound {bound:.5f}, H² quadrature {h2_ref:.5f}")
    print()
    print("| n_samples | KL ± s.e. | (KL − quad)/s.e. | H² ± s.e. | (H² − quad)/s.e. |")
    print("|---|---|---|---|---|")
    for n, kl, h2 in zip(sizes, kls, h2s):
        print(f"| {n:,} | {kl.value:.5f} ± {kl.standard_error:.5f} | {(kl.value - kl_ref) / kl.standard_error:+.2f} "
              f"| {h2.value:.5f} ± {h2.standard_error:.5f} | {(h2.value - h2_ref) / h2.standard_error:+.2f} |")

    set_theme()
    fig, ax = plt.subplots(figsize=(6.4, 3.8), layout="constrained")
    values = np.array([k.value for k in kls])
    errors = np.array([2 * k.standard_error for k in kls])
    ax.errorbar(sizes, values, yerr=errors, fmt="o", color=PALETTE[0], capsize=3, label="Monte Carlo ± 2 s.e.")
    ax.axhline(kl_ref, color=PALETTE[2], label="quadrature")
    ax.axhline(bound, color=PALETTE[1], linestyle="--", label="joint bound KL(p_XY ‖ q_XY)")
    ax.set_xscale("log")
    ax.set_xlabel("n_samples")
    ax.set_ylabel("KL(p ‖ q)")
    ax.set_title("KL between two NIG laws (d = 1)")
    ax.legend()
    path.parent.mkdir(exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    closed_form_table()
    monte_carlo_table_and_figure(DOCS / "_static" / "divergences_monte_carlo.png")
