"""Completion metrics per plan, agency, task and period, computed in SQL.

Scope of a reporting window: the instances whose printed deadline falls within it
(cumulative windows Q1, H1, 9M and Y start on 1 January; a month window is that month
alone), plus continuous instances (no due) in year windows. Status is taken as of
`as_of` (default: the window's end).
Days late are working days, counted by the plan's own calendar (table `workdays`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Select,
    String,
    and_,
    case,
    func,
    literal,
    literal_column,
    or_,
    select,
)
from sqlalchemy.orm import Session

from engine.core.errors import PeriodError
from engine.core.periods import Period, parse_period
from engine.core.status import Status
from engine.store.tables import InstanceRow, PlanRow, WorkdayRow
from engine.store.tables_escalation import OPEN_INSTANCE

GROUPINGS = {"plan": InstanceRow.plan_id, "agency": InstanceRow.agency_id,
             "task": InstanceRow.task_id, "period": InstanceRow.period}


@dataclass
class MetricRow:
    """Counts by status and the rates derived from them, for one key of a grouping."""

    key: str
    counts: dict[Status, int] = field(default_factory=lambda: dict.fromkeys(Status, 0))
    median_days_late: float | None = None
    worst_days_late: int | None = None
    target_progress: float | None = None

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def counted(self) -> int:
        """Instances the rates count: all but the waived ones."""
        return self.total - self.counts[Status.WAIVED]

    @property
    def completion_rate(self) -> float | None:
        done = self.counts[Status.DONE_ON_TIME] + self.counts[Status.DONE_LATE]
        return done / self.counted if self.counted else None

    @property
    def on_time_rate(self) -> float | None:
        return self.counts[Status.DONE_ON_TIME] / self.counted if self.counted else None

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "counts": {s.value: n for s, n in self.counts.items()},
                "total": self.total, "completion_rate": self.completion_rate,
                "on_time_rate": self.on_time_rate, "median_days_late": self.median_days_late,
                "worst_days_late": self.worst_days_late, "target_progress": self.target_progress}


def window(plan_year: int, label: str) -> Period:
    """The reporting window for a label: "2024-Q1" means 01/01-31/03 (cumulative), etc."""
    try:
        period = parse_period(label)
    except ValueError as exc:
        raise PeriodError(label, str(exc)) from None
    if period.kind == "quarter":  # quarterly reports are cumulative from 1 January
        return Period(label, dt.date(period.start.year, 1, 1), period.end, period.kind)
    return period


def rollup(session: Session, *, plan: str, period: str, by: str = "agency",
           as_of: dt.datetime | None = None) -> list[MetricRow]:
    """Metrics of `plan` in the window `period`, one row per key of `by`, lagging first.

    One scan of the plan's instances grouped by the key alone (see `_per_key`); the days
    late of each key's late instances come back as lists, whose median Python reads.

    Args:
        session: an open session.
        plan: the plan id.
        period: a window label ("2024-Q1", "2024-H1", "2024-9M", "2024", "2024-03").
        by: "plan", "agency", "task" or "period".
        as_of: the moment status is taken at; default the end of the window.
    """
    return rollup_grid(session, plan=plan, period=period, by=(by,), as_of=as_of).per(0)


@dataclass
class _Tally:
    """A group's raw figures: counts, target sums and the two lateness lists (see _per_key);
    groups add up exactly, lists included, so a median of merged groups is the real one."""

    total: int = 0
    on_time: int = 0
    waived: int = 0
    done_sum: int = 0
    target_sum: int = 0
    late_done: list[int | None] = field(default_factory=list)
    due_open: list[int | None] = field(default_factory=list)

    def add(self, other: _Tally) -> None:
        self.total += other.total
        self.on_time += other.on_time
        self.waived += other.waived
        self.done_sum += other.done_sum
        self.target_sum += other.target_sum
        self.late_done += other.late_done
        self.due_open += other.due_open


@dataclass(frozen=True)
class Grid:
    """A window's metrics by one or more keys from one scan, and what its cells add up to:
    `per(n)` is rollup's rows by the n-th key, `total` rollup's by="plan" row."""

    plan: str
    cells: dict[tuple[Any, ...], _Tally]
    as_of_wd: int | None

    def cell(self, *key: Any) -> MetricRow | None:
        """The figures of one cell (None when no instance falls in it)."""
        tally = self.cells.get(key)
        return _metric(key[0], tally, self.as_of_wd) if tally else None

    def per(self, n: int) -> list[MetricRow]:
        """One row per value of the n-th key, lagging first (as rollup orders them)."""
        merged: dict[Any, _Tally] = {}
        for key, tally in self.cells.items():
            if len(key) == 1:  # a grid by one key: its cells are the rows
                merged[key[0]] = tally
            else:
                merged.setdefault(key[n], _Tally()).add(tally)
        rows = [_metric(k, t, self.as_of_wd) for k, t in merged.items()]
        return sorted(rows, key=_lagging_first)

    @property
    def total(self) -> MetricRow | None:
        """The whole window's figures (None when it holds no instance)."""
        if not self.cells:
            return None
        merged = _Tally()
        for tally in self.cells.values():
            merged.add(tally)
        return _metric(self.plan, merged, self.as_of_wd)


def rollup_grid(session: Session, *, plan: str, period: str, by: tuple[str, ...],
                as_of: dt.datetime | None = None, only: Collection[str] | None = None,
                ) -> Grid:
    """Metrics of `plan` in the window `period` grouped by every key of `by` at once
    ("plan", "agency", "task", "period" or "month", the month of the instance's printed
    deadline, else its due date, None for an undated one), in one scan.

    A ("agency", "month") cell for a month inside the window is rollup's figure for that
    month window and agency (same `as_of`). `only` limits the first key to those values
    (read through its index: the heat map's few agencies).
    """
    row = session.get(PlanRow, plan)
    tz = ZoneInfo(row.timezone if row else "Asia/Ho_Chi_Minh")
    win = window(row.year if row else 0, period)
    as_of = as_of or end_of_window(win, tz)
    as_of_wd = workday_ordinal(session, plan=plan, day=as_of.astimezone(tz).date())
    sqlite = session.get_bind().dialect.name == "sqlite"
    keys = [_grouping(name, sqlite=sqlite) for name in by]
    query = _per_key(plan, win, as_of, keys, sqlite=sqlite)
    if only is not None:
        query = query.where(keys[0].in_(list(only)))
    as_list = _json_list if sqlite else _plain_list
    cells = {tuple(r[:len(keys)]): _tally(r[len(keys):], as_list)
             for r in session.connection().execute(query)}
    return Grid(plan, cells, as_of_wd)


def _grouping(name: str, *, sqlite: bool) -> Any:
    if name != "month":
        return GROUPINGS[name]
    day = func.coalesce(InstanceRow.printed_due, InstanceRow.due_date)
    if sqlite:  # dates are stored as YYYY-MM-DD text
        return func.substr(day, 1, 7, type_=String())
    return func.to_char(day, "YYYY-MM", type_=String())


def _tally(r: Any, as_list: Callable[[Any], list[int | None]]) -> _Tally:
    total, on_time, waived, done_sum, target_sum, late_done, due_open = r
    return _Tally(int(total), int(on_time), int(waived), int(done_sum or 0),
                  int(target_sum or 0), as_list(late_done), as_list(due_open))


def _metric(key: Any, t: _Tally, as_of_wd: int | None) -> MetricRow:
    late_done, due_open, waived = t.late_done, t.due_open, t.waived
    counts = {Status.DONE_ON_TIME: t.on_time, Status.DONE_LATE: len(late_done),
              Status.ON_TRACK: t.total - t.on_time - len(late_done) - len(due_open) - waived,
              Status.OVERDUE: len(due_open), Status.WAIVED: waived}
    metric = MetricRow(key, counts={s: int(n) for s, n in counts.items()})
    metric.target_progress = t.done_sum / t.target_sum if t.target_sum else None
    # Days late: None where an ordinal is missing (a day outside the calendar's span).
    late = [n for n in late_done if n is not None]
    if as_of_wd is not None:  # an open instance is late by as_of's ordinal minus its due's
        late += [as_of_wd - due for due in due_open if due is not None]
    if late:
        late.sort()
        metric.worst_days_late = max(late[-1], 0)
        low, high = late[(len(late) + 1) // 2 - 1], late[len(late) // 2]
        metric.median_days_late = (max(low, 0) + max(high, 0)) / 2
    return metric


def _json_list(text: str | None) -> list[int | None]:
    """SQLite's group_concat of integers and nulls ("3,null,12") as a list; json parses
    a million numbers faster than int() on split text."""
    values: list[int | None] = json.loads(f"[{text}]") if text else []
    return values


def _plain_list(values: list[int | None] | None) -> list[int | None]:
    """PostgreSQL's array_agg, already a list (None when no row matched)."""
    return list(values) if values else []


def workday_ordinal(session: Session, *, plan: str, day: dt.date) -> int | None:
    """The working-day ordinal of `day` in the plan's calendar (None outside its span)."""
    return session.scalar(select(WorkdayRow.ordinal).where(
        WorkdayRow.plan_id == plan, WorkdayRow.day == day))


def outside_plan_year(session: Session, *, plan: str, period: str) -> tuple[int, int] | None:
    """(the plan's year, how many of its instances are printed due in the window) when the
    reporting window of `period` lies outside the plan's year, else None.

    A 2024 plan may have work due in January 2025 (an annual report): such a window is
    valid but partial; one holding none of the plan's instances is a mistake (a report of
    zeros that looks like a result).
    """
    row = session.get(PlanRow, plan)
    if row is None:
        return None
    win = window(row.year, period)
    if win.start.year <= row.year <= win.end.year:
        return None
    due = session.scalar(select(func.count()).select_from(InstanceRow).where(
        InstanceRow.plan_id == plan, InstanceRow.printed_due.between(win.start, win.end)))
    return row.year, int(due or 0)


def lag_rank(row: MetricRow) -> tuple[int, float]:
    """How far behind a row is, most behind first: most overdue, then lowest completion
    (no rate at all last)."""
    rate = row.completion_rate
    return -row.counts[Status.OVERDUE], rate if rate is not None else 2.0


def _lagging_first(row: MetricRow) -> tuple[tuple[int, float], str]:
    return lag_rank(row), row.key


def status_expr(as_of: dt.datetime) -> Any:
    """engine.core.status.status_at as SQL. Open instances (the bulk of a big plan) are decided
    first, after two NULL checks and one comparison: this CASE runs once per row."""
    c = InstanceRow
    untouched = OPEN_INSTANCE  # neither completed nor waived (the sweep's test, too)
    open_status = case((or_(c.due_at.is_(None), c.due_at >= as_of), literal(Status.ON_TRACK.value)),
                       else_=literal(Status.OVERDUE.value))
    done = and_(c.completed_at.is_not(None), c.completed_at <= as_of)
    return case(
        (untouched, open_status),
        (and_(c.waived_at.is_not(None), c.waived_at <= as_of), literal(Status.WAIVED.value)),
        (and_(done, or_(c.due_at.is_(None), c.completed_at <= c.due_at)),
         literal(Status.DONE_ON_TIME.value)),
        (done, literal(Status.DONE_LATE.value)),
        else_=open_status)


def late_expr(as_of: dt.datetime, as_of_wd: int | None) -> Any:
    """Working days late: to the completion if done by `as_of`, else to `as_of`."""
    c = InstanceRow
    done = and_(c.completed_at.is_not(None), c.completed_at <= as_of)
    return case((done, c.completed_wd - c.due_wd), else_=literal(as_of_wd) - c.due_wd)


def end_of_window(win: Period, tz: ZoneInfo) -> dt.datetime:
    """The last second of a window's last day, in the plan's time zone."""
    return dt.datetime.combine(win.end, dt.time(23, 59, 59), tz)


def _per_key(plan: str, win: Period, as_of: dt.datetime, keys: list[Any], *,
             sqlite: bool) -> Select[Any]:
    """One row per key (per combination of `keys`): total, on-time and waived counts, target
    sums, two lateness lists.

    Grouping by the keys alone lets SQLite read the rows in key order from a covering
    index, (plan_id, agency_id, ...) or (plan_id, task_id, period, ...) with every column
    read here (engine.store.tables.FIGURE_COLUMNS), with no sort and no table lookup, and
    PostgreSQL do the same (index-only, where vacuumed) or hash them into a few thousand
    groups; grouping by (key, status, days late) instead meant sorting every instance into
    ~200,000 groups. Each status is a filter, engine.core.status.status_at term by term, written
    to fail on its first test for open instances (the bulk of a big plan). The late
    statuses come back as lists, one item per instance, whose lengths are their counts:
    completed late, (completed_wd - due_wd); overdue, due_wd alone (as_of's ordinal is
    known). On-track instances are the rest of the total. (Not `status_expr`: a CASE gives
    each row one status; grouping by it is the ~200,000-group sort above.)
    """
    c = InstanceRow
    not_waived = or_(c.waived_at.is_(None), c.waived_at > as_of)
    done = and_(c.completed_at.is_not(None), c.completed_at <= as_of, not_waived)
    done_on_time = and_(done, or_(c.due_at.is_(None), c.completed_at <= c.due_at))
    done_late = and_(done, c.completed_at > c.due_at)
    overdue = and_(c.due_at < as_of, or_(c.completed_at.is_(None), c.completed_at > as_of),
                   not_waived)
    waived = and_(c.waived_at.is_not(None), c.waived_at <= as_of)
    # Done counts as the whole target even if no count was reported (`complete` alone).
    capped = case((done, c.target), (c.progress > c.target, c.target), else_=c.progress)
    return (select(*keys, func.count(), func.count().filter(done_on_time),
                   func.count().filter(waived),
                   func.sum(capped).filter(c.target.is_not(None)), func.sum(c.target),
                   _collect(c.completed_wd - c.due_wd, sqlite=sqlite).filter(done_late),
                   _collect(c.due_wd, sqlite=sqlite).filter(overdue))
            .where(c.plan_id == plan, _in_window(win, sqlite=sqlite))
            .group_by(*keys))


def _in_window(win: Period, *, sqlite: bool) -> Any:
    """Whether an instance's printed deadline (else its due date) falls in the window;
    undated (continuous) instances count in year windows only.

    SQLite gets one range test on a coalesce (the cheapest per row). PostgreSQL gets the
    same test spelled per column: it cannot estimate a range on a coalesce, guessed 0.5%
    of the rows, and so sorted a million rows to disk instead of reading the (plan_id,
    key) index in order or hashing them (1.4 s against 0.6 s).
    """
    c = InstanceRow
    if sqlite:
        undated_day = win.end if win.kind == "year" else dt.date(1, 1, 1)
        day = func.coalesce(c.printed_due, c.due_date, undated_day)
        return day.between(win.start, win.end)  # one evaluation of the coalesce, not two
    printed = c.printed_due.between(win.start, win.end)
    unprinted = and_(c.printed_due.is_(None), c.due_date.between(win.start, win.end))
    if win.kind != "year":
        return or_(printed, unprinted)
    return or_(printed, unprinted, and_(c.printed_due.is_(None), c.due_date.is_(None)))


def window_filter(win: Period, *, sqlite: bool) -> Any:
    """The scope test of a reporting window (see _in_window), for the other figures of a
    report (engine.store.review) to count the same instances."""
    return _in_window(win, sqlite=sqlite)


def _collect(value: Any, *, sqlite: bool) -> Any:
    """A group's values as one column, nulls kept: JSON-ish text on SQLite, an array on
    PostgreSQL."""
    if sqlite:
        return func.group_concat(func.coalesce(value, literal_column("'null'")))
    return func.array_agg(value)
