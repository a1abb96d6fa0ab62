"""JAX's persistent compilation cache, kept in a per-user cache directory.

A JAX program (the E-step of a fit with ``e_step_backend='jax'``, a jitted density, the
univariate cdf) is compiled by XLA the first time it runs in a process, which takes
from a fraction of a second to tens of seconds.  With the persistent cache, XLA's output
is written to disk and a later process that builds the same program loads it instead of
compiling it again.

``import normix`` calls :func:`enable_jax_cache` with no argument, which points JAX at

* ``$NORMIX_JAX_CACHE_DIR`` when that variable is set, else
* ``$XDG_CACHE_HOME/normix/jax``, else ``~/.cache/normix/jax``,

and caches every program whose compilation takes at least
:data:`MIN_COMPILE_SECONDS`.  Nothing is changed when

* ``NORMIX_JAX_CACHE=0`` (the opt-out),
* JAX already has a cache directory (``JAX_COMPILATION_CACHE_DIR`` or
  ``jax.config.update("jax_compilation_cache_dir", ...)`` before ``import normix``),
* the directory cannot be created or written (a read-only home): programs are then
  compiled in memory as without the cache.

The cache holds only compiled XLA executables keyed by a hash of the program, the JAX
and XLA versions and the device; it can be deleted at any time.
"""
import os

MIN_COMPILE_SECONDS = 0.2
"""Programs that compile faster than this are not written to the cache."""

_OFF = ("0", "false", "no", "off")


def default_cache_dir():
    """The directory :func:`enable_jax_cache` uses when given none (see the module docstring)."""
    explicit = os.environ.get("NORMIX_JAX_CACHE_DIR")
    if explicit:
        return os.path.abspath(os.path.expanduser(explicit))
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "normix", "jax")


def _writable_dir(path):
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:
        return False
    return os.access(path, os.W_OK | os.X_OK)


def enable_jax_cache(path=None):
    """Turn on JAX's persistent compilation cache in ``path``; the directory in use, or ``None``.

    Parameters
    ----------
    path : str, optional
        The cache directory.  ``None`` keeps a directory JAX already has, else uses
        :func:`default_cache_dir` and respects the opt-out ``NORMIX_JAX_CACHE=0``; an
        explicit ``path`` replaces both.

    Returns
    -------
    str or None
        The cache directory JAX now uses (an existing setting is kept and returned),
        or ``None`` when the cache stays off (opted out, or the directory is not writable).
    """
    import jax

    if path is None:
        current = jax.config.jax_compilation_cache_dir
        if current:
            return current
        if os.environ.get("NORMIX_JAX_CACHE", "1").strip().lower() in _OFF:
            return None
        path = default_cache_dir()
    if not _writable_dir(path):
        return None
    jax.config.update("jax_compilation_cache_dir", path)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", MIN_COMPILE_SECONDS)
    return path
