"""Validation of parameters and data, shared by every distribution class.

Each helper takes the value, the name of the argument it came from and checks
one constraint.  On concrete values (numpy arrays, Python numbers, JAX arrays
outside a transformation) a violation raises ``ValueError`` naming the argument
and the constraint, e.g. ``alpha must be > 0 and finite, got -1.0``.  On traced
values (inside ``jax.jit``, ``jax.vmap`` or ``jax.grad``) the same message is
attached with :func:`equinox.error_if`, which raises at run time (an
``EquinoxRuntimeError``, or ``JaxRuntimeError`` under plain ``jax.jit``).

``equinox.error_if`` only fires when its output is used, so every helper
*returns* the checked value as a float64 JAX array and callers must store or
use that return value, never the original input.

Predicates are written with comparison operators only (``a > 0``,
``abs(a) < inf``: both false for NaN), so that the same expression runs on
numpy arrays for concrete input and on JAX tracers otherwise.

Only real numbers are accepted: integer, unsigned and floating dtypes (and object
arrays that convert to float).  Strings, booleans and complex numbers raise
``ValueError`` naming the argument, concrete or traced (dtypes are static), rather
than being parsed, counted as 0/1 or silently stripped of their imaginary part.
"""
import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

_INF = math.inf


def is_traced(*values):
    """Whether any of ``values`` is a JAX tracer (inside jit, vmap or grad)."""
    return any(isinstance(v, jax.core.Tracer) for v in values)


# dtype kinds of real numbers: signed and unsigned integers, floating point.
_REAL_KINDS = "iuf"


def _not_real(name, what):
    return ValueError(f"{name} must hold real numbers (integer or floating dtype), got {what}")


def as_real_array(value, name):
    """``value`` as a float64 numpy array, or ``ValueError`` naming ``name`` if it does not hold real numbers.

    Strings, booleans, complex numbers, ragged sequences and objects that do not convert
    to float are rejected.
    """
    if value is None or isinstance(value, (str, bytes)):
        raise _not_real(name, f"{type(value).__name__} {value!r}")
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:
        raise _not_real(name, f"a value numpy cannot convert ({error})") from None
    if array.dtype.kind == "O":
        return _object_to_float(array, name)
    if array.dtype.kind not in _REAL_KINDS:
        raise _not_real(name, f"dtype {array.dtype}")
    return array.astype(np.float64, copy=False)


def _object_to_float(array, name):
    """An object array of real numbers as float64 (numpy alone would turn None into NaN and parse strings)."""
    flat = array.ravel()
    for item in flat:
        if item is None or isinstance(item, (str, bytes, bool, np.bool_, complex, np.complexfloating)):
            raise _not_real(name, f"an object array holding {type(item).__name__} {item!r}")
    try:
        return np.array([float(item) for item in flat], dtype=np.float64).reshape(array.shape)
    except (TypeError, ValueError):
        raise _not_real(name, "an object array that does not convert to float") from None


def check_real_dtype(value, name):
    """Raise ``ValueError`` naming ``name`` unless the traced ``value`` has an integer or floating dtype."""
    if np.dtype(value.dtype).kind not in _REAL_KINDS:
        raise _not_real(name, f"dtype {value.dtype}")
    return value


def real_input(value, name):
    """``value`` as a float64 JAX array (traced or concrete) after checking it holds real numbers."""
    if is_traced(value):
        return jnp.asarray(check_real_dtype(value, name), dtype=jnp.float64)
    if isinstance(value, jax.Array) and value.dtype == jnp.float64:
        return value
    return jnp.asarray(as_real_array(value, name))


def _describe(value):
    """Short text for an offending value in an error message."""
    flat = np.ravel(value)
    if flat.size == 1:
        return repr(float(flat[0]))
    return f"{np.array2string(flat[:6], precision=6)}{' ...' if flat.size > 6 else ''}"


def require(value, predicate, name, constraint):
    """Check ``predicate(value)`` holds elementwise and return ``value`` as a float64 JAX array.

    Parameters
    ----------
    value : array_like
        The value to check.
    predicate : callable
        Maps the array to a boolean array (written with operators so that it works on
        numpy arrays and on JAX tracers alike).
    name : str
        Name of the argument, used in the message.
    constraint : str
        The constraint in words, completing ``"<name> must ..."``.

    Raises
    ------
    ValueError
        If ``value`` is concrete and the predicate fails anywhere.  For traced values the
        check is deferred to run time through :func:`equinox.error_if`.
    """
    if is_traced(value):
        array = jnp.asarray(check_real_dtype(value, name), dtype=jnp.float64)
        return eqx.error_if(array, jnp.logical_not(predicate(array)), f"{name} must {constraint}")
    array = as_real_array(value, name)
    ok = np.broadcast_to(np.asarray(predicate(array)), array.shape)
    if not ok.all():
        raise ValueError(f"{name} must {constraint}, got {_describe(array[~ok])}")
    if isinstance(value, jax.Array) and value.dtype == jnp.float64:
        return value
    return jnp.asarray(array)


def check_finite(value, name):
    """Return ``value`` as a float64 JAX array after checking it has no NaN or inf."""
    return require(value, lambda a: abs(a) < _INF, name, "be finite")


def check_positive(value, name):
    """Return ``value`` after checking every element is > 0 and finite."""
    return require(value, lambda a: (a > 0) & (a < _INF), name, "be > 0 and finite")


def check_greater(value, bound, name):
    """Return ``value`` after checking every element is > ``bound`` and finite."""
    return require(value, lambda a: (a > bound) & (a < _INF), name, f"be > {bound} and finite")


def check_less(value, bound, name):
    """Return ``value`` after checking every element is < ``bound`` and finite."""
    return require(value, lambda a: (a < bound) & (a > -_INF), name, f"be < {bound} and finite")


def check_shape(value, shape, name):
    """Raise ``ValueError`` unless ``value`` has exactly ``shape`` (shapes are static, even when traced)."""
    actual = tuple(np.shape(value))
    if actual != tuple(shape):
        expected = "a scalar" if tuple(shape) == () else f"of shape {tuple(shape)}"
        raise ValueError(f"{name} must be {expected}, got shape {actual}")
    return value


def check_scalar(value, name):
    """Return ``value`` after checking it is a finite scalar (shape ``()``)."""
    return check_finite(check_shape(value, (), name), name)


def check_vector(value, name, size=None):
    """Return ``value`` after checking it is a finite 1-d array (of length ``size`` when given)."""
    ndim = np.ndim(value)
    if ndim != 1:
        raise ValueError(f"{name} must be a 1-d array, got shape {tuple(np.shape(value))}")
    if size is not None:
        check_shape(value, (size,), name)
    return check_finite(value, name)


def check_lower_cholesky(value, name, size=None):
    """Return ``value`` after checking it is a lower-triangular (d, d) matrix with a positive, finite diagonal.

    Entries above the diagonal must be exactly zero; a factor with a non-positive
    diagonal element does not define a positive-definite matrix.  Concrete values are
    checked at once (numpy); traced values carry the diagonal check into the program
    through :func:`equinox.error_if` on the returned array.
    """
    shape = tuple(np.shape(value))
    if len(shape) != 2 or shape[0] != shape[1] or (size is not None and shape[0] != size):
        expected = f"({size}, {size})" if size is not None else "(d, d)"
        raise ValueError(f"{name} must be a square matrix of shape {expected}, got shape {shape}")
    value = check_finite(value, name)
    value = require(value, lambda a: (a == 0) | _lower_mask(a.shape[0]), name, "be lower triangular")
    if not is_traced(value):
        require(np.diagonal(np.asarray(value)), lambda a: a > 0, f"the diagonal of {name}", "be > 0")
        return value
    diagonal = require(jnp.diagonal(value), lambda a: a > 0, f"the diagonal of {name}", "be > 0")
    return value.at[jnp.diag_indices(shape[0])].set(diagonal)


def _lower_mask(d):
    return np.tril(np.ones((d, d), dtype=bool))


def cholesky_factor(matrix, name):
    """Lower Cholesky factor of a symmetric positive-definite (d, d) matrix.

    Checks the shape, finiteness and symmetry (to 1e-8 relative to the largest entry;
    the factor is taken of the symmetrised matrix).  A matrix that is not positive
    definite raises ``ValueError`` naming ``name`` and its smallest eigenvalue; on
    traced input the failed factorisation (NaN factor) is reported through
    :func:`equinox.error_if`.
    """
    shape = tuple(np.shape(matrix))
    if len(shape) != 2 or shape[0] != shape[1]:
        raise ValueError(f"{name} must be a square (d, d) matrix, got shape {shape}")
    matrix = check_finite(matrix, name)
    if not is_traced(matrix):
        dense = np.asarray(matrix)
        asymmetry = float(np.max(np.abs(dense - dense.T), initial=0.0))
        if asymmetry > 1e-8 * float(np.max(np.abs(dense), initial=0.0)):
            raise ValueError(f"{name} must be symmetric, got max |{name} - {name}.T| = {asymmetry!r}")
        dense = 0.5 * (dense + dense.T)
        try:
            return jnp.asarray(np.linalg.cholesky(dense))
        except np.linalg.LinAlgError:
            smallest = float(np.linalg.eigvalsh(dense)[0])
            raise ValueError(f"{name} must be positive definite, got smallest eigenvalue {smallest!r}") from None
    scale = jnp.max(jnp.abs(matrix))
    asymmetric = jnp.max(jnp.abs(matrix - matrix.T)) > 1e-8 * scale
    matrix = eqx.error_if(matrix, asymmetric, f"{name} must be symmetric")
    factor = jnp.linalg.cholesky(0.5 * (matrix + matrix.T))
    return eqx.error_if(factor, jnp.any(jnp.isnan(factor)), f"{name} must be positive definite")


def check_data(X, name, *, event_ndim=0, event_shape=None):
    """Return observations ``X`` after checking shape ``(n, *event_shape)`` with n >= 1 and finite entries.

    Parameters
    ----------
    X : array_like
        Observations stacked along the first axis.
    name : str
        Name of the argument.
    event_ndim : int
        Number of dimensions of one observation (0 for scalars, 1 for vectors).
    event_shape : tuple of int, optional
        Exact shape of one observation, when it is known.
    """
    shape = tuple(np.shape(X))
    if len(shape) != 1 + event_ndim:
        raise ValueError(
            f"{name} must have {1 + event_ndim} dimension(s) (n observations of {event_ndim}-d events), "
            f"got shape {shape}"
        )
    if shape[0] < 1:
        raise ValueError(f"{name} must hold at least one observation, got shape {shape}")
    if event_shape is not None and shape[1:] != tuple(event_shape):
        raise ValueError(f"{name} must have observations of shape {tuple(event_shape)}, got shape {shape}")
    return check_finite(X, name)


def check_positive_data(X, name):
    """Return scalar observations ``X`` (shape ``(n,)``) after checking they are finite and > 0."""
    check_data(X, name)
    return require(X, lambda a: (a > 0) & (a < _INF), name, "hold only observations > 0 and finite")


def check_sample_size(n, name="n"):
    """Return ``n`` as an int after checking it is a non-negative integer."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {n!r}")
    return int(n)


# Seeds are passed to numpy's SeedSequence and to jax.random.PRNGKey (a 64-bit integer).
_SEED_LIMIT = 2**63


def check_seed(seed, name="seed"):
    """Return ``seed`` as an int after checking it is an integer in [0, 2**63).

    ``None`` is refused: a sample must be reproducible from its arguments.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < _SEED_LIMIT:
        raise ValueError(f"{name} must be an integer in [0, 2**63), got {seed!r}")
    return int(seed)
