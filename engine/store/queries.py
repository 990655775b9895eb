"""Read models over the store: instance status listings and the audit-log check."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, aliased

from engine.core.status import REVIEW_SUBMITTED, Status, fold_events
from engine.store.events import NotFoundError, events_of
from engine.store.metrics import late_expr, status_expr, workday_ordinal
from engine.store.review import review_policy
from engine.store.tables import EdgeRow, EventRow, InstanceRow, PlanRow


@dataclass(frozen=True, slots=True)
class InstanceStatus:
    """One line of `kehoach status`: an instance and its status as of a moment."""

    id: str
    task: str
    agency: str
    period: str
    due: dt.datetime | None
    printed_due: dt.date | None
    status: Status
    completed_at: dt.datetime | None
    days_late: int | None
    progress: float | None
    blocked: bool
    # Completion review (submitted / accepted / returned, else None) and, for an instance
    # whose due an approved extension moved, the due as compiled.
    review: str | None = None
    original_due: dt.datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "task": self.task, "agency": self.agency, "period": self.period,
                "due": self.due.isoformat() if self.due else None, "status": self.status.value,
                "completed_at": self.completed_at.isoformat() if self.completed_at else None,
                "days_late": self.days_late, "progress": self.progress, "blocked": self.blocked,
                "review": self.review,
                "original_due": self.original_due.isoformat() if self.original_due else None}


def require_plan(session: Session, plan: str) -> PlanRow:
    row = session.get(PlanRow, plan)
    if row is None:
        raise NotFoundError("plan", plan)
    return row


def instance_statuses(session: Session, *, plan: str, as_of: dt.datetime,
                      agency: str | None = None, status: Status | None = None,
                      period: str | None = None, task: str | None = None,
                      ) -> Iterator[InstanceStatus]:
    """Every instance of `plan` (optionally filtered) with its status as of `as_of`."""
    tz = ZoneInfo(require_plan(session, plan).timezone)
    reviewed = review_policy(session, plan).completions_reviewed
    c = InstanceRow
    st = status_expr(as_of)
    as_of_wd = workday_ordinal(session, plan=plan, day=as_of.astimezone(tz).date())
    pre = aliased(InstanceRow)
    blocked = exists().where(EdgeRow.dst == c.id, pre.id == EdgeRow.src,
                             pre.waived_at.is_(None),
                             (pre.completed_at.is_(None)) | (pre.completed_at > as_of))
    query = (select(c.id, c.task_id, c.agency_id, c.period, c.due_at, c.printed_due, st,
                    c.completed_at, late_expr(as_of, as_of_wd), c.progress, c.target, blocked,
                    c.review, c.original_due_at)
             .where(c.plan_id == plan)
             .order_by(c.due_date.asc().nulls_last(), c.task_id, c.agency_id, c.period))
    for column, value in ((c.agency_id, agency), (c.period, period), (c.task_id, task)):
        if value is not None:
            query = query.where(column == value)
    if status is not None:
        query = query.where(st == status.value)
    for row in session.execute(query).yield_per(5000):
        yield _status_row(row, tz, reviewed=reviewed)


def _status_row(row: Any, tz: ZoneInfo, *, reviewed: bool) -> InstanceStatus:
    (iid, task, agency, period, due, printed, st, completed, late, progress, target, blocked,
     review, original_due) = row
    due = due.astimezone(tz) if due else None
    completed = completed.astimezone(tz) if completed else None
    status = Status(st)
    late_days = max(int(late), 0) if late is not None and status in (
        Status.DONE_LATE, Status.OVERDUE) else (0 if due else None)
    done = status in (Status.DONE_ON_TIME, Status.DONE_LATE)
    # Done is the whole target even if no count was reported (`complete` alone).
    ratio = (1.0 if done else min(progress / target, 1.0)) if target else None
    open_ = status in (Status.ON_TRACK, Status.OVERDUE)
    if review is None and done and reviewed:
        review = REVIEW_SUBMITTED
    return InstanceStatus(iid, task, agency, period, due, printed, status,
                          completed if status in (Status.DONE_LATE, Status.DONE_ON_TIME) else None,
                          late_days, ratio, bool(blocked) and open_, review,
                          original_due.astimezone(tz) if original_due else None)


def count_by_status(rows: list[InstanceStatus]) -> dict[str, int]:
    counts = Counter(r.status for r in rows)
    return {s.value: counts.get(s, 0) for s in Status}


@dataclass(frozen=True, slots=True)
class Discrepancy:
    instance_id: str
    stored: str
    rebuilt: str


def verify_projection(session: Session, *, plan: str | None = None) -> list[Discrepancy]:
    """Rebuild the state of every instance from its events and list any difference.

    Instances without events must hold the initial state.
    """
    c = InstanceRow
    with_events = select(EventRow.instance_id).distinct()
    if plan:
        with_events = with_events.where(EventRow.plan_id == plan)
    found: list[Discrepancy] = []
    for (iid,) in session.execute(with_events):
        row = session.get(c, iid)
        if row is None:
            found.append(Discrepancy(iid, "missing", "has events"))
            continue
        rebuilt = fold_events(events_of(session, iid), target=row.target)
        extended = row.due_date if row.original_due_date is not None else None
        stored = (row.completed_at, row.progress, row.waived_at, row.waived_reason, row.review,
                  extended)
        wanted = (rebuilt.completed_at, rebuilt.progress, rebuilt.waived_at,
                  rebuilt.waived_reason, rebuilt.review, rebuilt.extended_due)
        if stored != wanted:
            found.append(Discrepancy(iid, repr(stored), repr(wanted)))
    dirty = select(c.id).where(
        ~exists().where(EventRow.instance_id == c.id),
        (c.completed_at.is_not(None)) | (c.progress != 0) | (c.waived_at.is_not(None))
        | (c.review.is_not(None)) | (c.original_due_date.is_not(None)))
    if plan:
        dirty = dirty.where(c.plan_id == plan)
    found += [Discrepancy(iid, "changed", "no events") for (iid,) in session.execute(dirty)]
    return found
