"""No import cycle runs through the distributions, the mixtures or the special-case start.

Every import counts, function-level ones included (the graph of ``tests/test_layers.py``):
GH imports the special cases (for its default start), so no special case may import GH.
"""
from test_layers import SOURCES, _is_module, imported_modules, module_name

WATCHED = ("normix.distributions", "normix.mixtures", "normix.fitting.starts")


def _graph():
    graph = {}
    for path in SOURCES:
        name = module_name(path)
        graph[name] = {t for t in imported_modules(path) if t.startswith("normix") and _is_module(t) and t != name}
    return graph


def _reaches(graph, start, goal):
    seen, stack = set(), [start]
    while stack:
        node = stack.pop()
        for nxt in graph.get(node, ()):
            if nxt == goal:
                return True
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return False


def test_no_cycle_through_the_distributions():
    graph = _graph()
    watched = [m for m in graph if m.startswith(WATCHED)]
    assert "normix.distributions._special_cases" in watched
    assert [m for m in watched if _reaches(graph, m, m)] == []


def test_the_special_cases_do_not_import_gh():
    graph = _graph()
    for family in ("normal_inverse_gaussian", "variance_gamma", "normal_inverse_gamma"):
        assert not _reaches(graph, f"normix.distributions.{family}", "normix.distributions.generalized_hyperbolic")
