"""Chunk files (.npy, Parquet, CSV) read as float64 row blocks, checked as they are read.

A dataset on disk is a sequence of *pieces*: row ranges of ``.npy`` files (read
with an offset, without mapping the whole file, so memory stays at one piece),
row groups of Parquet files, or whole CSV files.  Shapes come from the file
headers (Parquet metadata, the ``.npy`` header; CSV files are counted once);
a file whose width differs from the first file's is reported when the list is
built, and a piece with NaN or inf when it is read, naming the file and its rows.
"""
import dataclasses
import glob
import os

import numpy as np

SUFFIXES = (".npy", ".parquet", ".csv")

# Default rows per .npy piece: 64 MiB of float64 per piece (a few pieces are in memory
# per worker thread at a time).
_PIECE_BYTES = 64 << 20

_SHOWN_ROWS = 5


@dataclasses.dataclass(frozen=True)
class Piece:
    """Rows ``start:stop`` of ``path``; ``group`` is the Parquet row group (else -1)."""

    path: str
    start: int
    stop: int
    columns: tuple
    group: int = -1

    @property
    def rows(self):
        return self.stop - self.start

    def name(self):
        return f"chunk file {self.path!r} (file rows {self.start} to {self.stop - 1})"


def list_files(source):
    """The chunk files of a folder (sorted by name), a glob pattern (sorted) or a sequence of paths."""
    if isinstance(source, (str, os.PathLike)):
        source = os.fspath(source)
        if os.path.isdir(source):
            paths = sorted(os.path.join(source, f) for f in os.listdir(source) if f.endswith(SUFFIXES))
        else:
            paths = sorted(glob.glob(source))
    else:
        paths = [os.fspath(p) for p in source]
    if not paths:
        raise ValueError(f"source must name at least one chunk file ({', '.join(SUFFIXES)}), "
                         f"none found in {source!r}")
    for path in paths:
        if not path.endswith(SUFFIXES):
            raise ValueError(f"chunk file {path!r} must end with one of {SUFFIXES}")
    return paths


_NPY_HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}


def _npy_header(path):
    """(shape, dtype, data offset) of a .npy file, from its header alone."""
    with open(path, "rb") as f:
        version = np.lib.format.read_magic(f)
        if version not in _NPY_HEADER_READERS:
            raise ValueError(f"chunk file {path!r} has .npy format version {version}; 1.0 and 2.0 are read")
        shape, fortran_order, dtype = _NPY_HEADER_READERS[version](f)
        offset = f.tell()
    if len(shape) != 2 or fortran_order or dtype.hasobject or dtype.kind not in "fiu":
        raise ValueError(f"chunk file {path!r} must hold a 2-D C-ordered numeric array, got shape {shape}, "
                         f"dtype {dtype}, fortran_order={fortran_order}")
    return shape, dtype, offset


def _parquet_file(path):
    import pyarrow.parquet as pq

    return pq.ParquetFile(path)


def _csv_reader(path, columns):
    import pyarrow.csv as pacsv

    convert = pacsv.ConvertOptions(include_columns=list(columns) if columns else None)
    return pacsv.open_csv(path, convert_options=convert)


def describe(path, columns, chunk_rows):
    """(width, pieces) of one chunk file; ``columns`` selects Parquet/CSV columns by name."""
    if path.endswith(".npy"):
        if columns:
            raise ValueError(f"columns selects Parquet or CSV columns by name; chunk file {path!r} is .npy")
        (n, d), _, _ = _npy_header(path)
        step = chunk_rows or max(1, _PIECE_BYTES // (8 * max(d, 1)))
        return d, [Piece(path, s, min(s + step, n), ()) for s in range(0, n, step)]
    if path.endswith(".parquet"):
        parquet = _parquet_file(path)
        meta, names = parquet.metadata, list(parquet.schema_arrow.names)
        missing = [c for c in columns or () if c not in names]
        if missing:
            raise ValueError(f"chunk file {path!r} has no column(s) {missing}; it has {names}")
        pieces, start = [], 0
        for g in range(meta.num_row_groups):
            rows = meta.row_group(g).num_rows
            pieces.append(Piece(path, start, start + rows, tuple(columns or ()), g))
            start += rows
        return len(columns or names), pieces
    reader = _csv_reader(path, columns)
    d = len(reader.schema.names)
    n = sum(batch.num_rows for batch in reader)
    return d, [Piece(path, 0, n, tuple(columns or ()))]


def _table_to_rows(table, piece):
    """A pyarrow table as a float64 (rows, columns) array (nulls become NaN); ``ValueError`` on a text column."""
    rows = np.empty((table.num_rows, table.num_columns))
    for j, (name, column) in enumerate(zip(table.column_names, table.columns)):
        try:
            rows[:, j] = column.to_numpy(zero_copy_only=False)
        except (TypeError, ValueError):
            raise ValueError(f"{piece.name()}: column {name!r} ({column.type}) is not numeric") from None
    return rows


def read_piece(piece, d):
    """The rows of ``piece`` as a float64 (rows, d) array; ``ValueError`` naming it if they are not finite."""
    if piece.path.endswith(".npy"):
        _, dtype, offset = _npy_header(piece.path)
        flat = np.fromfile(piece.path, dtype=dtype, count=piece.rows * d,
                           offset=offset + piece.start * d * dtype.itemsize)
        if flat.size != piece.rows * d:
            raise ValueError(f"{piece.name()} is truncated: {flat.size} of {piece.rows * d} values could be read")
        rows = flat.astype(np.float64, copy=False).reshape(piece.rows, d)
    elif piece.path.endswith(".parquet"):
        table = _parquet_file(piece.path).read_row_group(piece.group, columns=list(piece.columns) or None)
        rows = _table_to_rows(table, piece)
    else:
        import pyarrow.csv as pacsv

        convert = pacsv.ConvertOptions(include_columns=list(piece.columns) or None)
        rows = _table_to_rows(pacsv.read_csv(piece.path, convert_options=convert), piece)
    if rows.shape != (piece.rows, d):
        raise ValueError(f"{piece.name()} read as shape {rows.shape}; expected ({piece.rows}, {d})")
    bad = np.flatnonzero(~np.all(np.isfinite(rows), axis=1))
    if bad.size:
        shown = ", ".join(str(piece.start + i) for i in bad[:_SHOWN_ROWS])
        shown += ", ..." if bad.size > _SHOWN_ROWS else ""
        raise ValueError(f"{piece.name()} holds NaN or inf in {bad.size} row(s) (file rows {shown})")
    return rows
