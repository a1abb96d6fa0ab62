"""Public names of a package imported on first use (PEP 562 module ``__getattr__`` and ``__dir__``)."""
import importlib
import sys


def lazy_attributes(package, table):
    """``(__getattr__, __dir__)`` for the package named ``package``, whose public names ``table`` maps to modules.

    ``__getattr__(name)`` imports ``table[name]``, caches the attribute in the package
    and returns it, or raises ``AttributeError`` for a name not in ``table``;
    ``__dir__()`` lists the package's globals and every name of ``table``.
    """
    def __getattr__(name):
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__():
        return sorted(set(vars(sys.modules[package])) | set(table))

    return __getattr__, __dir__
