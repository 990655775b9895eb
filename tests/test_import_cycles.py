"""No two engine modules import each other, directly or round a longer loop.

The graph is read from the source (ast), with every import at a module's top level, those
under `if TYPE_CHECKING:` included: a loop that only type checkers follow still means two
modules that cannot be read, or moved, apart. Imports inside functions are left out.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parent.parent
ENGINE = ROOT / "engine"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def top_level_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """The module's own import statements and those of its top-level `if`/`try` blocks."""
    found: list[ast.Import | ast.ImportFrom] = []
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        elif isinstance(node, ast.If | ast.Try):
            pending += [*node.body, *node.orelse, *getattr(node, "finalbody", [])]
            pending += [s for h in getattr(node, "handlers", []) for s in h.body]
    return found


def imported_modules(node: ast.Import | ast.ImportFrom, importer: str, *, package: bool,
                     known: set[str]) -> set[str]:
    """The engine modules `node` imports (a name of a `from` import may be a module)."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names} & known
    base = node.module or ""
    if node.level:
        anchor = importer.split(".") if package else importer.split(".")[:-1]
        anchor = anchor[:len(anchor) - node.level + 1]
        base = ".".join([*anchor, base] if base else anchor)
    names = {f"{base}.{alias.name}" for alias in node.names}
    return ({base} | names) & known


def import_graph() -> nx.DiGraph:
    files = {module_name(p): p for p in ENGINE.rglob("*.py")}
    graph = nx.DiGraph()
    graph.add_nodes_from(files)
    for name, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in top_level_imports(tree):
            for target in imported_modules(node, name, package=path.stem == "__init__",
                                           known=set(files)):
                if target != name:
                    graph.add_edge(name, target)
    return graph


def test_engine_modules_import_no_cycle() -> None:
    graph = import_graph()
    try:
        cycle = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        return
    loop = " -> ".join([a for a, _ in cycle] + [cycle[0][0]])
    pytest.fail(f"engine modules import each other: {loop}")


def test_the_graph_sees_relative_and_from_imports() -> None:
    """The walk finds the imports that make a cycle (the test above cannot pass by blindness)."""
    graph = import_graph()
    assert graph.has_edge("engine.api.routes", "engine.api.service")  # from engine.api import
    assert graph.has_edge("engine.api.app", "engine.api.routes")
    assert graph.number_of_edges() > 100
    tree = ast.parse("from . import b\nfrom .c import d\nif X:\n    import engine.e\n")
    found = [imported_modules(n, "engine.a", package=False,
                              known={"engine.b", "engine.c", "engine.e"})
             for n in top_level_imports(tree)]
    assert set().union(*found) == {"engine.b", "engine.c", "engine.e"}
