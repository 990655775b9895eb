"""Instances and their audit log: read an instance, and record an event (a completion,
progress, a waiver, a reopening) as one appended row and the state it folds to.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Select, Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from engine.core.errors import KehoachError
from engine.core.status import Event, EventKind, InstanceState, apply_event
from engine.store.database import utc_now
from engine.store.relative import follow_predecessor
from engine.store.tables import EventRow, InstanceRow, PlanRow, WorkdayRow

# The times an agency may give for its work are checked against the clock by the shells
# (the API and the CLI refuse a time this far or more in the future) and against the
# instance's period here, in `record_event`.
CLOCK_SKEW = dt.timedelta(minutes=5)
# The most progress one event may add (the API's limit too); a total stays below the
# INTEGER column's limit.
MAX_PROGRESS_COUNT = 1_000_000
_MAX_PROGRESS_TOTAL = 2**31 - 1


class NotFoundError(KehoachError, LookupError):
    """An id that names nothing in the store."""

    def __init__(self, kind: str, ident: str) -> None:
        self.kind = kind
        self.ident = ident
        super().__init__(f"no {kind} with id {ident!r}")


class EventValueError(KehoachError, ValueError):
    """A completion or progress value that the instance cannot take.

    `field` is the event's value at fault: "at" (a time before the earliest the instance's
    period accepts) or "count" (progress on an instance without a target, or too much).
    `detail` says why in Vietnamese, for the agency; the shells name their own field for it
    (the API's completed_at/count, the CLI's --at/--count).
    """

    def __init__(self, instance_id: str, field: str, kind: str, detail: str) -> None:
        self.instance_id = instance_id
        self.field = field
        self.kind = kind
        self.detail = detail
        super().__init__(f"instance {instance_id!r}: {detail}")


@dataclass(frozen=True, slots=True)
class InstanceView:
    """An instance as stored: its identity, deadline and current state."""

    id: str
    plan: str
    task: str
    agency: str
    period: str
    printed_due: dt.date | None
    due_date: dt.date | None
    due_at: dt.datetime | None
    target: int | None
    state: InstanceState



# --- instances ---------------------------------------------------------------------------
# Every delivery of the webhook runs these: Core statements on the tables (not the ORM
# classes) on the session's connection, so each skips the ORM's per-execution work.
_INSTANCES = cast(Table, InstanceRow.__table__)
_PLANS = cast(Table, PlanRow.__table__)
_WORKDAYS = cast(Table, WorkdayRow.__table__)
_I = _INSTANCES.c
_LOAD_INSTANCE = (
    select(_I.id, _I.plan_id, _I.task_id, _I.agency_id, _I.period, _I.printed_due, _I.due_date,
           _I.due_at, _I.target, _I.completed_at, _I.progress, _I.waived_at, _I.waived_reason,
           _PLANS.c.timezone, _PLANS.c.spec_hash, _I.completed_on, _I.review,
           _I.original_due_date)
    .join(_PLANS, _PLANS.c.id == _I.plan_id)
    .where(_I.id == bindparam("instance_id")))
_LOAD_FOR_EVENT = _LOAD_INSTANCE.with_for_update(of=_INSTANCES)
_FIND_ID = select(_I.id).where(
    _I.plan_id == bindparam("plan"), _I.task_id == bindparam("task"),
    _I.agency_id == bindparam("agency"), _I.period == bindparam("period"))
_STATE_COLUMNS = ("completed_at", "completed_on", "progress", "waived_at", "waived_reason",
                  "review")
# The working-day ordinal of the completion date is looked up inside the UPDATE.
_WRITE_STATE = (
    update(_INSTANCES).where(_I.id == bindparam("instance_id"))
    .values({**{c: bindparam(c) for c in _STATE_COLUMNS},
             "completed_wd": select(_WORKDAYS.c.ordinal).where(
                 _WORKDAYS.c.plan_id == _I.plan_id,
                 _WORKDAYS.c.day == bindparam("completed_on")).scalar_subquery()}))
_APPEND_EVENT = insert(cast(Table, EventRow.__table__))


def record_event(session: Session, event: Event) -> InstanceView:
    """Apply `event` to its instance and append it to the audit log, in the caller's transaction.

    Every change goes through here (the API, the CLI, plan revisions), so this is where a
    completion or progress is checked against its instance, before anything is written:
    not before 1 January of the year before the period's year (a typo such as 2004 for
    2024 would otherwise count as on time), and progress only toward a target.

    Raises:
        NotFoundError: no such instance.
        EventValueError: a completion or progress time before the earliest accepted, or
            progress on an instance without a target, or too much of it.
        TransitionError: the event does not apply (completing a waived instance...).
    """
    connection = session.connection()
    before, (timezone, spec_hash, was_completed_on) = _loaded(connection, _LOAD_FOR_EVENT,
                                                              event.instance_id)
    zone = ZoneInfo(timezone)
    if event.kind in (EventKind.COMPLETED, EventKind.PROGRESS):
        _check_work(before, event, zone)
    # The stored time in the plan's zone, so that a refusal ("is already completed at ...")
    # gives the local date and time.
    current = before.state
    if current.completed_at is not None:
        current = replace(current, completed_at=current.completed_at.astimezone(zone))
    state = apply_event(current, event, target=before.target)
    completed_on = state.completed_at.astimezone(zone).date() if state.completed_at else None
    connection.execute(_WRITE_STATE, {
        "instance_id": before.id, "completed_at": state.completed_at,
        "completed_on": completed_on, "progress": state.progress,
        "waived_at": state.waived_at, "waived_reason": state.waived_reason,
        "review": state.review})
    connection.execute(_APPEND_EVENT, _event_values(before.plan, event))
    if completed_on != was_completed_on:  # relative deadlines count from this day
        follow_predecessor(connection, plan=before.plan, spec_hash=spec_hash, timezone=timezone,
                           task=before.task, instance_id=before.id)
    return InstanceView(before.id, before.plan, before.task, before.agency, before.period,
                        before.printed_due, before.due_date, before.due_at, before.target, state)


def earliest_work_time(period: str, zone: ZoneInfo) -> dt.datetime:
    """The earliest completion or progress time an instance of `period` accepts.

    1 January, 00:00 local, of the year before the period's year (a period label starts
    with its year: 2024, 2024-Q1, 2024-W07...): work done ahead of a plan counts, but a
    mistyped year does not.
    """
    return dt.datetime(int(period[:4]) - 1, 1, 1, tzinfo=zone)


def local_text(at: dt.datetime, zone: ZoneInfo) -> str:
    """`at` as "HH:MM dd/mm/yyyy" in `zone`, or as given (with its offset) if that overflows."""
    try:
        shown, offset = at.astimezone(zone), ""
    except OverflowError:  # e.g. 01/01/0001 00:00+14:00 is in year 0 in UTC
        shown, offset = at, f" (UTC{at:%z})"
    return (f"{shown.hour:02d}:{shown.minute:02d} {shown.day:02d}/{shown.month:02d}/"
            f"{shown.year:04d}{offset}")


def _check_work(before: InstanceView, event: Event, zone: ZoneInfo) -> None:
    """Refuse a completion or progress the instance cannot take (EventValueError)."""
    earliest = earliest_work_time(before.period, zone)
    if event.at < earliest:
        raise EventValueError(
            before.id, "at", "too-early",
            f"thời điểm {local_text(event.at, zone)} quá sớm: đầu việc kỳ {before.period} "
            f"chỉ nhận thời điểm từ {local_text(earliest, zone)} trở đi (đầu năm trước năm "
            "của kỳ); kiểm tra lại năm đã nhập")
    if event.kind is not EventKind.PROGRESS:
        return
    if before.target is None:
        raise EventValueError(
            before.id, "count", "no-target",
            f"đầu việc {before.id} không có chỉ tiêu số lượng nên không báo tiến độ theo số "
            "lượng được; báo hoàn thành (không kèm số lượng) khi đã làm xong")
    count = event.count or 0  # (not positive: engine.core.status refuses it)
    if count > MAX_PROGRESS_COUNT or before.state.progress + count > _MAX_PROGRESS_TOTAL:
        raise EventValueError(
            before.id, "count", "count-out-of-range",
            f"số lượng {count} không nhận được: mỗi lần báo từ 1 đến "
            f"{MAX_PROGRESS_COUNT:_} (đã ghi nhận {before.state.progress}/{before.target})"
            .replace("_", "."))


def get_instance(session: Session, instance_id: str) -> InstanceView:
    """The instance with this id; NotFoundError if there is none."""
    return _loaded(session.connection(), _LOAD_INSTANCE, instance_id)[0]


def _loaded(connection: Connection, load: Select[Any], instance_id: str,
            ) -> tuple[InstanceView, tuple[str, str, dt.date | None]]:
    """The instance, and its plan's time zone and spec hash and the instance's local
    completion day; NotFoundError if there is none."""
    row = connection.execute(load, {"instance_id": instance_id}).first()
    if row is None:
        raise NotFoundError("instance", instance_id)
    (found, plan, task, agency, period, printed_due, due_date, due_at, target, completed_at,
     progress, waived_at, waived_reason, timezone, spec_hash, completed_on, review,
     original_due_date) = row
    state = InstanceState(completed_at=completed_at, progress=progress, waived_at=waived_at,
                          waived_reason=waived_reason, review=review,
                          extended_due=due_date if original_due_date is not None else None)
    return InstanceView(found, plan, task, agency, period, printed_due, due_date, due_at,
                        target, state), (timezone, spec_hash, completed_on)


def instance_id_of(session: Session, *, plan: str, task: str, agency: str,
                   period: str) -> str:
    """The id of the instance with this natural key; NotFoundError if there is none."""
    found = session.connection().scalar(_FIND_ID, {"plan": plan, "task": task,
                                                   "agency": agency, "period": period})
    if found is None:
        raise NotFoundError("instance", f"{plan}/{task}/{agency}/{period}")
    return str(found)


def events_of(session: Session, instance_id: str) -> list[Event]:
    """The audit log of one instance, oldest first."""
    rows = session.scalars(select(EventRow).where(EventRow.instance_id == instance_id)
                           .order_by(EventRow.id))
    return [_event(r) for r in rows]


def _event_values(plan_id: str, e: Event) -> dict[str, Any]:
    return {"plan_id": plan_id, "instance_id": e.instance_id, "kind": e.kind.value,
            "at": e.at, "recorded_at": utc_now(), "actor": e.actor, "source": e.source,
            "count": e.count, "evidence_url": e.evidence_url, "note": e.note,
            "reason": e.reason, "due_on": e.due_on}


def _event(r: EventRow) -> Event:
    return Event(r.instance_id, EventKind(r.kind), r.at, r.actor, r.source, r.count,
                 r.evidence_url, r.note, r.reason, r.due_on)
