"""The ``normix`` command line (the ``normix`` console script and ``python -m normix``).

``normix fit DATA``
    Fits the mixture families (``--family gh|nig|vg|ninvg|all``) by EM to the columns of
    a CSV, TSV, Parquet or .npy file, prints a table per family (mean log-likelihood,
    AIC, BIC, iterations, convergence, time) and the fitted parameters, and with
    ``--family all`` the likelihood-ratio tests of NIG, VG and NInvG against GH and the
    BIC ranking.  ``--out DIR`` saves each fitted model as ``DIR/<family>.json``
    (loadable with ``normix.load``), the report as ``summary.txt`` and ``summary.json``
    and, with matplotlib, plots under ``DIR/report/`` (``--no-plots`` skips them).
``normix fit --demo``
    The same on the daily log-returns of the S&P 500 and the NASDAQ Composite shipped
    with the ``arch`` package (``pip install "normix[data]"``).
``normix risk MODEL.json --weights 0.6,0.4 --level 0.99 0.975``
    VaR, expected shortfall and Euler contributions of a portfolio under a saved model
    (:mod:`normix.cli.risk`).
``normix backtest DATA --family nig --window 1000 --weights 0.6,0.4 --level 0.99``
    Rolling-window VaR/ES backtest with the Kupiec, Christoffersen and Z2 tests
    (:mod:`normix.cli.backtest`).
``normix demo``
    Checks the Bessel kernel against scipy and times it against the floor, then fits
    all four families to data drawn from a known GH model.

Exit status: 0 on success; 1 if a family's fit failed; 2 for bad arguments or data
(one line on stderr, no traceback).
"""
import argparse
import sys

import normix.cli.arguments as arguments
import normix.cli.backtest as backtest
import normix.cli.risk as risk
from normix.cli.data import DataError

FAMILY_CHOICES = ("gh", "nig", "vg", "ninvg", "all")


def fit_command(args, out, err):
    """Run ``normix fit``; the exit status."""
    from normix.cli.data import demo_returns, load_data
    from normix.cli.fit import run

    arguments.check_source(args)
    if args.demo:
        names, X = demo_returns()
        source = "S&P 500 and NASDAQ daily log-returns (arch.data)"
    else:
        def warn(message):
            err.write(f"normix fit: {message}\n")

        names, X = load_data(args.data, args.columns, args.returns or "none", args.dropna, warn)
        source = args.data if not args.returns or args.returns == "none" else f"{args.data} ({args.returns} returns)"
    return run(X, names, source, args, out, err)


def demo_command(args, out, err):
    """Run ``normix demo``; the exit status."""
    from normix.cli.demo import demo

    return demo(args, out)


def build_parser():
    parser = argparse.ArgumentParser(prog="normix", description="Generalized Hyperbolic mixtures fitted by EM.")
    sub = parser.add_subparsers(dest="command", required=True)

    fit = sub.add_parser("fit", help="fit the mixture families to a data file (or --demo) and compare them",
                         description="Fit NIG, VG, NInvG and GH by EM to the columns of DATA and compare them.")
    fit.add_argument("data", nargs="?", metavar="DATA", help="CSV, TSV, Parquet or .npy file (one row per observation)")
    fit.add_argument("--demo", action="store_true",
                     help="fit S&P 500 and NASDAQ daily log-returns from the arch package instead of DATA")
    fit.add_argument("--family", choices=FAMILY_CHOICES, default="all", help="family to fit (default: all)")
    fit.add_argument("--columns", help="comma-separated column names or 0-based indices (default: every numeric "
                                       "column)")
    fit.add_argument("--returns", choices=("log", "simple", "none"),
                     help="turn price columns into log returns log(P_t/P_t-1) or simple returns P_t/P_t-1 - 1 "
                          "(default: none, fit the values as they are)")
    fit.add_argument("--dropna", action="store_true", help="drop rows holding missing or non-finite values "
                                                           "(default: report them and stop)")
    fit.add_argument("--max-iter", type=arguments.positive_int, default=500,
                     help="EM iteration budget per family (default 500)")
    fit.add_argument("--tol", type=arguments.positive_float, default=1e-5,
                     help="EM tolerance on the relative change of mu, gamma, L_Sigma (default 1e-5)")
    fit.add_argument("--backend", choices=("cpu", "jax"), default="cpu",
                     help="E-step and M-step kernels: numba (cpu, default) or JAX")
    fit.add_argument("--out", metavar="DIR", help="write <family>.json models, summary.txt, summary.json and "
                                                  "report/*.png plots to DIR")
    fit.add_argument("--no-plots", action="store_true", help="with --out, skip the report plots")
    fit.add_argument("--se", action="store_true", help="print (and with --out, save) the standard errors of every "
                                                       "fitted family (Louis's observed information)")
    fit.add_argument("--gof", type=arguments.positive_int, metavar="N_BOOT",
                     help="print (and with --out, save) Kolmogorov-Smirnov, Cramer-von Mises and Anderson-Darling "
                          "tests of every margin and of the Rosenblatt transform of each fitted family, with "
                          "p-values from N_BOOT parametric-bootstrap refits (e.g. 99)")
    fit.set_defaults(handler=fit_command)

    demo = sub.add_parser("demo", help="kernel check and EM fits of all four families on generated data")
    demo.add_argument("--n", type=int, default=20_000, help="rows to generate (default 20000)")
    demo.add_argument("--seed", type=int, default=0, help="seed of the generated data")
    demo.set_defaults(handler=demo_command)
    risk.add_parser(sub)
    backtest.add_parser(sub)
    return parser


def main(argv=None, out=None, err=None):
    """Run the command line on ``argv`` (default ``sys.argv[1:]``); the exit status."""
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args, out, err)
    except DataError as error:
        err.write(f"normix {args.command}: error: {error}\n")
        return 2
