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

from sqlalchemy import Select, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

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
    scoped = _scoped(plan, win, as_of, GROUPINGS[by], tz).subquery()
    rows = _counts(session, scoped)
    _add_lateness(session, scoped, rows)
    return sorted(rows.values(), key=_lagging_first)


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


def end_of_window(win: Period, tz: ZoneInfo) -> dt.datetime:
    """The last second of a window's last day, in the plan's time zone."""
    return dt.datetime.combine(win.end, dt.time(23, 59, 59), tz)


def _scoped(plan: str, win: Period, as_of: dt.datetime, key: Any, tz: ZoneInfo) -> Select[Any]:
    c = InstanceRow
    due_day, end_day = aliased(WorkdayRow), aliased(WorkdayRow)
    status = status_expr(as_of).label("status")
    as_of_day = as_of.astimezone(tz).date()
    late_until = case((c.completed_on.is_not(None) & (c.completed_at <= as_of), c.completed_on),
                      else_=literal(as_of_day))
    # Membership goes by the printed date: a Q1 report due 31/03 (a Sunday) belongs to Q1
    # even though the calendar moves its deadline to 01/04.
    day = func.coalesce(c.printed_due, c.due_date)
    in_window = and_(day >= win.start, day <= win.end)
    undated = and_(c.due_date.is_(None), literal(win.kind in ("year",)))
    return (select(key.label("key"), status, c.progress, c.target,
                   (end_day.ordinal - due_day.ordinal).label("late"))
            .select_from(c)
            .join(due_day, and_(due_day.plan_id == c.plan_id, due_day.day == c.due_date),
                  isouter=True)
            .join(end_day, and_(end_day.plan_id == c.plan_id, end_day.day == late_until),
                  isouter=True)
            .where(c.plan_id == plan, or_(in_window, undated)))


def _counts(session: Session, scoped: Any) -> dict[str, MetricRow]:
    rows: dict[str, MetricRow] = {}
    capped = case((scoped.c.progress > scoped.c.target, scoped.c.target),
                  else_=scoped.c.progress)  # progress past the target counts as the target
    query = select(scoped.c.key, scoped.c.status, func.count(),
                   func.sum(case((scoped.c.target.is_not(None), capped), else_=0)),
                   func.sum(func.coalesce(scoped.c.target, 0))).group_by(
        scoped.c.key, scoped.c.status)
    totals: dict[str, list[int]] = {}
    for key, status, n, done, target in session.execute(query):
        row = rows.setdefault(key, MetricRow(key))
        row.counts[Status(status)] = n
        acc = totals.setdefault(key, [0, 0])
        acc[0] += int(done or 0)
        acc[1] += int(target or 0)
    for key, (done, target) in totals.items():
        rows[key].target_progress = done / target if target else None
    return rows


def _add_lateness(session: Session, scoped: Any, rows: dict[str, MetricRow]) -> None:
    late = scoped.c.late
    is_late = scoped.c.status.in_([Status.DONE_LATE.value, Status.OVERDUE.value])
    ranked = (select(scoped.c.key, late,
                     func.row_number().over(partition_by=scoped.c.key, order_by=late).label("rn"),
                     func.count().over(partition_by=scoped.c.key).label("n"))
              .where(is_late, late.is_not(None)).subquery())
    middle = select(ranked.c.key, func.avg(ranked.c.late), func.max(ranked.c.n)).where(
        ranked.c.rn.in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2])).group_by(ranked.c.key)
    for key, median, _ in session.execute(middle):
        rows[key].median_days_late = float(median)
    worst = select(scoped.c.key, func.max(late)).where(is_late).group_by(scoped.c.key)
    for key, value in session.execute(worst):
        rows[key].worst_days_late = int(value) if value is not None else None
