"""Report plots of ``normix fit --out``: PNG files drawn by :mod:`normix.utils.plotting`.

For every fitted family: QQ plots of each column (``qq_plots``), the fitted marginal
density over a histogram of each column on a log scale (``density_histogram``), the
pairwise scatter of the data with the fitted model (``pairwise_scatter``, d >= 2) and
the EM log-likelihood trace (``loglik_trace``).  A plotting function that the installed
``normix.utils.plotting`` does not provide is skipped with a note; without matplotlib
no plot is drawn.  A plot that fails is reported on one line and the others are still
written: the saved models and summaries do not depend on them.
"""
import os

from normix.cli.data import first_line

PLOTS = ("qq_plots", "density_histogram", "pairwise_scatter", "loglik_trace")


def _figures(plotting, fit, X):
    """``(file stem, callable returning a Figure)`` for every plot of one fitted family."""
    model, d = fit.result.model, X.shape[1]
    if hasattr(plotting, "qq_plots"):
        yield f"{fit.family}_qq", lambda: plotting.qq_plots(model, X)
    if hasattr(plotting, "density_histogram"):
        for column in range(d):
            yield (f"{fit.family}_density_{column}",
                   lambda column=column: plotting.density_histogram(model, X, column=column, log_scale=True))
    if hasattr(plotting, "pairwise_scatter") and d >= 2:
        yield f"{fit.family}_pairs", lambda: plotting.pairwise_scatter(model, X)
    if hasattr(plotting, "loglik_trace"):
        yield f"{fit.family}_loglik", lambda: plotting.loglik_trace(fit.result)


def write_plots(folder, fits, X, err):
    """Draw the report plots of ``fits`` into ``folder``; the list of PNG paths written."""
    try:
        import matplotlib
    except ImportError:
        err.write('no plots: matplotlib is not installed (pip install "normix[plot]")\n')
        return []
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from normix.utils import plotting

    missing = [name for name in PLOTS if not hasattr(plotting, name)]
    if missing:
        err.write(f"no {', '.join(missing)} plots: not provided by this version of normix.utils.plotting\n")
    os.makedirs(folder, exist_ok=True)
    written = []
    for fit in fits:
        for stem, draw in _figures(plotting, fit, X):
            path = os.path.join(folder, stem + ".png")
            try:
                figure = draw()
                figure.savefig(path, dpi=100)
            except Exception as error:  # a plot is auxiliary output: report it and go on
                err.write(f"plot {stem} failed: {type(error).__name__}: {first_line(error)}\n")
                continue
            finally:
                plt.close("all")
            written.append(path)
    return written
