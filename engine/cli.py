"""The `kehoach` command: validate, compile, draw and show plan specs."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from engine.compile import CompiledPlan
from engine.errors import KehoachError
from engine.export import to_dot, to_mermaid
from engine.loader import compile_file, is_directory_file, load_directory
from engine.spec import GROUP_PREFIX, Directory

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_BUG = 0, 1, 2, 3

# Piped output (files, CI logs) gets wide tables instead of rich's 80-column default.
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, highlight=False, soft_wrap=True)

Command = Callable[[argparse.Namespace], int]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `kehoach` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        code: int = args.command(args)
    except KehoachError as exc:
        err.print(f"[bold red]error:[/] {exc}", markup=True)
        return EXIT_INVALID
    except KeyboardInterrupt:
        err.print("interrupted")
        return 130
    except Exception as exc:  # a bug: say so briefly, keep the traceback for whoever debugs
        if os.environ.get("KEHOACH_DEBUG"):
            raise
        err.print(f"[bold red]internal error:[/] {type(exc).__name__}: {exc} (this is a bug in "
                  "kehoach; run again with KEHOACH_DEBUG=1 to see the traceback)", markup=True)
        return EXIT_BUG
    return code


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; each sub-command sets `command` to the function that runs it."""
    parser = argparse.ArgumentParser(
        prog="kehoach",
        description="Run Vietnamese People's Committee plans: compile specs into dated task "
                    "instances, track them, remind and escalate, report.")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    p = sub.add_parser("validate", help="check plan specs; exit 1 if any has an error")
    p.add_argument("specs", nargs="+", type=Path, metavar="SPEC")
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")
    p.set_defaults(command=cmd_validate)

    p = sub.add_parser("compile", help="compile a spec into instances and dependency edges")
    p.add_argument("spec", type=Path, metavar="SPEC")
    p.add_argument("--json", action="store_true", help="print the JSON contract (DESIGN.md)")
    p.set_defaults(command=cmd_compile)

    p = sub.add_parser("graph", help="print the dependency graph as Mermaid or DOT")
    p.add_argument("spec", type=Path, metavar="SPEC")
    p.add_argument("--format", choices=("mermaid", "dot"), default="mermaid")
    p.add_argument("--level", choices=("task", "instance"), default="task",
                   help="one node per task (default) or per instance")
    p.set_defaults(command=cmd_graph)

    p = sub.add_parser("show", help="a table of the plan's tasks and their deadlines")
    p.add_argument("spec", type=Path, metavar="SPEC")
    p.set_defaults(command=cmd_show)

    for register in _extensions():
        register(sub)
    return parser


def _extensions() -> list[Callable[[argparse._SubParsersAction], None]]:  # type: ignore[type-arg]
    """Sub-commands defined by modules outside the core (state, API, flows, importer).

    Each module exposes `register_cli(subparsers)`; it is imported only when the CLI
    starts, so the core never depends on it.
    """
    import importlib

    found = []
    for name in EXTENSION_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        found.append(module.register_cli)
    return found


EXTENSION_MODULES = ("engine.cli_state", "engine.cli_import", "engine.cli_api",
                     "engine.cli_escalation", "engine.cli_serve", "engine.demo")


def cmd_validate(args: argparse.Namespace) -> int:
    failed = 0
    for path in args.specs:
        try:
            if is_directory_file(path):
                directory = load_directory(path)
                out.print(f"[green]ok[/] {path}: directory {directory.directory.id!r}, "
                          f"{len(directory.agencies)} agencies, {len(directory.groups)} groups",
                          markup=True)
                continue
            plan = compile_file(path)
        except KehoachError as exc:
            failed += 1
            err.print(f"[bold red]error:[/] {exc}", markup=True)
            continue
        for w in plan.warnings:
            where = f"{w.location}: " if w.location else f"{path}: "
            task = f"task '{w.task}': " if w.task else ""
            out.print(f"[yellow]warning:[/] {where}\\[{w.code}] {task}{w.message}", markup=True)
        failed += bool(args.strict and plan.warnings)
        out.print(f"[green]ok[/] {path}: {_summary(plan)}", markup=True)
    if failed:
        err.print(f"{failed} of {len(args.specs)} spec(s) failed validation")
    return EXIT_INVALID if failed else EXIT_OK


def cmd_compile(args: argparse.Namespace) -> int:
    plan = compile_file(args.spec)
    if args.json:
        json.dump(plan.to_json(), sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        out.print(f"{args.spec}: {_summary(plan)}")
    return EXIT_OK


def cmd_graph(args: argparse.Namespace) -> int:
    plan = compile_file(args.spec)
    render = to_mermaid if args.format == "mermaid" else to_dot
    sys.stdout.write(render(plan, level=args.level))
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    plan = compile_file(args.spec)
    header = plan.spec.plan
    number = header.number or "(chưa có số)"
    table = Table(title=f"Kế hoạch {number}: {header.title} — {header.year}",
                  show_lines=True, title_justify="left")
    for name in ("STT", "Nhiệm vụ", "Chủ trì", "Phối hợp", "Thời hạn", "Hạn thực tế",
                 "Số đầu việc"):
        table.add_column(name, overflow="fold")
    counts = Counter(i.task for i in plan.instances)
    for n, task in enumerate(plan.spec.tasks, 1):
        table.add_row(str(n), f"[bold]{task.id}[/]\n{task.title}",
                      _names(task.lead, plan.directory, plan.groups),
                      _names(task.coordinators, plan.directory, plan.groups),
                      task.due, _effective(plan, task.id), str(counts[task.id]))
    out.print(table)
    out.print(_summary(plan))
    return EXIT_OK


def _summary(plan: CompiledPlan) -> str:
    return (f"{len(plan.spec.tasks)} tasks, {len(plan.instances):,} instances, "
            f"{plan.graph.number_of_edges():,} edges, {len(plan.warnings)} warning(s)")


def _names(refs: Sequence[str], directory: Directory,
           expanded: dict[str, tuple[str, ...]]) -> str:
    names = []
    for ref in refs:
        if ref.startswith(GROUP_PREFIX):
            group = next(g for g in directory.groups if g.id == ref.removeprefix(GROUP_PREFIX))
            names.append(f"{group.name} ({len(expanded[ref])})")
        else:
            agency = directory.agency(ref)
            names.append(agency.name if agency else ref)
    return "\n".join(names) or "—"


def _effective(plan: CompiledPlan, task_id: str) -> str:
    occs = plan.occurrences[task_id]
    if not occs or all(o.effective is None for o in occs):
        return "không hạn (thường xuyên)"
    days = [f"{o.effective:%d/%m/%Y}" + (" *" if o.printed and o.moved else "")
            for o in occs if o.effective]
    if len(days) > 6:
        return f"{', '.join(days[:3])} … {days[-1]} ({len(days)} kỳ)"
    return ", ".join(days)


if __name__ == "__main__":
    sys.exit(main())
