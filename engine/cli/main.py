"""The `kehoach` command: validate, compile, draw and show plan specs.

This module stays light to import (rich and the error classes): the console script imports
it before `main` runs, and a Ctrl-C during that import could only end in a traceback. The
compiler and the extension commands are imported inside `main`, where Ctrl-C prints
"interrupted".
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import signal
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from engine.core.errors import KehoachError

if TYPE_CHECKING:
    from engine.core.compile import CompiledPlan
    from engine.core.spec import Directory

# Exit codes: 1 bad input (a spec, an id, an option), 2 usage, 3 a bug in kehoach, 4 the
# environment (a KEHOACH_* setting, the database: unreachable, missing, refused), 130 Ctrl-C
# (143 SIGTERM), 141 the reader of the output went away (`kehoach ... | head`).
EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_BUG, EXIT_CONFIG = 0, 1, 2, 3, 4
EXIT_PIPE = 128 + 13


class _Console(Console):
    """rich's Console, but a closed pipe on stdout raises BrokenPipeError, as a plain write
    does (rich would exit 1 itself), for `main` to end quietly; one on stderr is ignored."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        if not self.stderr:
            raise BrokenPipeError(errno.EPIPE, "the reader of the output has gone")


# Piped output (files, CI logs) gets wide tables instead of rich's 80-column default.
out = _Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 200)
err = _Console(stderr=True, highlight=False, soft_wrap=True)

Command = Callable[[argparse.Namespace], int]



class OutputError(KehoachError):
    """An output file (-o) that cannot be written; the message names it and the cause."""


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `kehoach` console script."""
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        command: Command | None = getattr(args, "command", None)
        if command is None:
            parser.print_help()
            return EXIT_USAGE
        if getattr(args, "read_only", False):  # set by the commands that only read
            require_database()
        code = command(args)
        sys.stdout.flush()  # a closed pipe shows here, not as a warning at exit
    except KehoachError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}", markup=True)
        return getattr(exc, "exit_code", EXIT_INVALID)
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM/SIGHUP where a command turns
        err.print("interrupted")      # them into KeyboardInterrupt (engine.cli.serve)
        return 128 + getattr(exc, "signum", signal.SIGINT)
    except BrokenPipeError:
        # The reader (`| head`) has gone: stop quietly, as Unix tools do. Python would try
        # to flush stdout again at exit and complain; point it at /dev/null first.
        _discard_stdout()
        return EXIT_PIPE
    except Exception as exc:
        problem = environment_problem(exc)
        if problem is not None:
            err.print(f"[bold red]error:[/] {escape(problem)}", markup=True)
            return EXIT_CONFIG
        if os.environ.get("KEHOACH_DEBUG"):  # a bug: say so briefly, keep the traceback
            raise
        err.print(f"[bold red]internal error:[/] {escape(f'{type(exc).__name__}: {exc}')} "
                  "(this is a bug in kehoach; run again with KEHOACH_DEBUG=1 to see the "
                  "traceback)", markup=True)
        return EXIT_BUG
    return code


def _discard_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file (tests capture it)
        pass


def environment_problem(exc: BaseException) -> str | None:
    """A one-line account of a database that cannot be reached or used, else None.

    These are the operator's to fix (the server is down, the database does not exist, the
    file is not a database or its folder cannot be made), not bugs: the message names the
    database (never its password) and the driver's reason.
    """
    import sqlite3

    sa = sys.modules.get("sqlalchemy.exc")
    psycopg = sys.modules.get("psycopg")
    cause: BaseException | None = None
    if sa is not None and isinstance(exc, sa.DBAPIError):
        orig = exc.orig
        if isinstance(exc, sa.OperationalError | sa.InterfaceError) or \
                type(orig) is sqlite3.DatabaseError:  # "file is not a database"
            cause = orig or exc
    elif isinstance(exc, sqlite3.OperationalError) or (
            psycopg is not None and isinstance(exc, psycopg.OperationalError)):
        cause = exc
    where = _database_label()
    if isinstance(exc, OSError) and exc.filename and \
            Path(str(exc.filename)) in (Path(where), *Path(where).parents):
        return f"cannot create the database {where}: {exc.strerror} ({exc.filename})"
    if cause is None:
        return None
    reason = "; ".join(" ".join(line.split()) for line in str(cause).splitlines()
                       if line.strip())
    return f"cannot use the database {where}: {reason}"


def _database_label() -> str:
    try:
        from engine.settings import Settings

        return Settings().database_label()
    except Exception:
        return "the configured database"


def require_database() -> None:
    """Refuse to go on when the configured SQLite file does not exist.

    Opening the store creates it: right for `register` or `db upgrade`, wrong for a command
    that only reads (it would leave an empty database behind, maybe in a folder made for it).
    """
    from engine.settings import ConfigError, Settings

    settings = Settings()
    url = settings.resolved_database_url()
    if not url.startswith("sqlite"):
        return
    path = settings.database_label()
    if path and path != ":memory:" and not Path(path).exists():
        raise ConfigError(f"no database at {path}: create it with `kehoach register SPEC` "
                          "(or `kehoach db upgrade`), or set KEHOACH_HOME or "
                          "KEHOACH_DATABASE_URL to use an existing one")


def write_output(path: Path, write: Callable[[Path], object]) -> None:
    """Write the file `path` (an -o option) with `write`, creating its folder if needed.

    Every command with -o behaves alike: a missing folder is created (as for `import -o
    drafts/x.yaml`); a path that cannot be written is a clear error naming it.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write(path)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None


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


EXTENSION_MODULES = ("engine.cli.state", "engine.cli.importing", "engine.cli.tokens",
                     "engine.cli.escalation", "engine.cli.serve", "engine.cli.review",
                     "engine.demo.command")


def cmd_validate(args: argparse.Namespace) -> int:
    from engine.loader import compile_file, is_directory_file, load_directory

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
            err.print(f"[bold red]error:[/] {escape(str(exc))}", markup=True)
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
    from engine.loader import compile_file

    plan = compile_file(args.spec)
    if args.json:
        json.dump(plan.to_json(), sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        out.print(f"{args.spec}: {_summary(plan)}")
    return EXIT_OK


def cmd_graph(args: argparse.Namespace) -> int:
    from engine.core.export import to_dot, to_mermaid
    from engine.loader import compile_file

    plan = compile_file(args.spec)
    render = to_mermaid if args.format == "mermaid" else to_dot
    sys.stdout.write(render(plan, level=args.level))
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    from engine.loader import compile_file

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
    from engine.core.spec import GROUP_PREFIX

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
