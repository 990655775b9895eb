"""`kehoach` sub-commands over the database: register, complete, waive, status, report, db."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from engine.cli.main import EXIT_INVALID, EXIT_OK, err, out, write_output
from engine.core.compile import compile_plan
from engine.core.errors import KehoachError
from engine.core.status import STATUS_LABELS_VI, Event, EventKind, Status
from engine.loader import load_plan, read_text
from engine.reports.csv_text import to_csv
from engine.reports.html_page import render_html
from engine.reports.model import build_report, task_line
from engine.reports.xlsx import write_xlsx
from engine.store.database import open_store, utc_now
from engine.store.events import (
    CLOCK_SKEW,
    MAX_PROGRESS_COUNT,
    EventValueError,
    local_text,
    record_event,
)
from engine.store.metrics import outside_plan_year
from engine.store.queries import count_by_status, instance_statuses, require_plan, verify_projection
from engine.store.registry import RegistrationDiff, register_plan

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
FILE_FORMATS = ("xlsx", "html", "docx")  # the report formats written only to a file


class InputError(KehoachError, ValueError):
    """A command-line value that cannot be used; the message names the option."""


class RegisterError(KehoachError):
    """A spec of a batch the database refused; the whole batch is rolled back."""


def register_cli(sub: Any) -> None:
    """Add the state commands to the `kehoach` parser."""
    _add_change_commands(sub)
    p = sub.add_parser("status", help="status of a plan's instances as of a date")
    p.add_argument("--plan", required=True)
    p.add_argument("--agency")
    p.add_argument("--period")
    p.add_argument("--status", choices=[s.value for s in Status])
    p.add_argument("--as-of", help="date (end of that day, local time) or ISO time; default now")
    p.add_argument("--json", action="store_true", help="print the JSON contract")
    p.set_defaults(command=cmd_status, read_only=True)  # (see cli.require_database)

    p = sub.add_parser("report", help="completion report of a plan for a period")
    p.add_argument("--plan", required=True)
    p.add_argument("--period", required=True, help="2024-Q1, 2024-H1, 2024-9M, 2024 or 2024-03")
    p.add_argument("--format", choices=("table", "json", "csv", *FILE_FORMATS), default="table")
    p.add_argument("-o", "--output", type=Path, help="file to write (xlsx, html, docx: required)")
    p.add_argument("--as-of", help="take status at this date instead of the period's end")
    p.set_defaults(command=cmd_report, read_only=True)  # (see cli.require_database)

    db = sub.add_parser("db", help="database maintenance").add_subparsers(metavar="ACTION")
    p = db.add_parser("upgrade", help="create or migrate the schema")
    p.set_defaults(command=cmd_db_upgrade)
    p = db.add_parser("verify", help="rebuild state from the audit log and report differences")
    p.add_argument("--plan")
    p.set_defaults(command=cmd_db_verify, read_only=True)  # (see cli.require_database)


def _add_change_commands(sub: Any) -> None:
    """register, complete, waive, reopen, restore: the commands that write."""
    p = sub.add_parser("register", help="store a plan spec (or a revision of it) in the database")
    p.add_argument("specs", nargs="+", type=Path, metavar="SPEC")
    p.add_argument("--actor", default="operator", help="who registers (for the audit log)")
    p.set_defaults(command=cmd_register)

    p = sub.add_parser("complete", help="mark an instance done, or add progress with --count")
    p.add_argument("instance", metavar="INSTANCE_ID")
    p.add_argument("--at", help="when it was done (ISO 8601; default now; local time if no "
                   "offset); not in the future, nor before 1 January of the year before the "
                   "instance's period")
    p.add_argument("--count", type=int, help="add this much progress toward the instance's "
                   "target instead (only for tasks with a target)")
    p.add_argument("--evidence", help="URL of the evidence (a post, a signed document)")
    p.add_argument("--note")
    p.add_argument("--actor", default="operator")
    p.set_defaults(command=cmd_complete)

    for name, kind, helptext in (("waive", EventKind.WAIVED, "waive (cancel) an instance"),
                                 ("reopen", EventKind.REOPENED, "reopen a completed instance"),
                                 ("restore", EventKind.RESTORED, "put a waived instance back")):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("instance", metavar="INSTANCE_ID")
        p.add_argument("--reason", required=kind is EventKind.WAIVED,
                       help="why (shown to the agency; required, not empty, for waive)")
        if kind is EventKind.WAIVED:
            p.add_argument("--at", help="when the waiver took effect (ISO 8601, local time if "
                           "no offset; default now; not in the future): a waiver decided "
                           "within a past period then shows in that period's report")
        p.add_argument("--actor", default="operator")
        p.set_defaults(command=cmd_change, kind=kind)


def parse_moment(text: str | None, *, option: str, end_of_day: bool = False) -> dt.datetime:
    """An aware datetime from a date or ISO time; a date means the end of that local day."""
    if text is None:
        return utc_now()
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            clock = dt.time(23, 59, 59) if end_of_day else dt.time(0, 0)
            return dt.datetime.combine(day, clock, LOCAL)
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"{option} {text!r} is not a date (YYYY-MM-DD) or an ISO 8601 "
                         "time (YYYY-MM-DDTHH:MM[:SS][+07:00])") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=LOCAL)


def cmd_register(args: argparse.Namespace) -> int:
    """Register every spec, or none: all are compiled first, and stored in one transaction."""
    compiled = []
    failed = 0
    for path in args.specs:
        try:
            loaded = load_plan(path)
            plan = compile_plan(loaded.spec, loaded.directory, source=loaded.source)
            texts = read_text(path), read_text(loaded.directory_path)
        except KehoachError as exc:
            failed += 1
            err.print(f"[bold red]error:[/] {escape(str(exc))}", markup=True)
            continue
        compiled.append((path, plan, texts))
    if failed:
        err.print(f"{failed} of {len(args.specs)} spec(s) have errors: nothing registered")
        return EXIT_INVALID
    diffs = []
    with open_store().transaction() as tx:
        for path, plan, (spec_text, directory_text) in compiled:
            try:
                with _progress(f"registering {plan.spec.plan.id}",
                               len(plan.instances)) as advance:
                    diffs.append((path, register_plan(
                        tx, plan, spec_text=spec_text, directory_text=directory_text,
                        now=utc_now(), actor=args.actor, progress=advance)))
            except KehoachError as exc:
                if len(compiled) > 1:
                    raise RegisterError(f"{path}: {exc}; nothing registered") from None
                raise
    for path, diff in diffs:
        _print_diff(path, diff)
    return EXIT_OK


def _progress(label: str, total: int) -> Any:
    from contextlib import contextmanager

    @contextmanager
    def bar() -> Any:
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn())
        with Progress(*columns, console=err, transient=True,
                      disable=total < 20_000) as progress:
            task = progress.add_task(label, total=total)
            yield lambda n: progress.advance(task, n)
    return bar()


def _print_diff(path: Path, diff: RegistrationDiff) -> None:
    if diff.unchanged:
        out.print(f"{path}: plan {diff.plan!r} revision {diff.revision} is already registered "
                  "with this exact spec; nothing changed")
        return
    verb = "registered" if diff.revision == 1 else "revised to"
    out.print(f"{path}: plan {diff.plan!r} {verb} revision {diff.revision}: "
              f"{len(diff.added)} added, {len(diff.removed)} removed (waived), "
              f"{len(diff.restored)} restored, {len(diff.due_changed)} due changed")
    if diff.revision > 1:
        for iid in diff.added[:20]:
            out.print(f"  + {iid}")
        for iid in diff.removed[:20]:
            out.print(f"  - {iid}")
        for iid, old, new in diff.due_changed[:20]:
            out.print(f"  ~ {iid}: {old} -> {new}")


def past_moment(text: str, *, what: str) -> dt.datetime:
    """--at as parse_moment reads it, refused in the future (as the API refuses it)."""
    at = parse_moment(text, option="--at")
    if at > utc_now() + CLOCK_SKEW:
        raise InputError(f"--at {text!r} is in the future ({local_text(at, LOCAL)}, local "
                         f"time): give the time {what}")
    return at


def cmd_complete(args: argparse.Namespace) -> int:
    at = past_moment(args.at, what="the work was done") if args.at else utc_now()
    if args.count is not None and args.count <= 0:
        raise InputError(f"--count must be a positive number, got {args.count}")
    if args.count is not None and args.count > MAX_PROGRESS_COUNT:
        raise InputError(f"--count {args.count} is more than one report may add "
                         f"({MAX_PROGRESS_COUNT:,})")
    kind = EventKind.PROGRESS if args.count is not None else EventKind.COMPLETED
    event = Event(args.instance, kind, at, args.actor, "cli", count=args.count,
                  evidence_url=args.evidence, note=args.note)
    try:
        with open_store().transaction() as tx:
            view = record_event(tx, event)
    except EventValueError as exc:  # checked in the store, as for the API; nothing written
        option, value = (("--at", repr(args.at)) if exc.field == "at"
                         else ("--count", str(args.count)))
        raise InputError(f"{option} {value}: {exc.detail}") from None
    state = view.state
    if state.completed_at:
        on_time = view.due_at is None or state.completed_at <= view.due_at
        verdict = "đúng hạn" if on_time else "quá hạn"
        out.print(f"Đã ghi nhận hoàn thành {view.id} lúc "
                  f"{state.completed_at.astimezone(LOCAL):%d/%m/%Y %H:%M} ({verdict})")
    else:
        out.print(f"Đã ghi nhận tiến độ {view.id}: {state.progress}/{view.target}")
    return EXIT_OK


def cmd_change(args: argparse.Namespace) -> int:
    reason = (args.reason or "").strip() or None
    if args.kind is EventKind.WAIVED and reason is None:
        raise InputError("--reason must say why the instance is waived (the agency is shown "
                         "it); it is empty")
    dated = getattr(args, "at", None)  # (waive only)
    at = past_moment(dated, what="the waiver was decided") if dated else utc_now()
    event = Event(args.instance, args.kind, at, args.actor, "cli", reason=reason)
    with open_store().transaction() as tx:
        view = record_event(tx, event)
    words = {EventKind.WAIVED: "Đã miễn/hủy", EventKind.REOPENED: "Đã mở lại",
             EventKind.RESTORED: "Đã khôi phục"}
    since = f" từ {local_text(at, LOCAL)}" if dated else ""
    out.print(f"{words[args.kind]} {view.id}{since}")
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    as_of = parse_moment(args.as_of, option="--as-of", end_of_day=True)
    with open_store().transaction() as tx:
        require_plan(tx, args.plan)
        rows = list(instance_statuses(tx, plan=args.plan, as_of=as_of, agency=args.agency,
                                      period=args.period,
                                      status=Status(args.status) if args.status else None))
    counts = count_by_status(rows)
    if args.json:
        json.dump({"plan": args.plan, "as_of": as_of.isoformat(), "counts": counts,
                   "instances": [r.to_json() for r in rows]}, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return EXIT_OK
    table = Table(title=f"{args.plan} — tình trạng đến {as_of.astimezone(LOCAL):%d/%m/%Y}")
    for name in ("Đầu việc", "Hạn", "Tình trạng", "Trễ (ngày LV)", "Tiến độ", "Chờ"):
        table.add_column(name, overflow="fold")
    for r in rows[:200]:
        table.add_row(r.id, f"{r.due.astimezone(LOCAL):%d/%m/%Y}" if r.due else "thường xuyên",
                      STATUS_LABELS_VI[r.status], str(r.days_late or ""),
                      f"{r.progress:.0%}" if r.progress is not None else "",
                      "có" if r.blocked else "")
    out.print(table)
    if len(rows) > 200:
        out.print(f"… {len(rows) - 200} more (use --agency, --period, --status or --json)")
    out.print("  ".join(f"{STATUS_LABELS_VI[Status(k)]}: {n}" for k, n in counts.items()))
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    if args.format in FILE_FORMATS and args.output is None:
        raise InputError(f"--format {args.format} writes a file: give it with "
                         f"-o FILE.{args.format}")
    as_of = parse_moment(args.as_of, option="--as-of", end_of_day=True) if args.as_of else None
    with open_store().transaction() as tx:
        report = build_report(tx, plan=args.plan, period=args.period, as_of=as_of)
        _check_period_year(tx, report)
        html = render_html(tx, report) if args.format == "html" else None
    output: Path | None = args.output
    if output is not None and args.format in FILE_FORMATS:
        writers: dict[str, Callable[[Path], object]] = {
            "html": lambda path: path.write_text(html or "", encoding="utf-8"),
            "xlsx": lambda path: write_xlsx(report, path),
            "docx": lambda path: _write_docx(report, path)}
        write_output(output, writers[args.format])
        out.print(f"wrote {output}")
        return EXIT_OK
    text = (json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n"
            if args.format == "json" else to_csv(report) if args.format == "csv" else None)
    if text is None:
        _print_report_table(report)
    elif output is not None:
        write_output(output, lambda path: path.write_text(text, encoding="utf-8"))
        out.print(f"wrote {output}")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _write_docx(report: Any, path: Path) -> None:
    # python-docx (and lxml) load only when a DOCX is asked for: every command imports this.
    from engine.reports.docx_document import write_docx

    write_docx(report, path)


def _check_period_year(tx: Any, report: Any) -> None:
    """Refuse a period outside the plan's year that holds none of its dated instances; warn
    when it holds some (see engine.store.metrics.outside_plan_year)."""
    outside = outside_plan_year(tx, plan=report.plan, period=report.period)
    if outside is None:
        return
    year, due = outside
    what = f"--period {report.period} is outside plan {report.plan!r} (year {year})"
    if not due:
        raise InputError(f"{what}: none of its instances is due in it; use a period of "
                         f"{year} (e.g. {year}-Q1, {year}-H1, {year})")
    err.print(f"[yellow]warning:[/] {escape(what)}: only the {due} instance(s) due in it "
              "are counted", markup=True)


def _print_report_table(report: Any) -> None:
    table = Table(title=f"Kế hoạch {report.number or report.plan} — kỳ {report.period} "
                        f"({report.window_start:%d/%m/%Y}–{report.window_end:%d/%m/%Y})")
    for name in ("STT", "Nhiệm vụ", "Thời hạn", "Số", "Đúng hạn", "Quá hạn HT", "Trong hạn",
                 "Quá hạn", "Miễn", "Hoàn thành", "Đúng hạn %"):
        table.add_column(name, overflow="fold")
    for n, (task, row) in enumerate(report.tasks, 1):
        line = task_line(n, task, row)
        table.add_row(*[str(v) for v in (line[0], task["task"], *line[4:])])
    out.print(table)


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    store = open_store()
    out.print(f"schema is up to date ({store.dialect})")
    return EXIT_OK


def cmd_db_verify(args: argparse.Namespace) -> int:
    with open_store().transaction() as tx:
        found = verify_projection(tx, plan=args.plan)
    if not found:
        out.print("ok: every instance's state matches its audit log")
        return EXIT_OK
    for d in found[:50]:
        err.print(f"mismatch {d.instance_id}: stored {d.stored}, rebuilt {d.rebuilt}")
    err.print(f"{len(found)} instance(s) differ from their audit log")
    return EXIT_INVALID
