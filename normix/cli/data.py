"""The data of ``normix fit``: a table from CSV, Parquet or .npy, checked and turned into returns.

Every problem with the data raises :class:`DataError`, whose message is one line for
the user (the command line prints it and exits with status 2).

Rows are numbered from 0, not counting a CSV header line.
"""
import math
import os

import numpy as np

INSTALL_DATA = 'pip install "normix[data]"'
_CSV_SUFFIXES = (".csv", ".tsv")
_COMPRESSION = (".gz", ".bz2", ".xz", ".zip", ".zst")
_PARQUET_SUFFIXES = (".parquet", ".pq")
SUPPORTED = ".csv, .tsv (optionally compressed), .parquet, .pq, .npy"


class DataError(Exception):
    """A problem with the input data, described in one line."""


def first_line(error):
    """The first line of an exception's message, or its type name when the message is empty."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _list(items, limit=5):
    items = [str(item) for item in items]
    return ", ".join(items[:limit]) + (", ..." if len(items) > limit else "")


def _kind(path):
    name = path.lower()
    for suffix in _COMPRESSION:
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    if name.endswith(_CSV_SUFFIXES):
        return "tsv" if name.endswith(".tsv") else "csv"
    if path.lower().endswith(_PARQUET_SUFFIXES):
        return "parquet"
    if path.lower().endswith(".npy"):
        return "npy"
    raise DataError(f"{path}: unsupported file type; supported: {SUPPORTED}")


def _pandas(what):
    try:
        import pandas
    except ImportError:
        raise DataError(f"reading {what} needs pandas: {INSTALL_DATA}") from None
    return pandas


def _read_csv(path, sep):
    pandas = _pandas("CSV")
    try:
        frame = pandas.read_csv(path, sep=sep)
        if all(_is_number(name) for name in frame.columns):
            frame = pandas.read_csv(path, sep=sep, header=None)
    except pandas.errors.EmptyDataError:
        raise DataError(f"{path}: the file is empty") from None
    except (pandas.errors.ParserError, UnicodeDecodeError, ValueError, OSError) as err:
        raise DataError(f"{path}: cannot read as {'TSV' if sep == chr(9) else 'CSV'}: {first_line(err)}") from None
    return [str(name) for name in frame.columns], [frame[name].to_numpy() for name in frame.columns]


def _read_parquet(path):
    pandas = _pandas("Parquet")
    try:
        frame = pandas.read_parquet(path)
    except ImportError:
        raise DataError(f"reading Parquet needs pyarrow: {INSTALL_DATA}") from None
    except (ValueError, OSError, TypeError) as err:
        raise DataError(f"{path}: cannot read as Parquet: {first_line(err)}") from None
    return [str(name) for name in frame.columns], [frame[name].to_numpy() for name in frame.columns]


def _read_npy(path):
    try:
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as err:
        raise DataError(f"{path}: cannot read as .npy: {first_line(err)}") from None
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise DataError(f"{path}: the array must have 1 or 2 dimensions (rows, columns), got shape {array.shape}")
    return [str(j) for j in range(array.shape[1])], [array[:, j] for j in range(array.shape[1])]


def read_table(path):
    """``(names, columns)`` of the file at ``path``: column names and 1-D arrays, as stored.

    A CSV whose first line holds only numbers has no header; its columns are named
    0, 1, ...  So are the columns of an .npy array.
    """
    if not os.path.exists(path):
        raise DataError(f"{path}: no such file")
    if os.path.isdir(path):
        raise DataError(f"{path}: is a folder, not a data file")
    kind = _kind(path)
    if kind in ("csv", "tsv"):
        names, columns = _read_csv(path, "\t" if kind == "tsv" else ",")
    elif kind == "parquet":
        names, columns = _read_parquet(path)
    else:
        names, columns = _read_npy(path)
    if not names:
        raise DataError(f"{path}: the file holds no columns")
    return names, columns


def _is_number(text):
    try:
        float(text)
    except (TypeError, ValueError):
        return False
    return True


def _is_missing(value):
    return value is None or (isinstance(value, float) and math.isnan(value))


def numeric_column(values):
    """``(floats, bad_rows)``: the column as float64 (NaN where missing) and the rows that are not numbers."""
    if values.dtype.kind in "iuf":
        return values.astype(np.float64), []
    if values.dtype.kind != "O" and values.dtype.kind not in "US":
        return None, list(range(len(values)))
    floats = np.full(len(values), np.nan)
    bad = []
    for i, value in enumerate(values):
        if _is_missing(value):
            continue
        if isinstance(value, (bool, np.bool_)) or not _is_number(value):
            bad.append(i)
        else:
            floats[i] = float(value)
    return floats, bad


def select_columns(names, columns, spec, path, warn):
    """``(selected names, X)``: the columns named or indexed in ``spec`` (all numeric ones if None).

    Without ``spec``, columns with no number at all (dates, labels) are left out with a
    note on ``warn``; a column holding some numbers and some text is an error.
    """
    if spec is None:
        chosen = list(range(len(names)))
    else:
        chosen = []
        for token in (t.strip() for t in spec.split(",")):
            if token in names:
                index = names.index(token)
            elif token.lstrip("-").isdigit() and -len(names) <= int(token) < len(names):
                index = int(token) % len(names)
            else:
                raise DataError(f"{path}: unknown column {token!r} in --columns; columns: {_list(names, 20)} "
                                f"(or 0-based indices below {len(names)})")
            if index in chosen:
                raise DataError(f"{path}: column {names[index]!r} is selected twice in --columns")
            chosen.append(index)
    kept, data, skipped = [], [], []
    for index in chosen:
        floats, bad = numeric_column(columns[index])
        present = sum(not _is_missing(v) for v in columns[index]) if bad else 0
        if bad and spec is None and len(bad) == present:
            skipped.append(names[index])
            continue
        if bad:
            more = f" ({len(bad)} non-numeric rows: {_list(bad)})" if len(bad) > 1 else ""
            raise DataError(f"{path}: column {names[index]!r} is not numeric: row {bad[0]} holds "
                            f"{columns[index][bad[0]]!r}{more}")
        kept.append(names[index])
        data.append(floats)
    if skipped:
        warn(f"ignoring non-numeric column(s): {_list(skipped, 20)}")
    if not kept:
        raise DataError(f"{path}: no numeric column to fit")
    return kept, np.column_stack(data)


def drop_missing(X, path, dropna, warn):
    """X without its rows holding NaN or inf; an error unless ``dropna``."""
    bad = np.flatnonzero(~np.all(np.isfinite(X), axis=1))
    if bad.size == 0:
        return X
    if not dropna:
        raise DataError(f"{path}: {bad.size} row(s) hold missing or non-finite values (rows {_list(bad)}, "
                        f"numbered from 0); pass --dropna to drop them")
    warn(f"dropped {bad.size} row(s) with missing or non-finite values (rows {_list(bad)})")
    return np.delete(X, bad, axis=0)


def to_returns(P, kind, names, path, rows_dropped=False):
    """Returns of the price rows ``P``: ``'log'`` log(P_t / P_{t-1}), ``'simple'`` P_t / P_{t-1} - 1, ``'none'`` P."""
    if kind == "none":
        return P
    rows, cols = np.nonzero(P <= 0)
    if rows.size:
        raise DataError(f"{path}: {kind} returns need positive prices; column {names[cols[0]]!r} holds "
                        f"{float(P[rows[0], cols[0]])!r} at row {rows[0]}"
                        + (" (counted after --dropna)" if rows_dropped else ""))
    if kind == "log":
        return np.diff(np.log(P), axis=0)
    return P[1:] / P[:-1] - 1.0


def load_data(path, columns=None, returns="none", dropna=False, warn=None):
    """``(names, X)`` for ``normix fit DATA``: read, select, drop or reject missing rows, make returns.

    Raises
    ------
    DataError
        With a one-line message for every problem: missing or unreadable file, unknown
        or non-numeric column, rows with NaN or inf (without ``dropna``), non-positive
        prices for returns, fewer than d + 2 rows.
    """
    warn = warn if warn is not None else (lambda message: None)
    names, raw = read_table(path)
    names, X = select_columns(names, raw, columns, path, warn)
    kept = drop_missing(X, path, dropna, warn)
    X = to_returns(kept, returns, names, path, rows_dropped=len(kept) < len(X))
    return names, check_rows(X, path)


def check_rows(X, source):
    """X if it has at least d + 2 rows (the fewest a d-dimensional mixture fit accepts)."""
    n, d = X.shape
    if n < d + 2:
        raise DataError(f"{source}: {n} usable row(s); fitting {d} column(s) needs at least {d + 2}")
    return X


def demo_returns():
    """``(names, X)``: daily log-returns of the S&P 500 and NASDAQ Composite (adjusted closes) from ``arch``.

    The two series are aligned on their common dates; X has shape (n, 2).
    """
    try:
        from arch.data import nasdaq, sp500
    except ImportError:
        raise DataError(f"normix fit --demo needs the arch package: {INSTALL_DATA}") from None
    pandas = _pandas("the demo data")
    prices = pandas.concat([sp500.load()["Adj Close"], nasdaq.load()["Adj Close"]], axis=1, join="inner").dropna()
    names = ["S&P 500", "NASDAQ"]
    return names, check_rows(np.diff(np.log(prices.to_numpy(dtype=np.float64)), axis=0), "demo data")
