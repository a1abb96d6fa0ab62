"""The import graph follows the layer rules of the architecture.

Layers (a module may import only from its own layer or below):

* 0  ``normix._kernels._constants``            numpy and the standard library
* 1  kernel twins and helpers in ``normix._kernels``  (``*_cpu`` never imports jax,
     ``*_jax`` never imports numba)
* 2  ``normix._kernels.dispatch`` and the modules built on it that still hold no
     distribution (``normix._kernels.log_bessel``, ``normix._bregman``, ``normix._em``,
     ``normix._validation``, ``normix._serialization``)
* 3  ``normix.exponential_family``, ``normix.distributions``, ``normix.mixtures``
* 4  public facades and user tools: ``normix``, ``normix.fitting``, ``normix.utils``,
     ``normix.divergences``, ``normix.risk``, ``normix.selection``, ``normix.inference``, the command line
     and I/O

Imports inside functions count too: a lazy import upward is still an upward import,
and a lazy import closing a loop is still an import cycle.  No module imports a
private name (one starting with ``_``, other than a module) from another module.
"""
import ast
import pathlib

import pytest

PACKAGE_ROOT = pathlib.Path(__file__).resolve().parents[1] / "normix"

LAYER_PREFIXES = [
    ("normix._kernels._constants", 0),
    ("normix._kernels.dispatch", 2),
    ("normix._kernels.log_bessel", 2),
    ("normix._kernels", 1),
    ("normix._bregman", 2),
    ("normix._em", 2),
    ("normix._validation", 2),
    ("normix._serialization", 2),
    ("normix.exponential_family", 3),
    ("normix.distributions", 3),
    ("normix.mixtures", 3),
    ("normix.fitting", 4),
    ("normix.utils", 4),
    ("normix.divergences", 4),
    ("normix.risk", 4),
    ("normix.io", 4),
    ("normix.selection", 4),
    ("normix.inference", 4),
    ("normix.cli", 4),
    ("normix.__main__", 4),
    ("normix", 4),
]


def layer_of(module):
    for prefix, layer in LAYER_PREFIXES:
        if module == prefix or module.startswith(prefix + "."):
            return layer
    raise AssertionError(f"module {module} is not in the layer map of tests/test_layers.py")


def module_name(path, root=PACKAGE_ROOT):
    parts = path.relative_to(root.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imported_modules(path, root=PACKAGE_ROOT):
    """Absolute names of every module imported anywhere in the file at ``path``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    this = module_name(path, root)
    package = this if path.name == "__init__.py" else this.rpartition(".")[0]
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            names.add(target)
            names.update(f"{target}.{alias.name}" for alias in node.names)
    return names


SOURCES = sorted(PACKAGE_ROOT.rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: module_name(p))
def test_imports_only_downward(path):
    this = module_name(path)
    own = layer_of(this)
    for target in imported_modules(path):
        if not target.startswith("normix"):
            continue
        if target != "normix" and not _is_module(target):
            continue
        if target == "normix" and this != "normix":
            assert own >= 4, f"{this} (layer {own}) imports the top-level package"
            continue
        assert layer_of(target) <= own, f"{this} (layer {own}) imports {target} (layer {layer_of(target)})"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: module_name(p))
def test_twins_stay_apart(path):
    this = module_name(path)
    roots = {name.split(".")[0] for name in imported_modules(path)}
    if this.endswith("_cpu"):
        assert "jax" not in roots and "equinox" not in roots, f"{this} is a numba twin but imports jax"
    if this.endswith("_jax"):
        assert "numba" not in roots, f"{this} is a JAX twin but imports numba"
    if this.startswith("normix._kernels") and layer_of(this) == 1:
        for name in imported_modules(path):
            if name.startswith("normix._kernels.") and name.split(".")[2] not in ("_constants", "_numba"):
                sibling = name.split(".")[2]
                assert sibling.rsplit("_", 1)[-1] == this.rsplit("_", 1)[-1], (
                    f"{this} imports {name}: a twin may import only twins of its own backend"
                )


def _is_module(name, root=PACKAGE_ROOT):
    path = root.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def import_graph(root):
    """{module: modules of the package at ``root`` it imports anywhere in its file} (a package counts as its ``__init__``)."""
    graph = {}
    for path in sorted(root.rglob("*.py")):
        this = module_name(path, root)
        graph[this] = {target for target in imported_modules(path, root)
                       if target.split(".")[0] == root.name and target != this and _is_module(target, root)}
    return graph


def import_cycles(root):
    """The strongly connected components of more than one module in the import graph of ``root`` (Tarjan)."""
    graph = import_graph(root)
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(module):
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in sorted(graph[module]):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return cycles


def test_no_import_cycles():
    assert import_cycles(PACKAGE_ROOT) == []


def test_a_lazy_import_cycle_is_found(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg.sub import b\n")
    (package / "sub" / "b.py").write_text("def late():\n    from pkg.sub import c\n")
    (package / "sub" / "c.py").write_text("def later():\n    import pkg.a\n")
    (package / "d.py").write_text("import pkg.a\n")
    assert import_cycles(package) == [["pkg.a", "pkg.sub.b", "pkg.sub.c"]]
    (package / "sub" / "c.py").write_text("import os\n")
    assert import_cycles(package) == []


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: module_name(p))
def test_no_private_names_from_other_modules(path):
    this = module_name(path)
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("normix"):
            for alias in node.names:
                private = alias.name.startswith("_") and not _is_module(f"{node.module}.{alias.name}")
                assert not private or node.module == this, f"{this} imports the private name {alias.name} " \
                                                           f"from {node.module}"


def test_layer_map_covers_the_package():
    for path in SOURCES:
        layer_of(module_name(path))
