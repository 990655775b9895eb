"""`kehoach demo`: register a real plan in SQLite, play a year of agency work, write reports."""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table

from engine.cli import EXIT_OK, err, out
from engine.compile import CompiledPlan, Instance
from engine.loader import compile_file, read_text
from engine.registry import register_plan
from engine.report import build_report, to_csv, write_xlsx
from engine.status import STATUS_LABELS_VI, Event, EventKind, Status
from engine.store import Store, open_store, record_event, utc_now
from engine.workdays import WorkCalendar

PLAN_SPECS = Path(__file__).resolve().parent.parent / "plan_specs"
DEFAULT_SPEC = PLAN_SPECS / "hanoi/2024-tt-cchc.yaml"
WINDOWS = ("Q1", "H1", "9M", "Y")


def register_cli(sub: Any) -> None:
    p = sub.add_parser("demo", help="play a year of a real plan on a fresh SQLite store")
    p.add_argument("--spec", type=Path, default=DEFAULT_SPEC)
    p.add_argument("--out", type=Path, default=Path("demo-output"),
                   help="folder for the database and reports (emptied first)")
    p.add_argument("--seed", type=int, default=2024, help="seed of the simulated agencies")
    p.set_defaults(command=cmd_demo)


@dataclass(frozen=True, slots=True)
class Behaviour:
    """How one simulated agency works: mostly on time, often late, or silent."""

    kind: str        # "diligent" | "late" | "silent"
    reliability: float


def cmd_demo(args: argparse.Namespace) -> int:
    folder: Path = args.out.resolve()
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "reports").mkdir(parents=True)
    plan = compile_file(args.spec)
    header = plan.spec.plan
    out.print(f"[bold]kehoach demo[/]: {header.title} ({len(plan.instances):,} instances, "
              f"{len(plan.warnings)} compile warnings)", markup=True)
    store = open_store(url=f"sqlite:///{folder / 'kehoach.db'}")
    with store.transaction() as tx:
        register_plan(tx, plan, spec_text=read_text(args.spec),
                      directory_text=read_text(args.spec.parent / header.directory),
                      now=utc_now(), actor="demo")
    events = sorted(simulate(plan, random.Random(args.seed)), key=lambda e: e.at)
    play(store, events, plan)
    written = write_reports(store, header.id, header.year, folder / "reports")
    summarize(store, plan, folder, written)
    store.close()
    return EXIT_OK


def simulate(plan: CompiledPlan, rng: random.Random) -> Iterator[Event]:
    """Agencies' completions (and progress toward targets) for every dated instance."""
    agencies = sorted({i.agency for i in plan.instances})
    behaviour = {a: _behaviour(rng) for a in agencies}
    for inst in plan.instances:
        yield from _events_for(inst, behaviour[inst.agency], plan.calendar, rng)


def _behaviour(rng: random.Random) -> Behaviour:
    roll = rng.random()
    if roll < 0.6:
        return Behaviour("diligent", 0.95)
    return Behaviour("late", 0.8) if roll < 0.88 else Behaviour("silent", 0.2)


def _events_for(inst: Instance, who: Behaviour, calendar: WorkCalendar,
                rng: random.Random) -> Iterator[Event]:
    if inst.due_date is None or rng.random() > who.reliability:
        return
    offset = -rng.randint(0, 10) if who.kind == "diligent" else rng.randint(-3, 25)
    day = calendar.add_working_days(inst.due_date, offset)
    at = dt.datetime.combine(day, dt.time(rng.randint(8, 16), rng.choice((0, 15, 30, 45))),
                             ZoneInfo("Asia/Ho_Chi_Minh"))
    actor = f"{inst.agency}@demo"
    if inst.target and inst.target > 1:
        first = rng.randint(1, inst.target - 1)
        yield Event(inst.id, EventKind.PROGRESS, at - dt.timedelta(days=20), actor, "demo",
                    count=first, note="báo cáo tiến độ")
        yield Event(inst.id, EventKind.PROGRESS, at, actor, "demo", count=inst.target - first,
                    evidence_url=f"https://{inst.agency}.example.org/cchc")
        return
    yield Event(inst.id, EventKind.COMPLETED, at, actor, "demo",
                evidence_url=f"https://{inst.agency}.example.org/cchc")


def play(store: Store, events: list[Event], plan: CompiledPlan) -> None:
    """Record the events day by day, one transaction per simulated day, with a progress bar."""
    year = plan.spec.plan.year
    days = (dt.date(year, 12, 31) - dt.date(year, 1, 1)).days + 1
    by_day: dict[dt.date, list[Event]] = {}
    for e in events:
        by_day.setdefault(e.at.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).date(), []).append(e)
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[day]}"))
    with Progress(*columns, console=err, transient=True) as progress:
        bar = progress.add_task("playing the year", total=days, day="")
        for n in range(days):
            day = dt.date(year, 1, 1) + dt.timedelta(days=n)
            todays = [e for e in by_day.get(day, ()) if e.at.year == year]
            if todays:
                with store.transaction() as tx:
                    for e in todays:
                        record_event(tx, e)
            progress.update(bar, advance=1, day=f"{day:%d/%m/%Y}")


def write_reports(store: Store, plan_id: str, year: int, folder: Path) -> list[Path]:
    written = []
    for window in WINDOWS:
        label = str(year) if window == "Y" else f"{year}-{window}"
        with store.transaction() as tx:
            report = build_report(tx, plan=plan_id, period=label)
        xlsx = folder / f"bao-cao-{label}.xlsx"
        write_xlsx(report, xlsx)
        (folder / f"bao-cao-{label}.csv").write_text(to_csv(report), encoding="utf-8")
        written.append(xlsx)
    return written


def summarize(store: Store, plan: CompiledPlan, folder: Path, written: list[Path]) -> None:
    header = plan.spec.plan
    table = Table(title=f"Kết quả thực hiện {header.title}")
    table.add_column("Kỳ")
    for status in Status:
        table.add_column(STATUS_LABELS_VI[status], justify="right")
    table.add_column("Tỷ lệ hoàn thành", justify="right")
    table.add_column("Đúng hạn", justify="right")
    lagging: list[tuple[str, Any]] = []
    for window in WINDOWS:
        label = str(header.year) if window == "Y" else f"{header.year}-{window}"
        with store.transaction() as tx:
            report = build_report(tx, plan=header.id, period=label)
        t = report.total
        table.add_row(label, *[str(t.counts[s]) for s in Status],
                      _pct(t.completion_rate), _pct(t.on_time_rate))
        lagging = report.agencies[:5]
    out.print(table)
    out.print("[bold]Cơ quan chậm nhất cả năm[/] (quá hạn chưa hoàn thành):", markup=True)
    for name, row in lagging:
        out.print(f"  {name}: {row.counts[Status.OVERDUE]} quá hạn, hoàn thành "
                  f"{_pct(row.completion_rate)}, trễ nhiều nhất {row.worst_days_late} ngày LV")
    out.print(f"\ndatabase: {folder / 'kehoach.db'}")
    out.print(f"reports:  {folder / 'reports'} ({len(written)} XLSX + CSV, one per window)")
    out.print(f"try:      KEHOACH_HOME={folder} kehoach status --plan {header.id} "
              "--status overdue --as-of 2024-12-31")


def _pct(value: float | None) -> str:
    return f"{value:.0%}" if value is not None else "—"
