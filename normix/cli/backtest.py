"""``normix backtest DATA``: rolling VaR/ES backtest of a portfolio, with the coverage tests.

DATA is read as ``normix fit`` reads it (:func:`normix.cli.data.load_data`: CSV, TSV,
Parquet or .npy, ``--columns``, ``--returns``, ``--dropna``); ``--demo`` takes the daily
log-returns of the S&P 500 and the NASDAQ Composite from the ``arch`` package, dated.
The backtest is :func:`normix.risk.backtest.backtest`; a progress bar over the refits
goes to stderr when it is a terminal (``--progress`` / ``--no-progress`` force it).
The summary (refits and their statuses, exceedances, the test table) is printed;
``--out DIR`` also writes ``backtest.json`` (the series, the tests, the refits),
``summary.txt`` and, with matplotlib, ``backtest.png``.

Exit status 0 when the backtest ran (refits that failed or hit their budget are
counted in the summary, by status); 2 for bad arguments or data, with one line on
stderr.
"""
import argparse
import json
import os

import normix.cli.arguments as arguments
from normix.cli.data import DataError, INSTALL_DATA, check_rows, first_line

FAMILY_CHOICES = ("nig", "vg", "ninvg", "gh", "normal")


def add_parser(sub):
    """Register ``normix backtest`` on the subparsers ``sub``."""
    bt = sub.add_parser("backtest", help="rolling-window VaR/ES backtest of a portfolio (Kupiec, Christoffersen, "
                                         "Acerbi-Szekely Z2)",
                        description="Refit a model on a rolling window, forecast the next day's VaR and ES of the "
                                    "portfolio loss L = -w'X and test the forecasts.")
    bt.add_argument("data", nargs="?", metavar="DATA", help="CSV, TSV, Parquet or .npy file of returns (one row per "
                                                              "day, in time order)")
    bt.add_argument("--demo", action="store_true", help="S&P 500 and NASDAQ daily log-returns from the arch package")
    bt.add_argument("--family", choices=FAMILY_CHOICES, default="nig", help="model refitted on each window "
                                                                            "(default nig)")
    bt.add_argument("--window", type=arguments.positive_int, required=True, help="rows per fit (e.g. 1000)")
    bt.add_argument("--level", type=arguments.level, nargs="+", default=[0.99],
                    help="confidence levels (default 0.99), e.g. --level 0.99 0.975")
    bt.add_argument("--weights", type=arguments.weights, required=True, help="portfolio weights, e.g. 0.6,0.4")
    bt.add_argument("--refit-every", type=arguments.positive_int, default=1, help="days between refits (default 1)")
    bt.add_argument("--columns", help="comma-separated column names or 0-based indices (default: every numeric "
                                      "column)")
    bt.add_argument("--returns", choices=("log", "simple", "none"),
                    help="turn price columns into log or simple returns (default: none, the values are returns)")
    bt.add_argument("--dropna", action="store_true", help="drop rows holding missing or non-finite values")
    bt.add_argument("--n-sim", type=arguments.positive_int, default=1000,
                    help="paths simulated from the forecasts for the Z2 p-value (default 1000)")
    bt.add_argument("--seed", type=int, default=0, help="seed of the Z2 simulation (default 0)")
    bt.add_argument("--max-iter", type=arguments.positive_int, default=50, help="EM iterations per warm-started refit "
                                                                        "(default 50)")
    bt.add_argument("--tol", type=arguments.positive_float, default=1e-5, help="EM tolerance of the refits (default 1e-5)")
    bt.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                    help="progress bar over the refits on stderr (default: only on a terminal)")
    bt.add_argument("--out", metavar="DIR", help="write backtest.json, summary.txt and backtest.png to DIR")
    bt.set_defaults(handler=backtest_command)


def demo_frame():
    """The daily log-returns of the S&P 500 and the NASDAQ Composite (adjusted closes) as a dated DataFrame."""
    try:
        import numpy
        import pandas
        from arch.data import nasdaq, sp500
    except ImportError:
        raise DataError(f"normix backtest --demo needs pandas and the arch package: {INSTALL_DATA}") from None
    prices = pandas.concat([sp500.load()["Adj Close"], nasdaq.load()["Adj Close"]], axis=1, join="inner").dropna()
    prices.columns = ["S&P 500", "NASDAQ"]
    returns = numpy.log(prices).diff().iloc[1:]
    check_rows(returns.to_numpy(), "demo data")
    return returns


def read_returns(args, err):
    """``(returns, source)``: a DataFrame of returns (dated for --demo, numbered rows for DATA)."""
    import pandas

    from normix.cli.data import load_data

    arguments.check_source(args)
    if args.demo:
        return demo_frame(), "S&P 500 and NASDAQ daily log-returns (arch.data)"

    def warn(message):
        err.write(f"normix backtest: {message}\n")

    names, X = load_data(args.data, args.columns, args.returns or "none", args.dropna, warn)
    return pandas.DataFrame(X, columns=names), args.data


def write_outputs(folder, result, summary, source, err):
    """``backtest.json``, ``summary.txt`` and (with matplotlib) ``backtest.png`` under ``folder``."""
    try:
        with open(os.path.join(folder, "summary.txt"), "w", encoding="utf-8") as stream:
            stream.write(summary + "\n")
        document = dict(source=source, **result.to_dict())
        with open(os.path.join(folder, "backtest.json"), "w", encoding="utf-8") as stream:
            json.dump(document, stream, indent=1, allow_nan=False)
            stream.write("\n")
    except OSError as error:
        raise DataError(f"--out {folder}: cannot write: {first_line(error)}") from None
    try:
        from normix.risk.backtest_plot import plot_backtest

        plot_backtest(result).savefig(os.path.join(folder, "backtest.png"), dpi=110)
    except ImportError:
        err.write('no plot: matplotlib is not installed (pip install "normix[plot]")\n')


def backtest_command(args, out, err):
    """Run ``normix backtest``; the exit status."""
    from normix.risk.backtest import backtest

    returns, source = read_returns(args, err)
    if len(args.weights) != returns.shape[1]:
        raise DataError(f"--weights has {len(args.weights)} value(s); the data has {returns.shape[1]} column(s) "
                        f"({', '.join(map(str, returns.columns))})")
    if args.out:
        try:
            os.makedirs(args.out, exist_ok=True)
        except OSError as error:
            raise DataError(f"--out {args.out}: cannot write: {first_line(error)}") from None
    try:
        result = backtest(returns, args.weights, args.level, args.family, args.window, args.refit_every,
                          n_sim=args.n_sim, seed=args.seed, max_iter=args.max_iter, tol=args.tol,
                          progress=args.progress)
    except ValueError as error:
        raise DataError(first_line(error)) from None
    summary = f"{source}: n = {returns.shape[0]} rows, d = {returns.shape[1]}\n" + result.summary()
    out.write(summary + "\n")
    out.flush()
    if args.out:
        write_outputs(args.out, result, summary, source, err)
        err.write(f"wrote {args.out}\n")
    return 0
