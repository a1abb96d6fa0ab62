"""Arguments of the command line: option types, and the check of the data source.

An option type parses one option's text or raises ``argparse.ArgumentTypeError``, which
argparse turns into a usage message and exit status 2.
"""
import argparse
import math

from normix.cli.data import DataError


def _number(text, kind, what):
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}") from None


def positive_int(text):
    """An integer >= 1 (an iteration budget, a window, a count)."""
    value = _number(text, int, "an integer >= 1")
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text!r}")
    return value


def positive_float(text):
    """A finite number > 0 (a tolerance)."""
    value = _number(text, float, "a number > 0")
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text!r}")
    return value


def level(text):
    """A confidence level in (0, 1), e.g. ``0.99``."""
    value = _number(text, float, "a number in (0, 1) such as 0.99")
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"must be in (0, 1) (a confidence level such as 0.99), got {text!r}")
    return value


def weights(text):
    """Comma-separated finite numbers, not all zero, e.g. ``0.6,0.4``."""
    values = [_number(token, float, "comma-separated numbers such as 0.6,0.4") for token in text.split(",")]
    if not all(math.isfinite(v) for v in values) or not any(values):
        raise argparse.ArgumentTypeError(f"must be finite and not all zero, got {text!r}")
    return values


def check_source(args):
    """Exactly one of DATA and ``--demo``, and no option of DATA with ``--demo``; ``DataError`` otherwise."""
    if args.demo:
        if args.data is not None:
            raise DataError("give either DATA or --demo, not both")
        used = [flag for flag, value in (("--columns", args.columns), ("--returns", args.returns),
                                         ("--dropna", args.dropna)) if value]
        if used:
            raise DataError(f"{', '.join(used)} apply to DATA; --demo uses its own data (daily log-returns)")
    elif args.data is None:
        raise DataError("give a DATA file (CSV, TSV, Parquet or .npy) or --demo")
