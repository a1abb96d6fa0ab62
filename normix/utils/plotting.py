"""Plotting helpers for fitted models (matplotlib, the optional ``plot`` extra).

:func:`qq_plots`, :func:`cdf_plot`, :func:`density_histogram`, :func:`pairwise_scatter`
and :func:`loglik_trace` each return a matplotlib Figure; :func:`save_report` writes them
all as PNG files.  Densities, distribution functions and quantiles of margins are exact:
the margin of a normal variance-mean mixture is a mixture of the same family (see
:mod:`normix.utils._margins`).
:func:`set_theme` applies the style used by the tutorials.

matplotlib is imported when a function is called, never at ``import normix``; without
a display (Linux with neither ``DISPLAY`` nor ``WAYLAND_DISPLAY``, and no backend
chosen) the Agg backend is used, so figures can be saved on servers.
"""
import os
import pathlib
import sys
import textwrap

import numpy as np

from normix.utils import _margins

THEME = {
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 110,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linestyle": "-",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titleweight": "bold",
    "legend.frameon": False,
    "lines.linewidth": 1.6,
    "savefig.bbox": "tight",
}

PALETTE = ("#1f4e79", "#c0504d", "#4f8f3a", "#8064a2", "#e08a1e", "#2a9d8f")


def set_theme(**overrides):
    """Apply normix's matplotlib style: light grid, no top/right spines, a colour-blind-safe cycle.

    Parameters
    ----------
    **overrides
        matplotlib rcParams to set on top of the theme (e.g. ``{"figure.dpi": 150}`` as
        keyword arguments with dots replaced: pass ``**{"figure.dpi": 150}``).

    Raises
    ------
    ImportError
        If matplotlib is not installed (install the ``plot`` extra: ``pip install normix[plot]``).
    """
    try:
        import matplotlib as mpl
    except ImportError as err:
        raise ImportError("set_theme needs matplotlib: pip install 'normix[plot]'") from err
    from cycler import cycler

    params = dict(THEME, **{"axes.prop_cycle": cycler(color=list(PALETTE))})
    unknown = sorted(set(overrides) - set(mpl.rcParams))
    if unknown:
        raise ValueError(f"unknown matplotlib rcParams in overrides: {unknown}")
    params.update(overrides)
    mpl.rcParams.update(params)
    return params


# ------------------------------------------------------------------------ figures
def _pyplot():
    """matplotlib.pyplot, on the Agg backend when no display is reachable and none was chosen.

    Agg is selected only on Linux without ``DISPLAY``/``WAYLAND_DISPLAY``, with no
    ``MPLBACKEND`` set and pyplot not yet imported, so notebook backends are left alone.
    """
    try:
        import matplotlib
    except ImportError as err:
        raise ImportError("normix.utils.plotting needs matplotlib: pip install 'normix[plot]'") from err
    headless = sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    if headless and "MPLBACKEND" not in os.environ and "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _axes(ax, figsize):
    """(figure, axes): ``ax`` and its figure, or a new figure with one axes."""
    if ax is not None:
        return ax.figure, ax
    fig, ax = _pyplot().subplots(figsize=figsize, layout="constrained")
    return fig, ax


def _label(model):
    return type(model).__name__


def qq_plots(model, X, *, max_points=2000, fig=None):
    """QQ plot of each column of X against the same margin of the fitted ``model``, one panel per column.

    Sample quantiles of column j at the plotting positions (i − ½)/m are drawn against
    the model's exact quantiles F_j⁻¹((i − ½)/m) of margin j: the ppf of the
    one-dimensional margin of a mixture (:meth:`~normix.mixtures.marginal.NormalMixture.ppf`,
    exact in the far tails), or the inverse of a univariate family's cdf (by bisection).
    No random draws are involved, so the extreme points are where the model puts them.
    Points on the diagonal mean the margin fits; a bend in the tails shows tails that
    are too light or too heavy.

    Parameters
    ----------
    model : NormalMixture or univariate ExponentialFamily
    X : array, shape (n, d) (or (n,) for a univariate model)
    max_points : int
        At most this many quantiles per panel (m = min(n, max_points)).
    fig : matplotlib Figure, optional
        Figure to draw in (cleared first); a new one otherwise.

    Returns
    -------
    matplotlib.figure.Figure
    """
    X = _margins.check_data(model, X)
    n, d = X.shape
    m = min(n, int(max_points))
    probs = (np.arange(1, m + 1) - 0.5) / m
    reference = _margins.quantiles(model, probs)
    observed = np.quantile(X, probs, axis=0)
    if fig is None:
        fig = _pyplot().figure(figsize=(3.6 * d, 3.6), layout="constrained")
    else:
        fig.clear()
    axes = fig.subplots(1, d, squeeze=False)[0]
    for j, ax in enumerate(axes):
        ax.plot(reference[:, j], observed[:, j], ".", color=PALETTE[0], markersize=3)
        lo = min(reference[:, j].min(), observed[:, j].min())
        hi = max(reference[:, j].max(), observed[:, j].max())
        ax.plot([lo, hi], [lo, hi], "-", color=PALETTE[1], linewidth=1)
        ax.set_xlabel(f"{_label(model)} quantile")
        ax.set_ylabel("sample quantile")
        ax.set_title(f"column {j}")
    return fig


def cdf_plot(model, X, column=0, *, grid_size=400, fig=None):
    """The fitted distribution function of one column against the empirical one, with both tails on log scales.

    Three panels for column j: F_j and the empirical cdf F̂_n(x) = #{xᵢ <= x}/n on
    linear scales; the lower tail, log F_j(x) and log F̂_n(x) for x below the sample
    median; and the upper tail, log(1 − F_j(x)) and log(1 − F̂_n(x⁻)) above it.  The
    model's tails are exact (the mixture margin integrates each side directly, so
    probabilities far below 1e-16 are drawn correctly); the empirical tails stop at
    1/n.  A model line below the data in a tail panel means tails too light.

    Parameters
    ----------
    model : NormalMixture or univariate ExponentialFamily
    X : array, shape (n, d) (or (n,) for a univariate model)
    column : int
        The column of X (and margin of the model) drawn.
    grid_size : int
        Points of the model's curves, spread over the data's range widened by 10 %.
    fig : matplotlib Figure, optional
        Figure to draw in (cleared first); a new one otherwise.

    Returns
    -------
    matplotlib.figure.Figure
    """
    X = _margins.check_data(model, X)
    (column,) = _margins.check_columns([column], X.shape[1], "column")
    if int(grid_size) < 2:
        raise ValueError(f"grid_size must be >= 2, got {grid_size}")
    data = np.sort(X[:, column])
    n = data.size
    widen = 0.1 * (data[-1] - data[0])
    grid = np.linspace(data[0] - widen, data[-1] + widen, int(grid_size))
    log_cdf, log_sf = _margins.log_tails(_margins.margin(model, (column,)), grid)
    ecdf = np.arange(1, n + 1) / n
    esf = 1.0 - np.arange(n) / n
    median = np.median(data)
    if fig is None:
        fig = _pyplot().figure(figsize=(10.8, 3.6), layout="constrained")
    else:
        fig.clear()
    body, lower, upper = fig.subplots(1, 3)
    body.step(data, ecdf, where="post", color=PALETTE[1], linewidth=1, label="empirical")
    body.plot(grid, np.exp(log_cdf), color=PALETTE[0], label=_label(model))
    body.set_ylabel("F(x)")
    body.legend(loc="upper left")
    below, above = grid <= median, grid >= median
    lower.semilogy(data[data <= median], ecdf[data <= median], ".", color=PALETTE[1], markersize=3)
    lower.semilogy(grid[below], np.exp(log_cdf[below]), color=PALETTE[0])
    lower.set_ylabel("F(x), log scale")
    lower.set_title("lower tail")
    upper.semilogy(data[data >= median], esf[data >= median], ".", color=PALETTE[1], markersize=3)
    upper.semilogy(grid[above], np.exp(log_sf[above]), color=PALETTE[0])
    upper.set_ylabel("1 − F(x), log scale")
    upper.set_title("upper tail")
    for ax in (body, lower, upper):
        ax.set_xlabel(f"column {column}")
    fig.suptitle(f"fitted {_label(model)}: distribution function of column {column}")
    return fig


def density_histogram(model, X, column=0, log_scale=False, *, bins=60, ax=None):
    """Histogram of one column of X with the fitted marginal density of that column drawn over it.

    For a mixture the density is that of the exact one-dimensional margin (same family,
    μ_j, γ_j, Σ_jj and the same subordinator).  ``log_scale=True`` puts the density axis
    on a log scale, where the tails are visible.

    Parameters
    ----------
    model : NormalMixture or univariate ExponentialFamily
    X : array, shape (n, d) (or (n,) for a univariate model)
    column : int
        Column of X, in [0, d).
    log_scale : bool
        Log scale on the density axis.
    bins : int
        Histogram bins.
    ax : matplotlib Axes, optional
        Axes to draw in; a new figure otherwise.

    Returns
    -------
    matplotlib.figure.Figure
    """
    X = _margins.check_data(model, X)
    (column,) = _margins.check_columns([column], X.shape[1], "column")
    x = X[:, column]
    fig, ax = _axes(ax, (6.0, 4.0))
    counts, edges, _ = ax.hist(x, bins=bins, density=True, color=PALETTE[0], alpha=0.35, label="data")
    pad = 0.05 * (edges[-1] - edges[0])
    grid = np.linspace(edges[0] - pad, edges[-1] + pad, 400)
    density = np.exp(_margins.log_density(_margins.margin(model, (column,)), grid[:, None]))
    ax.plot(grid, density, color=PALETTE[1], label=f"fitted {_label(model)}")
    if log_scale:
        ax.set_yscale("log")
        positive = counts[counts > 0]
        ax.set_ylim(bottom=0.3 * positive.min() if positive.size else None)
    ax.set_xlabel(f"column {column}")
    ax.set_ylabel("density")
    ax.legend()
    return fig


def pairwise_scatter(model, X, columns=None, *, max_points=2000, seed=0, grid_size=80, fig=None):
    """Pairwise scatter of the columns of X with contours of the fitted two-dimensional margins.

    Below the diagonal: the data (at most ``max_points`` rows, drawn with ``seed``) and the
    contours of the exact 2-D margin density (same family, μ_J, γ_J, Σ_JJ) at the levels
    exceeded by 50%, 90% and 99% of the data's fitted densities, so that for a good fit
    about that share of points lies inside each contour.  On the diagonal: histograms
    with the 1-D margin density.

    Parameters
    ----------
    model : NormalMixture
        A mixture of dimension d >= 2.
    X : array, shape (n, d)
    columns : sequence of int, optional
        At least two distinct columns (default: all).
    max_points, seed : int
        Rows shown in the scatter, and the seed of their choice.
    grid_size : int
        Points per axis of the contour grid.
    fig : matplotlib Figure, optional
        Figure to draw in (cleared first); a new one otherwise.

    Returns
    -------
    matplotlib.figure.Figure
    """
    X = _margins.check_data(model, X)
    d = X.shape[1]
    if d < 2:
        raise ValueError(f"model must be a mixture of dimension d >= 2 for a pairwise scatter, got d = {d}")
    columns = _margins.check_columns(range(d) if columns is None else columns, d, "columns")
    if len(columns) < 2:
        raise ValueError(f"columns must name at least 2 columns, got {columns}")
    k = len(columns)
    shown = X if X.shape[0] <= max_points else X[np.random.default_rng(seed).choice(X.shape[0], max_points, False)]
    if fig is None:
        fig = _pyplot().figure(figsize=(2.8 * k, 2.8 * k), layout="constrained")
    else:
        fig.clear()
    axes = fig.subplots(k, k, squeeze=False)
    for row, i in enumerate(columns):
        for col, j in enumerate(columns):
            ax = axes[row, col]
            if col > row:
                ax.set_axis_off()
            elif col == row:
                density_histogram(model, X, column=i, bins=40, ax=ax)
                ax.get_legend().remove()
                ax.set_xlabel("")
                ax.set_ylabel("")
            else:
                _pair_panel(ax, model, X, shown, (j, i), grid_size)
            if row == k - 1:
                ax.set_xlabel(f"column {j}")
            if col == 0 and row > 0:
                ax.set_ylabel(f"column {i}")
    fig.suptitle(f"fitted {_label(model)}: 2-D margins")
    return fig


def _pair_panel(ax, model, X, shown, pair, grid_size):
    """Scatter of columns ``pair`` (x, y) with the contours of their fitted 2-D margin."""
    two = _margins.margin(model, pair)
    data = X[:, pair]
    lo, hi = data.min(axis=0), data.max(axis=0)
    pad = 0.05 * (hi - lo)
    gx = np.linspace(lo[0] - pad[0], hi[0] + pad[0], grid_size)
    gy = np.linspace(lo[1] - pad[1], hi[1] + pad[1], grid_size)
    mesh = np.stack(np.meshgrid(gx, gy), axis=-1).reshape(-1, 2)
    surface = _margins.log_density(two, mesh).reshape(grid_size, grid_size)
    levels = np.quantile(_margins.log_density(two, data), [0.01, 0.10, 0.50])
    ax.plot(shown[:, pair[0]], shown[:, pair[1]], ".", color=PALETTE[0], markersize=2, alpha=0.5)
    if np.all(np.diff(levels) > 0):
        ax.contour(gx, gy, surface, levels=levels, colors=PALETTE[1], linewidths=1.0, linestyles="solid")


def loglik_trace(result, *, ax=None):
    """Mean log-likelihood per EM iteration of an ``EMResult``, with the end of the fit marked.

    The last iteration is marked with a vertical line, labelled "converged" only when
    ``result.converged`` is true; the fit's message is shown under the title.

    Parameters
    ----------
    result : EMResult
        ``result.log_likelihoods`` must hold at least one finite value.
    ax : matplotlib Axes, optional
        Axes to draw in; a new figure otherwise.

    Returns
    -------
    matplotlib.figure.Figure
    """
    values = getattr(result, "log_likelihoods", None)
    if values is None:
        raise ValueError("result must be an EMResult with log_likelihoods (got none)")
    values = np.asarray(values, dtype=np.float64).ravel()
    if values.size == 0 or not np.isfinite(values).any():
        raise ValueError("result must hold at least one finite log-likelihood")
    iterations = np.arange(1, values.size + 1)
    fig, ax = _axes(ax, (6.0, 4.0))
    ax.plot(iterations, values, "-o", color=PALETTE[0], markersize=3)
    converged = bool(result.converged)
    label = "converged" if converged else "stopped, not converged"
    ax.axvline(values.size, color=PALETTE[2] if converged else PALETTE[1], linestyle="--", linewidth=1, label=label)
    ax.set_xlabel("EM iteration")
    ax.set_ylabel("mean log-likelihood")
    title = f"EM fit of {_label(result.model)}"
    if result.message:
        title += "\n" + textwrap.fill(str(result.message), 70)
    ax.set_title(title, fontsize="medium")
    ax.legend()
    return fig


def save_report(model, X, result, folder, *, dpi=100):
    """Write the plots of a fit as PNG files into ``folder`` (created if needed).

    Files: ``qq.png`` (:func:`qq_plots`), ``density_<j>.png`` and ``cdf_<j>.png`` for each
    column j (:func:`density_histogram` on a log scale, :func:`cdf_plot`), ``pairs.png`` for mixtures with d >= 2
    (:func:`pairwise_scatter`) and ``loglik.png`` (:func:`loglik_trace`) when ``result``
    is given.  Each figure is closed after it is written.

    Parameters
    ----------
    model : NormalMixture or univariate ExponentialFamily
    X : array, shape (n, d)
    result : EMResult or None
    folder : str or path
    dpi : int

    Returns
    -------
    list of pathlib.Path
        The files written, in the order above.
    """
    X = _margins.check_data(model, X)
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    plots = [("qq", lambda: qq_plots(model, X))]
    for j in range(X.shape[1]):
        plots.append((f"density_{j}", lambda j=j: density_histogram(model, X, column=j, log_scale=True)))
        plots.append((f"cdf_{j}", lambda j=j: cdf_plot(model, X, column=j)))
    if X.shape[1] >= 2:
        plots.append(("pairs", lambda: pairwise_scatter(model, X)))
    if result is not None:
        plots.append(("loglik", lambda: loglik_trace(result)))
    plt = _pyplot()
    written = []
    for stem, draw in plots:
        fig = draw()
        try:
            path = folder / f"{stem}.png"
            fig.savefig(path, dpi=dpi)
            written.append(path)
        finally:
            plt.close(fig)
    return written
