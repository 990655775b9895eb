"""The standing unit's and leadership's plan dashboard: the period's four-way figures per
agency and per period, the HTML report's heat map and burn-up, and the lagging ranking.

The figures come from engine.store.metrics (rollup_grid: one scan per need, by agency; by
agency and month for the heat map's agencies; by task and period) and the data
engine.reports.html_page builds for the report (heat cells, burn-up); nothing here queries
instances itself. A dashboard is kept (per plan and period) until an event is recorded or
the plan revised, or for at most CACHE_AGE; one that took over SLOW_BUILD to build is then
rebuilt in the background while the page shows the kept one and says as of when
(DashboardCache).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.core.periods import Period
from engine.reports.html_page import HeatCell, burnup_svg, heat_cells, heat_map
from engine.reports.vietnamese import vietnamese_sort_key
from engine.store.database import Store
from engine.store.metrics import MetricRow, rollup_grid, window
from engine.store.queries import require_plan
from engine.store.tables import AgencyRow, EventRow, PlanRow, TaskRow

CACHE_AGE = dt.timedelta(minutes=2)
SLOW_BUILD = dt.timedelta(seconds=1)  # the page's goal: a quicker build is done in the request
log = logging.getLogger(__name__)
HEAT_ROWS = 40  # the heat map shows the most lagging agencies; the table lists them all
AGENCY_ROWS = 200


@dataclass(frozen=True)
class Dashboard:
    """Everything the dashboard page shows for one plan and reporting window."""

    plan: PlanRow
    period: str
    periods: list[str]
    window_start: dt.date
    window_end: dt.date
    as_of: dt.datetime
    total: MetricRow
    agencies: list[tuple[str, str, MetricRow]]   # (id, name, figures), lagging first
    agency_count: int
    by_period: list[MetricRow]
    by_task: list[tuple[str, str, MetricRow]]
    months: list[str]
    heat: dict[str, dict[str, HeatCell]]
    heat_agencies: list[str]
    burnup: dict[str, Any]
    names: dict[str, str]


def report_periods(year: int) -> list[str]:
    """The windows a plan's reports use: Q1, H1, 9M, the year."""
    return [f"{year}-Q1", f"{year}-H1", f"{year}-9M", f"{year}"]


def current_period(year: int, now: dt.datetime, zone: ZoneInfo) -> str:
    """The report window that holds `now` (the year's first before it starts, the year after)."""
    today = now.astimezone(zone).date()
    for label in report_periods(year):
        if today <= window(year, label).end:
            return label
    return str(year)


def build_dashboard(session: Session, *, plan: str, period: str,
                    now: dt.datetime) -> Dashboard:
    """The dashboard of `plan` for the window `period`: the instances the window's report
    counts, with their status as of `now` (live, unlike the report, which takes a past
    window's status at its end: a late completion shows here at once)."""
    row = require_plan(session, plan)
    zone = ZoneInfo(row.timezone)
    win = window(row.year, period)
    as_of = now
    names = {a: short or name for a, short, name in session.execute(
        select(AgencyRow.id, AgencyRow.short, AgencyRow.name).where(AgencyRow.plan_id == plan))}
    tasks = {t: title for t, title in session.execute(
        select(TaskRow.id, TaskRow.title).where(TaskRow.plan_id == plan))}
    by_agency = rollup_grid(session, plan=plan, period=period, by=("agency",), as_of=as_of)
    agencies = by_agency.per(0)  # the totals are these rows' sum: no scan of their own
    months = [f"{row.year}-{m:02d}" for m in range(1, win.end.month + 1)] \
        if win.end.year == row.year else [f"{row.year}-{m:02d}" for m in range(1, 13)]
    heat_agencies = [m.key for m in agencies[:HEAT_ROWS]]
    heat = _heat(session, plan=plan, win=win, months=months, as_of=as_of,
                 agencies=heat_agencies)
    by_work = rollup_grid(session, plan=plan, period=period, by=("task", "period"),
                          as_of=as_of)
    return Dashboard(
        row, period, report_periods(row.year), win.start, win.end, as_of,
        by_agency.total or MetricRow(plan),
        [(m.key, names.get(m.key, m.key), m) for m in agencies[:AGENCY_ROWS]], len(agencies),
        sorted(by_work.per(1), key=lambda m: _period_order(m.key)),
        [(m.key, tasks.get(m.key, m.key), m) for m in by_work.per(0)],
        months, {a: heat.get(a, {}) for a in heat_agencies},
        sorted(heat_agencies, key=lambda a: vietnamese_sort_key(names.get(a) or a)),
        burnup_svg(session, plan=plan, year=row.year, until=as_of.astimezone(zone)), names)


def _heat(session: Session, *, plan: str, win: Period, months: list[str],
          as_of: dt.datetime, agencies: list[str]) -> dict[str, dict[str, HeatCell]]:
    """The heat map of the most lagging agencies: one scan of their instances in the window,
    by agency and month, when the window holds every month shown (Q1, H1, 9M, the year),
    else heat_map's scan of the year."""
    if all(win.start <= first and last <= win.end for first, last in map(_month_span, months)):
        grid = rollup_grid(session, plan=plan, period=win.label, by=("agency", "month"),
                           as_of=as_of, only=agencies)
        return heat_cells(grid, months, into={})
    return heat_map(session, plan=plan, months=months, as_of=as_of, agencies=agencies)


def _month_span(month: str) -> tuple[dt.date, dt.date]:
    first = dt.date(int(month[:4]), int(month[5:]), 1)
    return first, (first + dt.timedelta(days=31)).replace(day=1) - dt.timedelta(days=1)


def _period_order(label: str) -> tuple[int, str]:
    return len(label) == 4, label  # the year's own instances after its parts


def data_version(session: Session, plan: str) -> tuple[int, int]:
    """What a kept dashboard depends on: the last event recorded and the plan's revision."""
    last = session.scalar(select(func.max(EventRow.id))) or 0
    revision = session.scalar(select(PlanRow.revision).where(PlanRow.id == plan)) or 0
    return int(last), int(revision)


@dataclass(frozen=True)
class _Kept:
    version: tuple[int, int]
    built_at: dt.datetime
    seconds: float
    board: Dashboard


class DashboardCache:
    """Dashboards by (plan, period), with the data version they were built from.

    A kept dashboard is shown while its data version holds and for CACHE_AGE. When it is out
    of date: a dashboard that took under SLOW_BUILD to build is rebuilt at once (the page
    shows the change it follows); a slower one (a national plan's, seconds) is shown as it
    was while one background thread rebuilds it, and the page says as of when its figures
    are and that newer ones are on the way.
    """

    def __init__(self) -> None:
        self._kept: dict[tuple[str, str], _Kept] = {}
        self._building: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def get(self, store: Store, *, plan: str, period: str, now: dt.datetime,
            ) -> tuple[Dashboard, bool]:
        """(the dashboard, whether a newer one is being built)."""
        key = (plan, period)
        with store.transaction() as session:
            version = data_version(session, plan)
        with self._lock:
            kept = self._kept.get(key)
        if kept is not None and kept.version == version and \
                dt.timedelta(0) <= now - kept.built_at < CACHE_AGE:
            return kept.board, False
        if kept is not None and kept.seconds >= SLOW_BUILD.total_seconds():
            with self._lock:
                started = key not in self._building
                self._building.add(key)
            if started:
                threading.Thread(target=self._rebuild, args=(store, key, version, now),
                                 daemon=True, name=f"dashboard {plan} {period}").start()
            return kept.board, True
        return self._build(store, key, version, now).board, False

    def _build(self, store: Store, key: tuple[str, str], version: tuple[int, int],
               now: dt.datetime) -> _Kept:
        start = time.perf_counter()
        with store.transaction() as session:
            board = build_dashboard(session, plan=key[0], period=key[1], now=now)
        kept = _Kept(version, now, time.perf_counter() - start, board)
        with self._lock:
            self._kept[key] = kept
        return kept

    def _rebuild(self, store: Store, key: tuple[str, str], version: tuple[int, int],
                 now: dt.datetime) -> None:
        try:
            self._build(store, key, version, now)  # the app clock's "now" of the request
        except Exception:  # the kept dashboard stays; the next request tries again
            log.exception("rebuilding the dashboard of %s %s", *key)
        finally:
            with self._lock:
                self._building.discard(key)
