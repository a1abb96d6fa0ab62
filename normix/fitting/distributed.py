"""Data beyond one device or beyond memory: row-sharded JAX arrays and dask arrays.

EM needs only sums of per-row sufficient statistics, so both placements give the
in-memory fit's iterates (up to the order of floating-point additions):

* :func:`shard_rows` places X on several JAX devices, split by rows over a 1-D
  mesh.  ``BatchEMFitter.fit`` and ``MiniBatchEMFitter.fit`` take the result as it is:
  each E-step is one program on all devices, each device working on its own rows,
  with one all-reduce (``psum``) of the 5 + 2d + d² statistics.
* A ``dask.array.Array`` (from memory with ``dask.array.from_array``, or from chunk
  files with :func:`dask_array_from_files`) is taken by ``BatchEMFitter.fit``: each
  E-step is one dask computation, the family's E-step per chunk (the numba kernel
  with ``e_step_backend='cpu'``) and a fixed-order tree sum, on dask's threads or on
  a ``dask.distributed`` cluster.  Data larger than memory streams from disk at
  every iteration, a few chunks at a time.

Example (``model`` a starting model, ``X`` a numpy array)::

    from normix import BatchEMFitter
    from normix.fitting.distributed import dask_array_from_files, shard_rows

    Xs = shard_rows(X)                                    # over all of jax.devices()
    result = BatchEMFitter(e_step_backend="jax", m_step_backend="jax").fit(model, Xs)

    Xd = dask_array_from_files("data/chunks/")            # *.npy, *.parquet or *.csv
    result = BatchEMFitter(e_step_backend="cpu", m_step_backend="cpu").fit(model, Xd)

See ``docs/user_guide/scaling.md`` for several hosts (``jax.distributed``), clusters
and measured scaling.
"""
import numpy as np

from normix.fitting import chunk_files

__all__ = ["shard_rows", "dask_array_from_files"]


def shard_rows(X, devices=None, *, axis_name="rows"):
    """X as a JAX array split by rows over a 1-D mesh of ``devices`` (``NamedSharding``, spec ``(axis_name, None)``).

    Parameters
    ----------
    X : array, shape (n_local, d)
        This process's rows (with one process, all rows).  With several processes
        (after ``jax.distributed.initialize``) every process passes its own block of
        equal size, and the result is the global array of all processes' rows, in
        process order (``jax.make_array_from_process_local_data``).
    devices : sequence of jax.Device, optional
        The mesh, in order; default ``jax.devices()`` (every device of every process).
    axis_name : str
        Name of the mesh axis.

    Returns
    -------
    jax.Array, shape (n, d), float64
        Device j holds rows j * n / k to (j + 1) * n / k - 1 of k devices.

    Raises
    ------
    ValueError
        If X is not 2-D, ``devices`` is empty, or the rows do not split evenly over this
        process's devices (JAX shards evenly; drop or add rows to a multiple of k).
    """
    import jax
    from jax.sharding import Mesh, NamedSharding, PartitionSpec

    devices = list(jax.devices() if devices is None else devices)
    if not devices:
        raise ValueError("devices must name at least one device")
    X = np.asarray(X, dtype=np.float64) if not isinstance(X, jax.Array) else X.astype(np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must have shape (n, d), got shape {X.shape}")
    local = sum(device.process_index == jax.process_index() for device in devices)
    if local == 0 or X.shape[0] % local:
        raise ValueError(f"X has {X.shape[0]} rows, not a positive multiple of the {local} device(s) of this "
                         f"process in the mesh: JAX splits rows evenly, so trim or complete X to a multiple of "
                         f"{max(local, 1)} rows")
    sharding = NamedSharding(Mesh(np.asarray(devices), (axis_name,)), PartitionSpec(axis_name, None))
    return jax.make_array_from_process_local_data(sharding, X)


def dask_array_from_files(source, *, columns=None, chunk_rows=None):
    """A dask array of float64 rows read lazily from chunk files (``.npy``, ``.parquet``, ``.csv``).

    Parameters
    ----------
    source : str, path or sequence of paths
        A folder (its ``.npy``/``.parquet``/``.csv`` files, sorted by name), a glob
        pattern (sorted), or the files in order.  Rows follow the file order.
    columns : sequence of str, optional
        Parquet/CSV columns to read, in order (default all).  CSV files have a header
        line of column names.
    chunk_rows : int, optional
        Rows per dask chunk of a ``.npy`` file (default: 64 MiB of float64 per chunk).
        A Parquet row group or a whole CSV file is one chunk.

    Returns
    -------
    dask.array.Array, shape (n, d), float64
        One chunk per piece, with known sizes.  A ``.npy`` chunk is read with an offset
        (the file is never mapped whole), so a computation holds a few chunks at a time.

    Raises
    ------
    ValueError
        When the list is built: no file, an unknown suffix, a ``.npy`` file that is not a
        2-D numeric array, a missing column, or a file whose width differs from the first
        file's (naming both).  When a chunk is read (during a fit): rows with NaN or inf,
        naming the file and its rows.
    """
    import dask
    import dask.array as da

    if chunk_rows is not None and not (isinstance(chunk_rows, (int, np.integer)) and chunk_rows >= 1):
        raise ValueError(f"chunk_rows must be an integer >= 1, got {chunk_rows!r}")
    paths = chunk_files.list_files(source)
    pieces, width = [], None
    for path in paths:
        d, file_pieces = chunk_files.describe(path, tuple(columns or ()), chunk_rows)
        if width is None:
            width, first = d, path
        elif d != width:
            raise ValueError(f"chunk file {path!r} has {d} column(s), but the first file {first!r} has {width}")
        pieces += file_pieces
    blocks = [da.from_delayed(dask.delayed(chunk_files.read_piece, pure=True)(piece, width),
                              shape=(piece.rows, width), dtype=np.float64, meta=np.empty((0, 0)))
              for piece in pieces if piece.rows]
    if not blocks:
        raise ValueError(f"the chunk files of {source!r} hold no rows")
    return da.concatenate(blocks, axis=0)
