"""The core (spec, dates, compile...) does no I/O: no database, network, files, env or clock."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

CORE_PACKAGE = Path(__file__).resolve().parent.parent / "engine" / "core"
# Every module of the package, so a module added to engine/core/ is held to the same rules.
CORE = sorted(p.stem for p in CORE_PACKAGE.glob("*.py") if p.stem != "__init__")
# Third-party packages the core may use: models, dates, graphs, holidays, and a YAML
# parser of text (it reads no file: the caller hands it a string).
ALLOWED_THIRD_PARTY = {"pydantic", "pendulum", "networkx", "holidays", "yaml"}
FORBIDDEN_STDLIB = {"os", "io", "pathlib", "socket", "smtplib", "subprocess", "shutil",
                    "urllib", "http", "sqlite3", "time", "tempfile", "asyncio", "logging"}
CLOCK_CALLS = {"now", "today", "utcnow", "time", "monotonic"}


def _tree(module: str) -> ast.Module:
    return ast.parse((CORE_PACKAGE / f"{module}.py").read_text(encoding="utf-8"))


def _imports(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


@pytest.mark.parametrize("module", CORE)
def test_core_module_imports_only_pure_packages(module: str) -> None:
    for name in _imports(_tree(module)):
        top = name.split(".")[0]
        if top == "engine":
            assert name.startswith("engine.core."), f"engine.core.{module} imports non-core {name}"
        elif top in sys.stdlib_module_names:
            assert top not in FORBIDDEN_STDLIB, f"engine.core.{module} imports {name} (I/O)"
        else:
            assert top in ALLOWED_THIRD_PARTY | {"__future__"}, \
                f"engine.core.{module} imports {name}"


@pytest.mark.parametrize("module", CORE)
def test_core_module_reads_no_clock_file_or_environment(module: str) -> None:
    for node in ast.walk(_tree(module)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            assert node.func.attr not in CLOCK_CALLS, \
                f"engine.core.{module} line {node.lineno} reads the clock: .{node.func.attr}()"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id not in {"open", "input"}, \
                f"engine.core.{module} line {node.lineno} calls {node.func.id}()"
        if isinstance(node, ast.Attribute):
            assert node.attr not in {"environ", "getenv"}, \
                f"engine.core.{module} line {node.lineno} reads the environment"


def test_the_checker_catches_a_violation(tmp_path: Path) -> None:
    bad = ast.parse("import sqlalchemy\nimport datetime\nx = datetime.datetime.now()\n")
    assert "sqlalchemy" in _imports(bad)
    calls = [n.func.attr for n in ast.walk(bad)
             if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)]
    assert "now" in calls
