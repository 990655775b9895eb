"""Completion metrics per plan, agency, task and period, computed in SQL.

Scope of a reporting window: the instances whose printed deadline falls within it
(cumulative windows Q1, H1, 9M and Y start on 1 January; a month window is that month
alone), plus continuous instances (no due) in year windows. Status is taken as of
`as_of` (default: the window's end).
Days late are working days, counted by the plan's own calendar (table `workdays`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, case, func, literal, or_, select
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
    rows: dict[str, MetricRow] = {}
    sums: dict[str, list[int]] = {}
    late_counts: dict[str, Counter[int]] = {}
    for key, status, late, n, done, target in session.execute(
            _grouped(plan, win, as_of, as_of_wd, GROUPINGS[by])):
        metric = rows.setdefault(key, MetricRow(key))
        metric.counts[Status(status)] += n
        acc = sums.setdefault(key, [0, 0])
        acc[0], acc[1] = acc[0] + int(done or 0), acc[1] + int(target or 0)
        if late is not None and status in (Status.DONE_LATE.value, Status.OVERDUE.value):
            late_counts.setdefault(key, Counter())[max(int(late), 0)] += n
    for key, metric in rows.items():
        done, target = sums[key]
        metric.target_progress = done / target if target else None
        if key in late_counts:
            metric.median_days_late = _median(late_counts[key])
            metric.worst_days_late = max(late_counts[key])
    return sorted(rows.values(), key=_lagging_first)


def workday_ordinal(session: Session, *, plan: str, day: dt.date) -> int | None:
    """The working-day ordinal of `day` in the plan's calendar (None outside its span)."""
    return session.scalar(select(WorkdayRow.ordinal).where(
        WorkdayRow.plan_id == plan, WorkdayRow.day == day))


def _median(histogram: Counter[int]) -> float:
    total = sum(histogram.values())
    middle = ((total - 1) // 2, total // 2)
    seen, picked = 0, []
    for value in sorted(histogram):
        count = histogram[value]
        picked += [value for index in middle if seen <= index < seen + count]
        seen += count
    return sum(picked) / 2


def _lagging_first(row: MetricRow) -> tuple[int, float, str]:
    rate = row.completion_rate
    return (-row.counts[Status.OVERDUE], rate if rate is not None else 2.0, row.key)


def status_expr(as_of: dt.datetime) -> Any:
    c = InstanceRow
    done = and_(c.completed_at.is_not(None), c.completed_at <= as_of)
    return case(
        (and_(c.waived_at.is_not(None), c.waived_at <= as_of), literal(Status.WAIVED.value)),
        (and_(done, or_(c.due_at.is_(None), c.completed_at <= c.due_at)),
         literal(Status.DONE_ON_TIME.value)),
        (done, literal(Status.DONE_LATE.value)),
        (or_(c.due_at.is_(None), c.due_at >= as_of), literal(Status.ON_TRACK.value)),
        else_=literal(Status.OVERDUE.value))


def late_expr(as_of: dt.datetime, as_of_wd: int | None) -> Any:
    """Working days late: to the completion if done by `as_of`, else to `as_of`."""
    c = InstanceRow
    done = and_(c.completed_at.is_not(None), c.completed_at <= as_of)
    return case((done, c.completed_wd - c.due_wd), else_=literal(as_of_wd) - c.due_wd)


def end_of_window(win: Period, tz: ZoneInfo) -> dt.datetime:
    """The last second of a window's last day, in the plan's time zone."""
    return dt.datetime.combine(win.end, dt.time(23, 59, 59), tz)


def _grouped(plan: str, win: Period, as_of: dt.datetime, as_of_wd: int | None,
             key: Any) -> Select[Any]:
    c = InstanceRow
    status = status_expr(as_of).label("status")
    late = late_expr(as_of, as_of_wd).label("late")
    # Membership goes by the printed date: a Q1 report due 31/03 (a Sunday) belongs to Q1
    # even though the calendar moves its deadline to 01/04.
    day = func.coalesce(c.printed_due, c.due_date)
    in_window = and_(day >= win.start, day <= win.end)
    undated = and_(c.due_date.is_(None), literal(win.kind == "year"))
    capped = case((c.progress > c.target, c.target), else_=c.progress)
    scoped = (select(key.label("key"), status, late,
                     case((c.target.is_not(None), capped), else_=0).label("done"),
                     func.coalesce(c.target, 0).label("target"))
              .where(c.plan_id == plan, or_(in_window, undated)).subquery())
    return (select(scoped.c.key, scoped.c.status, scoped.c.late, func.count(),
                   func.sum(scoped.c.done), func.sum(scoped.c.target))
            .group_by(scoped.c.key, scoped.c.status, scoped.c.late))
