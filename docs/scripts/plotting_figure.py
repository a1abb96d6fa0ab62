"""Numbers and figure of ``docs/user_guide/plotting.md``.

Fits a NIG model to 3000 draws of a skewed 3-D NIG law, prints the fit and the table of
tail shares (observed share of each column below the fitted 1% quantile and above the
fitted 99% quantile, exact quantiles of the fitted margins), and writes ``docs/_static/plotting_pairwise.png``
(:func:`normix.utils.plotting.pairwise_scatter`).

Usage (from the repository root)::

    python docs/scripts/plotting_figure.py
"""
import pathlib
import sys

import numpy as np

DOCS = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(DOCS.parent))  # the repository's normix

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from normix import NormalInverseGaussian  # noqa: E402
from normix.utils.plotting import pairwise_scatter, set_theme  # noqa: E402


def main(path):
    true = NormalInverseGaussian.from_classical(
        mu=np.array([0.0, 0.1, -0.1]), gamma=np.array([0.6, -0.4, 0.2]),
        sigma=np.array([[1.0, 0.5, 0.2], [0.5, 1.0, 0.3], [0.2, 0.3, 1.0]]), mu_ig=1.0, lam=0.8)
    X = true.rvs(3000, seed=0)
    result = NormalInverseGaussian.default_init(X).fit(X, max_iter=200, tol=1e-5, e_step_backend="cpu")
    model = result.model
    print(f"EM: {result.n_iter} iterations, converged={result.converged}, "
          f"mean log-likelihood {float(model.marginal_log_likelihood(X)):.4f}")
    print()
    print("| column | fitted 1% quantile | data below | fitted 99% quantile | data above |")
    print("|---|---|---|---|---|")
    for j in range(X.shape[1]):
        lo, hi = model.margin([j]).ppf(np.array([0.01, 0.99]))
        print(f"| {j} | {lo:.3f} | {np.mean(X[:, j] < lo):.2%} | {hi:.3f} | {np.mean(X[:, j] > hi):.2%} |")

    set_theme()
    fig = pairwise_scatter(model, X)
    path.parent.mkdir(exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)


if __name__ == "__main__":
    main(DOCS / "_static" / "plotting_pairwise.png")
