"""`kehoach demo`: a year of a real plan, end to end, on one machine and in about a minute.

Registers the Hà Nội 2024 CCHC plan (the register flow), issues agency tokens, starts the
webhook API and a local SMTP sink on loopback, then plays the year day by day: agencies
complete their work (some late, some never) through real HTTP calls, the daily sweep flow
runs on each morning some open instance reaches a reminder or escalation level (on any
other morning the sweep would find nothing new: the calendar rules most out, and a dry run
of the sweep, rolled back, the rest), e-mails go over SMTP to the sink, which files each one
in a folder, and the period report flow runs at the end of Q1, H1, 9M and the year. Then it
prints where everything is.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from engine.cli.main import EXIT_OK, err, out
from engine.cli.serve import Stopped

if TYPE_CHECKING:
    from engine.store.database import Store

PLAN_SPECS = Path(__file__).resolve().parents[2] / "plan_specs"
DEFAULT_SPEC = PLAN_SPECS / "hanoi/2024-tt-cchc.yaml"
PERIOD_ENDS = {(3, 31): "Q1", (6, 30): "H1", (9, 30): "9M", (12, 31): "Y"}
# ":memory:" in the URL makes Prefect keep a single pooled connection (no lock contention).
PREFECT_IN_MEMORY_DB = "sqlite+aiosqlite:///file::memory:?cache=shared&uri=true&check_same_thread=false"


def register_cli(sub: Any) -> None:
    p = sub.add_parser("demo", help="play a year of a real plan end to end (about a minute)")
    p.add_argument("--spec", type=Path, default=DEFAULT_SPEC)
    p.add_argument("--out", type=Path, default=Path("demo-output"),
                   help="folder for everything the demo writes (emptied first)")
    p.add_argument("--seed", type=int, default=2024, help="seed of the simulated agencies")
    p.add_argument("--serve", action="store_true",
                   help="after the year, keep the web pages up (prints the dashboard's "
                        "address and sign-in links) until Ctrl-C")
    p.set_defaults(command=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    with _stopped_by_signals():
        return _demo(args)


@contextmanager
def _stopped_by_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP end the demo as Ctrl-C does, so every process it started stops
    (by default they would end this process alone and orphan the sink, the API and Prefect)."""
    def stop(signum: int, _frame: Any) -> None:
        raise Stopped(signum)

    previous = {number: signal.signal(number, stop) for number in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _demo(args: argparse.Namespace) -> int:
    started = time.monotonic()
    folder: Path = args.out.resolve()
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    _isolate(folder)
    _create_database()
    # The sink and the API boot (a few seconds of imports each) while Prefect's temporary
    # server starts in this process.
    with _side_process("SMTP sink", ["-m", "notifiers.sink", str(folder / "smtp-sink")],
                       folder) as sink, \
            _side_process("webhook API", ["-m", "engine.cli.main", "serve", "api", "--port"],
                          folder) as api:
        os.environ["KEHOACH_SMTP_PORT"] = str(sink.port)
        os.environ["KEHOACH_PUBLIC_URL"] = f"http://127.0.0.1:{api.port}"  # the mails' links
        summary = _play(args.spec.resolve(), folder, seed=args.seed, api=api, sink=sink)
        received = len(list((folder / "smtp-sink").glob("*.eml")))
        _print_summary(summary, folder, received=received,
                       seconds=time.monotonic() - started, serving=args.serve)
        if args.serve:
            api.process.stop()  # the pages are served on the demo's clock, by a new process
            return _serve(folder, summary["plan"], port=api.port)
    return EXIT_OK


def last_moment(year: int) -> dt.datetime:
    """The demo's last simulated moment: the end of the year's last working day (after its
    last webhook call and review step), Vietnam time."""
    from engine.demo.play import LOCAL

    return dt.datetime.combine(dt.date(year, 12, 31), dt.time(17, 0), LOCAL)


def _serve(folder: Path, plan: Any, *, port: int) -> int:
    """Serve the pages as of the year's end (a simulated clock, which every page shows) until
    Ctrl-C: lateness, deadline groups, extension windows and sign-in links are judged then.
    On the play's port: the links in the year's e-mails lead there."""
    from engine.demo.serve import serve_until_interrupted

    as_of = last_moment(plan.year)
    with _side_process("web pages", ["-m", "engine.cli.main", "serve", "api", "--as-of",
                                     as_of.isoformat(), "--port"], folder, port=port) as pages:
        return serve_until_interrupted(pages.url(), plan.id, now=as_of,
                                       alive=pages.process.alive)


def _create_database() -> None:
    """Create and migrate the demo's SQLite database before any other process opens it."""
    from engine.store.database import open_store

    open_store().close()


class _SideProcess:
    """A process serving on a loopback port; `url()` waits until it accepts connections."""

    def __init__(self, name: str, process: Any, port: int) -> None:
        self.name, self.process, self.port = name, process, port

    def url(self, timeout: float = 60) -> str:
        import socket

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.alive():
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return f"http://127.0.0.1:{self.port}"
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not start; see {self.process.log_path}")


@contextmanager
def _side_process(name: str, argv: list[str], folder: Path, *,
                  port: int | None = None) -> Iterator[_SideProcess]:
    """Start `python ARGV PORT` in its own process (not competing with the flows for the
    GIL) on `port` or a free loopback port, without waiting for it; stop it on exit."""
    from flows.server import free_port, spawn

    port = port or free_port()
    process = spawn(name, [sys.executable, *argv, str(port)],
                    env={"KEHOACH_PUBLIC_URL": f"http://127.0.0.1:{port}"},
                    log_path=folder / "logs" / f"{name.replace(' ', '-').lower()}.log")
    try:
        yield _SideProcess(name, process, port)
    finally:
        process.stop()


def _isolate(folder: Path) -> None:
    """Everything the demo writes goes under `folder`: database, mail, Prefect's home."""
    os.environ.update({
        "KEHOACH_HOME": str(folder), "KEHOACH_SMTP_HOST": "127.0.0.1",
        "KEHOACH_SMTP_SECURITY": "none", "KEHOACH_MAIL_FOLDER": str(folder / "mail"),
        "PREFECT_HOME": str(folder / "prefect"), "PREFECT_LOGGING_LEVEL": "ERROR",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_SERVER_LOGGING_LEVEL": "CRITICAL",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
        # The temporary server's database lives in memory, on one connection: with a file,
        # its background writers (events, task runs) made about one flow-run creation in
        # fifteen fail with "database is locked", and Prefect's client retries after 2 s.
        "PREFECT_API_DATABASE_CONNECTION_URL": PREFECT_IN_MEMORY_DB})
    os.environ.pop("KEHOACH_DATABASE_URL", None)
    os.environ.pop("PREFECT_API_URL", None)  # the demo runs its flows on a temporary server


def _play(spec: Path, folder: Path, *, seed: int, api: _SideProcess,
          sink: _SideProcess) -> dict[str, Any]:
    from prefect.context import SyncClientContext
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    from engine.demo.play import deliveries, sweep_mornings
    from engine.demo.review_play import ReviewPlayer, review_steps
    from engine.loader import compile_file
    from flows.register import register_flow

    err.print("starting Prefect's temporary server and registering the plan (register flow)…")
    # Heartbeats detect crashed long runs; these runs last a second, and joining the
    # heartbeat thread at the end of each would cost more than the run.
    # One Prefect client for every run of the year (each run would otherwise open its own
    # HTTP client and load the CA bundle for it, ~0.1 s).
    start = time.monotonic()
    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}), \
            SyncClientContext.get_or_create():
        diff = register_flow(str(spec), actor="demo")
        registered_s = time.monotonic() - start
        plan = compile_file(spec)
        tokens = _issue_tokens(plan)
        sink.url()  # both side processes must be up before the year starts
        steps, calls = review_steps(plan, deliveries(plan, random.Random(seed)),
                                    random.Random(seed + 1))
        stats = _year(plan, tokens, api.url(), calls, sweep_mornings(plan), folder=folder,
                      diff=diff, player=ReviewPlayer(steps, tokens))
    return {**stats, "register_s": registered_s}


def _issue_tokens(plan: Any) -> dict[str, str]:
    from engine.api.auth import Role, issue_token
    from engine.store.database import open_store, utc_now

    store = open_store()
    directory = plan.directory.directory.id
    header = plan.spec.plan  # the issuer approves extensions, the monitor reviews reports
    agencies = {i.agency for i in plan.instances} | {header.issuer, header.monitor}
    try:
        with store.transaction() as tx:
            return {agency: issue_token(tx, role=Role.AGENCY, directory_id=directory,
                                        agency_id=agency, now=utc_now(), note="demo").token
                    for agency in sorted(agencies)}
    finally:
        store.close()


def _year(plan: Any, tokens: dict[str, str], base_url: str, calls: list[Any],
          mornings: set[dt.date], *, folder: Path, diff: dict[str, int],
          player: Any) -> dict[str, Any]:
    import httpx

    from engine.demo.play import LOCAL, post
    from flows.report import period_report_flow
    from flows.sweep import daily_sweep_flow
    from flows.tasks import store_from

    year = plan.spec.plan.year
    days = (dt.date(year, 12, 31) - dt.date(year, 1, 1)).days + 1
    stats: dict[str, Any] = {"plan": plan.spec.plan, "registered": diff, "calls": 0,
                             "refused": 0, "sweeps": 0, "escalations": 0, "mails": 0,
                             "reports": []}
    pending = iter(calls)
    upcoming = next(pending, None)
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[day]}"),
               TimeElapsedColumn())
    with httpx.Client(base_url=base_url, timeout=30) as client, \
            Progress(*columns, console=err, transient=True) as progress:
        bar = progress.add_task("playing the year", total=days, day="")
        for n in range(days):
            day = dt.date(year, 1, 1) + dt.timedelta(days=n)
            progress.update(bar, day=f"{day:%d/%m/%Y}")
            morning = dt.datetime.combine(day, dt.time(8, 0), LOCAL)
            if day in mornings and sweep_finds_something(store_from(), morning):
                with _timed(stats, "sweep_s"):
                    result = daily_sweep_flow(as_of=morning.isoformat(), via="smtp")
                stats["sweeps"] += 1
                stats["escalations"] += result["escalations"]
                stats["mails"] += result["sent"]
            with _timed(stats, "http_s"):
                while upcoming is not None and upcoming.at.date() <= day:
                    status = post(client, upcoming, tokens[upcoming.agency])
                    stats["calls"] += 1
                    stats["refused"] += status >= 400
                    upcoming = next(pending, None)
                player.play(client, day)
            if (day.month, day.day) in PERIOD_ENDS:
                with _timed(stats, "report_s"):
                    report = period_report_flow(plan.spec.plan.id, period=_label(year, day),
                                                folder=str(folder / "reports"), via="smtp")
                stats["reports"].append(report)
            progress.advance(bar)
    stats["review"] = player.counts
    return stats


def sweep_finds_something(store: Store, morning: dt.datetime) -> bool:
    """A dry run of the sweep as of `morning`, rolled back: does any open instance reach a
    new level? (Every level due this morning may belong to work already done.)"""
    from sqlalchemy.orm import Session

    from engine.sweep.run import run_sweep

    with Session(store.engine) as session:  # closed without commit: rolled back
        return run_sweep(session, now=morning).escalations > 0


@contextmanager
def _timed(stats: dict[str, Any], key: str) -> Iterator[None]:
    start = time.monotonic()
    try:
        yield
    finally:
        stats[key] = stats.get(key, 0.0) + time.monotonic() - start


def _label(year: int, day: dt.date) -> str:
    window = PERIOD_ENDS[(day.month, day.day)]
    return str(year) if window == "Y" else f"{year}-{window}"


def _print_summary(stats: dict[str, Any], folder: Path, *, received: int,
                   seconds: float, serving: bool) -> None:
    from engine.core.status import STATUS_LABELS_VI, Status
    from engine.reports.vietnamese import period_title

    plan = stats["plan"]
    table = Table(title=f"Kết quả thực hiện: {plan.title}")
    table.add_column("Kỳ")
    for status in Status:
        table.add_column(STATUS_LABELS_VI[status], justify="right")
    table.add_column("Tỷ lệ hoàn thành", justify="right")
    for report in stats["reports"]:
        counts = report["totals"]
        name = period_title(report["period"])
        table.add_row(name, *[str(counts[s.value]) for s in Status], report["completion"])
    out.print(table)
    out.print(f"\n[bold]{plan.number or plan.id}[/] played in {seconds:.0f} s: "
              f"{stats['registered']['added']:,} instances registered; "
              f"{stats['calls']:,} webhook calls by agencies ({stats['refused']} refused); "
              f"{stats['sweeps']} morning sweeps reached {stats['escalations']:,} "
              f"reminder/escalation levels and sent {stats['mails']:,} digests; "
              f"{len(stats['reports'])} period reports.", markup=True)
    review = stats["review"]
    out.print(f"review:         {review['ask']} requests for more time ({review['approve']} "
              f"approved, {review['refuse']} refused); {review['return']} reports returned by "
              f"the standing unit and sent again; {review['failed']} review calls refused")
    out.print(f"time:           registering (with Prefect's first start) "
              f"{stats['register_s']:.0f} s, morning sweeps {stats.get('sweep_s', 0):.0f} s, "
              f"webhook calls {stats.get('http_s', 0):.0f} s, reports "
              f"{stats.get('report_s', 0):.0f} s")
    out.print(f"database:       {folder / 'kehoach.db'}")
    out.print(f"e-mails:        {folder / 'smtp-sink'} ({received} .eml files: the digests "
              "and the period reports, each received over SMTP by the local sink)")
    year_files = ", ".join(Path(f).name for f in stats["reports"][-1]["files"])
    out.print(f"reports:        {folder / 'reports'} (XLSX laid out like the appendix, HTML "
              f"with charts, DOCX the report document to send; the year's: {year_files})")
    command = Path(sys.argv[0]).resolve() if Path(sys.argv[0]).name == "kehoach" else "kehoach"
    out.print(f"try:            KEHOACH_HOME={folder} {command} status --plan {plan.id} "
              "--status overdue --as-of 2024-12-31")
    if not serving:
        out.print("pages:          `kehoach demo --serve` plays the year, then keeps its web "
                  "pages up (dashboard and sign-in links printed) until Ctrl-C")
