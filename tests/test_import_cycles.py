"""No import cycle among the modules of ``src/bnpl``.

The graph is built with ``ast`` from the source (nothing is imported): an edge ``a -> b`` for each
``import`` / ``from ... import`` in module ``a`` that names module ``b`` (or a name defined in package
``b``). Module-level imports (those run when the module is imported, ``if TYPE_CHECKING:`` blocks
excepted) must form no cycle at all. Imports inside functions run later and cannot deadlock an import,
but a cycle through them still ties two modules together: one fails the test unless it is listed below
with its reason (none is).
"""
from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

SRC = Path(__file__).resolve().parents[1] / "src"

# Cycles that close only through imports inside functions, as frozensets of their modules, each with
# why it is still here. Remove an entry when the cycle opens.
KNOWN_DEFERRED_CYCLES = {
}


def module_names(src: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` under ``src`` (packages by their ``__init__``)."""
    out = {}
    for path in src.rglob("*.py"):
        parts = list(path.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or \
           (isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def _module_level(tree: ast.Module) -> list[ast.stmt]:
    """The import statements that run when the module is imported: at top level or inside top-level
    ``if`` / ``try`` / ``with`` blocks, not in functions or classes, not under ``if TYPE_CHECKING:``."""
    found, todo = [], list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        elif isinstance(node, ast.If) and not _is_type_checking(node):
            todo += node.body + node.orelse
        elif isinstance(node, ast.Try):
            todo += node.body + node.orelse + node.finalbody + [s for h in node.handlers for s in h.body]
        elif isinstance(node, ast.With):
            todo += node.body
    return found


def import_graphs(src: Path = SRC) -> tuple[nx.DiGraph, nx.DiGraph]:
    """(module-level graph, graph of every import, deferred ones included) over the modules of ``src``."""
    mods = module_names(src)

    def resolve(name: str) -> str | None:        # the longest known module that ``name`` starts with
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    top, every = nx.DiGraph(), nx.DiGraph()
    top.add_nodes_from(mods)
    every.add_nodes_from(mods)
    for mod, path in mods.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        eager = set(map(id, _module_level(tree)))
        never = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If) and _is_type_checking(block)
                 for s in block.body for n in ast.walk(s)}
        for node in ast.walk(tree):
            if id(node) in never:
                continue
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([node.module] if node.module else []))
                names = [f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base for a in node.names]
            else:
                continue
            for target in filter(None, map(resolve, names)):
                if target != mod:
                    every.add_edge(mod, target)
                    if id(node) in eager:
                        top.add_edge(mod, target)
    return top, every


def cycles(graph: nx.DiGraph) -> list[list[str]]:
    return sorted(sorted(c) for c in nx.simple_cycles(graph))


def test_no_module_level_import_cycle():
    top, _ = import_graphs()
    assert len(top) > 50, "the graph should cover every module of src/bnpl"
    assert cycles(top) == []


def test_no_new_cycle_through_deferred_imports():
    _, every = import_graphs()
    new = [c for c in cycles(every) if frozenset(c) not in KNOWN_DEFERRED_CYCLES]
    assert new == []


def test_a_planted_cycle_is_found(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("from pkg.sub import b\n")
    (pkg / "a.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pkg.c\n"
                              "try:\n    from .sub import b\nexcept ImportError:\n    b = None\n")
    (pkg / "sub" / "b.py").write_text("from .. import a\n")          # a -> sub.b -> a at module level
    (pkg / "c.py").write_text("def f():\n    import pkg.a\n")       # deferred edge c -> a
    top, every = import_graphs(tmp_path)
    assert cycles(top) == [["pkg.a", "pkg.sub.b"]]
    assert every.has_edge("pkg.c", "pkg.a") and not top.has_edge("pkg.c", "pkg.a")
    assert not every.has_edge("pkg.a", "pkg.c")                     # TYPE_CHECKING imports are no edge
