"""Completion metrics per plan, agency, task and period, computed in SQL.

Scope of a reporting window: the instances whose printed deadline falls within it
(cumulative windows Q1, H1, 9M and Y start on 1 January; a month window is that month
alone), plus continuous instances (no due) in year windows. Status is taken as of
`as_of` (default: the window's end).
Days late are working days, counted by the plan's own calendar (table `workdays`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, Select, and_, case, cast, func, literal, or_, select
from sqlalchemy.orm import Session

from engine.errors import PeriodError
from engine.periods import Period, parse_period
from engine.status import Status
from engine.tables import InstanceRow, PlanRow, WorkdayRow

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

    One grouped scan of the plan's instances: counts, target sums and a histogram of days
    late per key; medians are read off the histogram.

    Args:
        session: an open session.
        plan: the plan id.
        period: a window label ("2024-Q1", "2024-H1", "2024-9M", "2024", "2024-03").
        by: "plan", "agency", "task" or "period".
        as_of: the moment status is taken at; default the end of the window.
    """
    row = session.get(PlanRow, plan)
    tz = ZoneInfo(row.timezone if row else "Asia/Ho_Chi_Minh")
    win = window(row.year if row else 0, period)
    as_of = as_of or end_of_window(win, tz)
    as_of_wd = workday_ordinal(session, plan=plan, day=as_of.astimezone(tz).date())
    query = _per_key(plan, win, as_of, as_of_wd, GROUPINGS[by],
                     scan=session.get_bind().dialect.name == "sqlite")
    rows = [_metric_row(r) for r in session.connection().execute(query)]
    return sorted(rows, key=_lagging_first)


def _metric_row(r: Any) -> MetricRow:
    key, done_sum, target_sum, worst, low, high, *counts = r
    metric = MetricRow(key, counts={s: int(n or 0) for s, n in zip(Status, counts, strict=True)})
    metric.target_progress = int(done_sum or 0) / int(target_sum) if target_sum else None
    metric.worst_days_late = max(int(worst), 0) if worst is not None else None
    if low is not None and high is not None:
        metric.median_days_late = (max(int(low), 0) + max(int(high), 0)) / 2
    return metric


def workday_ordinal(session: Session, *, plan: str, day: dt.date) -> int | None:
    """The working-day ordinal of `day` in the plan's calendar (None outside its span)."""
    return session.scalar(select(WorkdayRow.ordinal).where(
        WorkdayRow.plan_id == plan, WorkdayRow.day == day))


def _lagging_first(row: MetricRow) -> tuple[int, float, str]:
    rate = row.completion_rate
    return (-row.counts[Status.OVERDUE], rate if rate is not None else 2.0, row.key)


def status_expr(as_of: dt.datetime) -> Any:
    """engine.status.status_at as SQL. Open instances (the bulk of a big plan) are decided
    first, after two NULL checks and one comparison: this CASE runs once per row."""
    c = InstanceRow
    untouched = and_(c.completed_at.is_(None), c.waived_at.is_(None))
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


def _per_key(plan: str, win: Period, as_of: dt.datetime, as_of_wd: int | None, key: Any,
             *, scan: bool) -> Select[Any]:
    """One row per key: counts by status, target sums, worst and median days late.

    One scan groups the window's instances by (key, status, days late); window sums over
    that small result give each key's lateness distribution, and the median is read off
    its cumulative counts, so Python receives one row per key.
    """
    c = InstanceRow
    status = status_expr(as_of)
    raw_late = late_expr(as_of, as_of_wd)
    # Undated (continuous) instances count in year windows only: give them the window's
    # last day, or a day before any window, so one range test decides membership.
    undated_day = win.end if win.kind == "year" else dt.date(1, 1, 1)
    day = func.coalesce(c.printed_due, c.due_date, undated_day)
    # On SQLite a window scan through a (plan_id, ...) index looks rows up one by one in
    # index order, several times slower than reading the table straight through; wrapping
    # the column keeps SQLite off the index (PostgreSQL's planner chooses well by itself).
    of_plan = func.coalesce(c.plan_id, "") == plan if scan else c.plan_id == plan
    capped = case((c.progress > c.target, c.target), else_=c.progress)
    base = (select(key.label("key"), status.label("status"), raw_late.label("raw_late"),
                   func.count().label("n"),
                   func.sum(case((c.target.is_not(None), capped), else_=0)).label("done"),
                   func.sum(func.coalesce(c.target, 0)).label("target"))
            .where(of_plan, day >= win.start, day <= win.end)
            .group_by(key, status, raw_late).subquery())
    # Days late only mean something for late statuses; null them on the grouped rows,
    # not per instance, so the status CASE runs once per instance.
    is_late = base.c.status.in_([Status.DONE_LATE.value, Status.OVERDUE.value])
    grouped = select(base.c.key, base.c.status, base.c.n, base.c.done, base.c.target,
                     case((is_late, base.c.raw_late), else_=None).label("late")).subquery()
    late_n = case((grouped.c.late.is_not(None), grouped.c.n), else_=None)
    # PostgreSQL sums bigints into numeric: cast back so `//` below is integer division.
    cumulative = (select(grouped, cast(func.sum(late_n).over(
        partition_by=grouped.c.key, order_by=grouped.c.late, rows=(None, 0)), Integer).label("cum"),
        cast(func.sum(late_n).over(partition_by=grouped.c.key), Integer).label("tot")).subquery())
    w = cumulative.c
    low = func.min(case((and_(w.late.is_not(None), w.cum >= (w.tot + 1) // 2), w.late)))
    high = func.min(case((and_(w.late.is_not(None), w.cum >= w.tot // 2 + 1), w.late)))
    counts = [func.sum(case((w.status == s.value, w.n), else_=0)) for s in Status]
    return (select(w.key, func.sum(w.done), func.sum(w.target), func.max(w.late), low, high,
                   *counts).group_by(w.key))
