"""Parity suite: every registered kernel's numba twin against its JAX twin.

For each kernel in the dispatch registry, the case table in
``normix._kernels.parity_cases.<family>`` supplies regular and extreme inputs.  On every
case the CPU twin and the JAX twin (eager, under ``jax.jit`` and under
``jax.vmap`` over the leading axis) must agree to the kernel's stated relative
tolerance, give the same shapes, dtypes and NaN/inf pattern, and leave their
inputs untouched.  Agreement with independent oracles (mpmath, quadrature) is
tested per kernel in ``tests/kernels``.

JAX compiles once per function and input shape, so the JAX side of every case is
run on inputs padded (with copies of their first element along the leading axis)
to the longest case of the same kernel and layout, through one jitted function per
kernel and static arguments: cases of an elementwise kernel then share one
compilation instead of one each.  Outputs are cut back to the case's own length
before they are compared.  A twin that is itself a ``jax.jit`` function runs as it
is in the ``jit`` mode (a second ``jax.jit`` around it would compile the same program
again under another name), so its eager and jitted runs share one compilation.
"""
import copy
import functools
import importlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from normix._kernels import dispatch

REGISTRY = dispatch.registered_kernels()


def case_module(family):
    return importlib.import_module(f"normix._kernels.parity_cases.{family}")


MODES = ("eager", "jit", "vmap")


def all_cases():
    """(kernel, family, case, mode) for every case and every way of running the JAX twin.

    Each mode of each case compiles its own program.  The fast suite runs the
    ``regular`` case under ``jax.jit`` and ``jax.vmap`` and the other cases under
    ``jax.jit`` (the ways the library calls the kernels); the eager runs, and the
    vmapped runs of the other cases, are marked slow.
    """
    params = []
    for name, family in sorted(REGISTRY.items()):
        cases = getattr(case_module(family), "CASES", {}).get(name, {})
        for case_name in sorted(cases):
            for mode in MODES:
                slow = mode == "eager" or (case_name != "regular" and mode != "jit")
                params.append(pytest.param(name, family, case_name, mode, id=f"{name}-{case_name}-{mode}",
                                           marks=[pytest.mark.slow] if slow else []))
    return params


def tolerances(family, name):
    module = case_module(family)
    return module.RTOL.get(name, 1e-13), getattr(module, "ATOL", {}).get(name, 0.0)


def as_tuple(out):
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


def assert_twins_agree(cpu_out, jax_out, rtol, atol, label):
    cpu_out, jax_out = as_tuple(cpu_out), as_tuple(jax_out)
    assert len(cpu_out) == len(jax_out), f"{label}: twins return different numbers of outputs"
    for k, (c, j) in enumerate(zip(cpu_out, jax_out)):
        c, j = np.asarray(c), np.asarray(j)
        assert c.shape == j.shape, f"{label}[{k}]: shapes {c.shape} (cpu) vs {j.shape} (jax)"
        assert c.dtype.kind == j.dtype.kind and c.dtype.itemsize == j.dtype.itemsize, (
            f"{label}[{k}]: dtypes {c.dtype} (cpu) vs {j.dtype} (jax)"
        )
        if c.dtype.kind in "fc":
            np.testing.assert_array_equal(np.isnan(c), np.isnan(j), err_msg=f"{label}[{k}]: NaN pattern")
            np.testing.assert_array_equal(np.isposinf(c), np.isposinf(j), err_msg=f"{label}[{k}]: +inf pattern")
            np.testing.assert_array_equal(np.isneginf(c), np.isneginf(j), err_msg=f"{label}[{k}]: -inf pattern")
            finite = np.isfinite(c) & np.isfinite(j)
            np.testing.assert_allclose(j[finite], c[finite], rtol=rtol, atol=atol, err_msg=f"{label}[{k}]")
        else:
            np.testing.assert_array_equal(c, j, err_msg=f"{label}[{k}]")


def split_static(args):
    """Indices of array arguments; Python scalars (iteration counts, tolerances) stay static."""
    return [i for i, a in enumerate(args) if isinstance(a, np.ndarray)]


def bind_static(func, args, array_idx):
    static = {i: a for i, a in enumerate(args) if i not in array_idx}

    def bound(*arrays):
        full = list(arrays)
        for i in sorted(static):
            full.insert(i, static[i])
        return func(*full)

    return bound


def _layout(args, in_axes):
    """What must match for two cases to share compiled code: statics, and ndim and trailing shape of arrays."""
    return tuple(
        ("array", a.ndim, a.shape[1:], ax) if isinstance(a, np.ndarray) else ("static", repr(a))
        for a, ax in zip(args, in_axes)
    )


def _elementwise(case):
    """Tuple cases (elementwise kernels) whose arrays share their leading length: rows are independent."""
    if isinstance(case, dict):
        return False
    arrays = [a for a in case if isinstance(a, np.ndarray)]
    return all(a.ndim >= 1 for a in arrays) and len({a.shape[0] for a in arrays}) == 1


@functools.cache
def padded_length(name, family, layout):
    """Longest leading length among the elementwise cases of kernel ``name`` with this layout."""
    lengths = []
    for case in case_module(family).CASES[name].values():
        args, _, in_axes = unpack_case(case)
        if _elementwise(case) and _layout(args, in_axes) == layout:
            lengths.append(next(a.shape[0] for a in args if isinstance(a, np.ndarray)))
    return max(lengths)


def pad_leading(args, length):
    """Array arguments padded to ``length`` along axis 0 with copies of their first element."""
    out = []
    for a in args:
        if isinstance(a, np.ndarray) and a.ndim >= 1 and a.shape[0] < length:
            a = np.concatenate([a, np.repeat(a[:1], length - a.shape[0], axis=0)])
        out.append(a)
    return out


def cut_leading(out, length):
    return tuple(np.asarray(o)[:length] for o in as_tuple(out))


@functools.cache
def jitted_kernel(name, statics):
    """One ``jax.jit`` of the JAX twin of ``name`` with the static arguments ``statics`` bound, shared by cases.

    A twin that is already a ``jax.jit`` function (it has ``lower``) is not wrapped again.
    """
    kernel = getattr(dispatch.kernels("jax"), name)
    positions = dict(statics)

    def bound(*arrays):
        full = list(arrays)
        for i in sorted(positions):
            full.insert(i, positions[i])
        return kernel(*full)

    return bound if hasattr(kernel, "lower") else jax.jit(bound)


def test_every_kernel_has_both_twins():
    assert dispatch.registry_problems() == []
    assert REGISTRY, "the kernel registry is empty"


@pytest.mark.parametrize("name,family", sorted(REGISTRY.items()))
def test_every_kernel_has_regular_and_extreme_cases(name, family):
    cases = getattr(case_module(family), "CASES", {}).get(name)
    assert cases, f"kernel {name} has no parity cases in normix._kernels.parity_cases.{family}"
    assert "regular" in cases and "extreme" in cases, f"kernel {name} needs 'regular' and 'extreme' cases"


def test_case_tables_name_only_registered_kernels():
    for family in set(REGISTRY.values()):
        for name in getattr(case_module(family), "CASES", {}):
            assert REGISTRY.get(name) == family, f"parity_cases.{family} lists {name}, which is not a registered kernel"


def unpack_case(case):
    """``(args, vmap_args, in_axes)`` of a case.

    A case is a tuple of arguments of an elementwise kernel (then ``jax.vmap`` maps every
    array argument over its leading axis), or a dict with ``"args"`` and, for kernels whose
    rows are not independent (reductions), ``"vmap_args"`` and ``"in_axes"``: a batch of
    problems to map over.
    """
    if isinstance(case, dict):
        return case["args"], case["vmap_args"], case["in_axes"]
    in_axes = tuple(0 if isinstance(a, np.ndarray) and a.ndim >= 1 else None for a in case)
    return case, case, in_axes


def cpu_per_slice(kernel, args, in_axes):
    """The CPU twin applied to each slice of a batch of problems, outputs stacked."""
    length = {a.shape[ax] for a, ax in zip(args, in_axes) if ax is not None}
    assert len(length) == 1, "mapped arguments need one common length"
    outs = []
    for i in range(length.pop()):
        sliced = [np.take(a, i, axis=ax) if ax is not None else a for a, ax in zip(args, in_axes)]
        outs.append(as_tuple(kernel(*sliced)))
    return tuple(np.stack([np.asarray(o[k]) for o in outs]) for k in range(len(outs[0])))


@pytest.mark.parametrize("name,family,case_name,mode", all_cases())
def test_cpu_twin_matches_jax_twin(name, family, case_name, mode):
    case = case_module(family).CASES[name][case_name]
    args, vmap_args, in_axes = unpack_case(case)
    rtol, atol = tolerances(family, name)
    cpu_kernel = getattr(dispatch.kernels("cpu"), name)
    jax_kernel = getattr(dispatch.kernels("jax"), name)

    pristine = copy.deepcopy(args)
    cpu_out = cpu_kernel(*args)
    for before, after in zip(pristine, args):
        np.testing.assert_array_equal(np.asarray(before), np.asarray(after), err_msg=f"{name} mutated its input")

    if _elementwise(case):
        length = next(a.shape[0] for a in args if isinstance(a, np.ndarray))
        padded = pad_leading(args, padded_length(name, family, _layout(args, in_axes)))

        def run(out):
            return cut_leading(out, length)
    else:
        padded = args

        def run(out):
            return out

    array_idx = split_static(padded)
    bound = bind_static(jax_kernel, padded, array_idx)
    jax_args = [jnp.asarray(padded[i]) for i in array_idx]
    statics = tuple((i, a) for i, a in enumerate(padded) if i not in array_idx)
    if mode == "eager":
        assert_twins_agree(cpu_out, run(bound(*jax_args)), rtol, atol, f"{name}/{case_name} eager")
        return
    if mode == "jit":
        jit_out = jitted_kernel(name, statics)(*jax_args)
        assert_twins_agree(cpu_out, run(jit_out), rtol, atol, f"{name}/{case_name} jit")
        return

    padded_vmap = padded if vmap_args is args else vmap_args
    vmap_idx = split_static(padded_vmap)
    vmap_bound = bind_static(jax_kernel, padded_vmap, vmap_idx)
    axes = [in_axes[i] for i in vmap_idx]
    vmapped = jax.vmap(vmap_bound, in_axes=axes)(*[jnp.asarray(padded_vmap[i]) for i in vmap_idx])
    expected = cpu_per_slice(cpu_kernel, vmap_args, in_axes)
    assert_twins_agree(expected, run(vmapped) if vmap_args is args else vmapped, rtol, atol,
                       f"{name}/{case_name} vmap")


def test_cpu_kernels_reject_traced_values():
    name = sorted(REGISTRY)[0]
    family = REGISTRY[name]
    args = unpack_case(case_module(family).CASES[name]["regular"])[0]
    array_idx = split_static(args)
    bound = bind_static(getattr(dispatch.kernels("cpu"), name), args, array_idx)
    with pytest.raises(TypeError, match="backend='jax'"):
        jax.jit(bound)(*[jnp.asarray(args[i]) for i in array_idx])


def test_unknown_backend_lists_valid_names():
    with pytest.raises(ValueError, match="'cpu', 'jax'"):
        dispatch.kernels("gpu")
