"""The plot of a rolling backtest: portfolio returns, the VaR and ES bands, the exceedances.

matplotlib is imported when the function is called, never at ``import normix``.  The
figure is a :class:`matplotlib.figure.Figure` made without ``pyplot`` (no global state,
no display needed: it saves on servers as is); a notebook shows it as the value of a cell.
"""
import numpy as np

COLOURS = ("#1f4e79", "#e08a1e", "#4f8f3a", "#8064a2", "#2a9d8f")
EXCEEDANCE_COLOUR = "#c0504d"


def _axes(ax, figsize):
    if ax is not None:
        return ax.figure, ax
    try:
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError("plot_backtest needs matplotlib: pip install 'normix[plot]'") from error
    figure = Figure(figsize=figsize, layout="constrained")
    return figure, figure.add_subplot()


def _selected(result, level):
    if level is None:
        return list(range(result.levels.size))
    chosen = []
    for value in np.atleast_1d(level).tolist():
        match = np.flatnonzero(np.isclose(result.levels, float(value), rtol=0, atol=1e-12))
        if match.size == 0:
            levels = ", ".join(f"{v:g}" for v in result.levels)
            raise ValueError(f"level {value!r} is not a level of this backtest ({levels})")
        chosen.append(int(match[0]))
    return chosen


def plot_backtest(result, level=None, *, ax=None, figsize=(10.0, 4.2)):
    """Portfolio returns wᵀX_t with the forecast VaR and ES bands and the exceedances marked.

    The bands are drawn on the return side, -VaR_t (solid) and -ES_t (dashed), so that
    a day whose return falls below the VaR band is an exceedance (L_t > VaR_t); the
    exceedances of each level are marked with a cross in the level's colour (the higher
    levels' on top: their exceedances are also exceedances of the lower levels).  An
    infinite ES leaves a gap in its band.

    Parameters
    ----------
    result : BacktestResult
        The outcome of :func:`normix.risk.backtest.backtest`.
    level : float or sequence of float, optional
        The levels to draw (default: all of the backtest's).
    ax : matplotlib Axes, optional
        Axes to draw in; a new figure otherwise.
    figsize : (float, float)
        Size of a new figure in inches.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If ``level`` is not one of the backtest's levels.
    """
    chosen = _selected(result, level)
    figure, ax = _axes(ax, figsize)
    x = result.index
    returns = -result.losses
    ax.plot(x, returns, color="0.55", linewidth=0.6, label="portfolio return")
    chosen = sorted(chosen, key=lambda j: result.levels[j])
    for rank, j in enumerate(chosen):
        colour = COLOURS[rank % len(COLOURS)]
        alpha = result.levels[j]
        es = np.where(np.isfinite(result.es[:, j]), -result.es[:, j], np.nan)
        ax.plot(x, -result.var[:, j], color=colour, linewidth=1.1, label=f"VaR {alpha:g}")
        ax.plot(x, es, color=colour, linewidth=1.0, linestyle="--", label=f"ES {alpha:g}")
        hits = np.flatnonzero(result.exceedances[:, j])
        ax.scatter(np.asarray(x)[hits], returns[hits], marker="x", s=22, linewidths=1.0,
                   color=EXCEEDANCE_COLOUR if len(chosen) == 1 else colour, zorder=3,
                   label=f"exceedances {alpha:g}: {hits.size} (expected {(1 - alpha) * returns.size:.1f})")
    ax.set_title(f"{result.family.upper()} rolling backtest (window {result.window}, refit every "
                 f"{result.refit_every})")
    ax.set_ylabel("portfolio return")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), fontsize="small", ncol=3)
    return figure
