"""Plotting helpers (matplotlib, the optional ``plot`` extra).

matplotlib is imported when a function is called, never at ``import normix``.
"""

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
