"""Register a compiled plan in the store, and re-register revisions keeping recorded state."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice, repeat
from operator import attrgetter
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Index, Table, delete, func, insert, select, text, update
from sqlalchemy.orm import Session

from engine.core.compile import CompiledPlan, Instance, collector_paused
from engine.core.errors import SpecError
from engine.core.spec import stored_directory_id
from engine.core.status import REMOVED_PREFIX, Event, EventKind
from engine.store.bulk import bulk_insert
from engine.store.events import record_event
from engine.store.relative import reschedule_plan
from engine.store.tables import (
    FIGURE_INDEXES,
    AgencyRow,
    EdgeRow,
    InstanceRow,
    PlanRow,
    RevisionRow,
    TaskRow,
    WorkdayRow,
)

CHUNK = 20_000
T = TypeVar("T")
Row = tuple[Any, ...]
Progress = Callable[[int], None]


@dataclass
class RegistrationDiff:
    """What a registration changed: instance ids added, removed (waived), due moved.

    `due_changed` holds (instance id, old due, new due), both ISO 8601 in the plan's time zone.
    """

    plan: str
    revision: int
    unchanged: bool = False
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    due_changed: list[tuple[str, str | None, str | None]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {"revision": self.revision, "added": len(self.added),
                "removed": len(self.removed), "restored": len(self.restored),
                "due_changed": len(self.due_changed)}


def spec_hash(spec_text: str, directory_text: str) -> str:
    """A fingerprint of what was registered: the same texts give the same hash."""
    return hashlib.sha256(f"{spec_text}\0{directory_text}".encode()).hexdigest()


def register_plan(session: Session, plan: CompiledPlan, *, spec_text: str, directory_text: str,
                  now: dt.datetime, actor: str = "operator",
                  progress: Progress | None = None) -> RegistrationDiff:
    """Store `plan` (first time) or bring the stored plan to it (revision), in `session`.

    Recorded completions, progress and waivers survive a revision. Instances the revision
    drops are waived with the reason "removed in revision N"; instances it brings back are
    restored. Registering the same texts again changes nothing.

    Raises:
        SpecError: another plan id was registered under the same number and year, or the
            plan id is registered for another year or agency directory.
    """
    with collector_paused():
        return _register(session, plan, spec_text=spec_text, directory_text=directory_text,
                         now=now, actor=actor, progress=progress)


def _register(session: Session, plan: CompiledPlan, *, spec_text: str, directory_text: str,
              now: dt.datetime, actor: str, progress: Progress | None) -> RegistrationDiff:
    header = plan.spec.plan
    fingerprint = spec_hash(spec_text, directory_text)
    existing = session.get(PlanRow, header.id, with_for_update=True)
    _check_number(session, plan)
    if existing is not None and existing.spec_hash == fingerprint:
        return RegistrationDiff(header.id, existing.revision, unchanged=True)
    if existing is not None:
        _check_same_plan(session, existing, plan)
    revision = existing.revision + 1 if existing else 1
    if existing is None:
        session.add(PlanRow(id=header.id, number=header.number, title=header.title,
                            year=header.year, issuer=header.issuer, monitor=header.monitor,
                            timezone=header.timezone, revision=1, spec_hash=fingerprint,
                            registered_at=now))
        session.flush()
        diff = _first_registration(session, plan, progress)
    else:
        _update_header(existing, plan, revision, fingerprint, now)
        diff = _revise(session, plan, revision, now=now, actor=actor, progress=progress)
    diff.revision = revision
    _replace_reference_rows(session, plan, revision)
    if existing is not None:
        _follow_completed_predecessors(session, plan, diff, fingerprint)
    _refresh_statistics(session)
    session.add(RevisionRow(plan_id=header.id, revision=revision, spec_hash=fingerprint,
                            spec_yaml=spec_text, directory_yaml=directory_text,
                            registered_at=now, actor=actor, diff=diff.summary()))
    return diff


def _check_number(session: Session, plan: CompiledPlan) -> None:
    header = plan.spec.plan
    if not header.number.strip(" /KH-UBND"):
        return  # drafts print no number ("…/KH-UBND"): nothing to collide with
    other = session.scalars(select(PlanRow.id).where(
        PlanRow.number == header.number, PlanRow.year == header.year,
        PlanRow.id != header.id)).first()
    if other is not None:
        raise SpecError(f"plan number {header.number!r} of {header.year} is already registered "
                        f"as plan {other!r}; a revision must keep the plan id {other!r}",
                        field="plan.id")


def _check_same_plan(session: Session, row: PlanRow, plan: CompiledPlan) -> None:
    # A revision keeps recorded state by instance id; another year or city has other
    # instances, so "revising" to it would waive every recorded one. The API also takes a
    # plan's directory to be fixed once registered.
    header, directory = plan.spec.plan, plan.directory.directory.id
    stored_text = session.scalar(select(RevisionRow.directory_yaml).where(
        RevisionRow.plan_id == row.id, RevisionRow.revision == row.revision))
    old_directory = stored_directory_id(stored_text or "") or directory
    if row.number.strip() and header.number.strip() and row.number != header.number:
        # A draft ("") may get its number on issue; one issued plan never becomes another.
        raise SpecError(
            f"plan {row.id!r} is registered as Kế hoạch số {row.number}; this spec is "
            f"number {header.number}. A revision cannot change an issued plan's number: "
            f"give this plan a new plan id", field="plan.number")
    if row.year == header.year and old_directory == directory:
        return
    changed = "year" if row.year != header.year else "directory"
    raise SpecError(
        f"plan {row.id!r} is registered for {row.year} with directory {old_directory!r}; "
        f"this spec is for {header.year} with directory {directory!r}. A revision cannot "
        f"change the plan's year or directory: give this plan a new plan id",
        field=f"plan.{changed}")


def _update_header(row: PlanRow, plan: CompiledPlan, revision: int, fingerprint: str,
                   now: dt.datetime) -> None:
    header = plan.spec.plan
    row.number, row.title, row.year = header.number, header.title, header.year
    row.issuer, row.monitor, row.timezone = header.issuer, header.monitor, header.timezone
    row.revision, row.spec_hash, row.registered_at = revision, fingerprint, now


def _first_registration(session: Session, plan: CompiledPlan,
                        progress: Progress | None) -> RegistrationDiff:
    plan_id = plan.spec.plan.id
    rebuilt = _figure_indexes_to_rebuild(session, len(plan.instances))
    for index in rebuilt:
        index.drop(session.connection())
    _insert_instances(session, plan, plan.instances, progress)
    for index in rebuilt:
        index.create(session.connection())
    _insert_edges(session, plan_id, plan.graph.edges())
    return RegistrationDiff(plan_id, 1, added=[i.id for i in plan.instances])


def _figure_indexes_to_rebuild(session: Session, adding: int) -> list[Index]:
    """The rollups' covering indexes (engine.store.tables.FIGURE_COLUMNS), to build after a
    bulk load on SQLite that at least doubles the instances. Grown row by row, their pages
    are scattered through the file: a national plan's first dashboard read from disk took
    5.7-6.0 s, against 1.9-2.0 s built after the load (bench/README.md). Not on PostgreSQL,
    where a dropped index would lock readers out for the whole registration."""
    if session.get_bind().dialect.name != "sqlite":
        return []
    stored = session.scalar(select(func.count()).select_from(InstanceRow)) or 0
    if adding < stored:
        return []
    table = InstanceRow.__table__
    assert isinstance(table, Table)
    return [i for i in table.indexes if i.name in FIGURE_INDEXES]


def _revise(session: Session, plan: CompiledPlan, revision: int, *, now: dt.datetime,
            actor: str, progress: Progress | None) -> RegistrationDiff:
    plan_id = plan.spec.plan.id
    stored = {r.id: r for r in session.execute(select(
        InstanceRow.id, InstanceRow.due_at, InstanceRow.waived_reason,
        InstanceRow.original_due_at).where(InstanceRow.plan_id == plan_id))}
    compiled = {i.id: i for i in plan.instances}
    ordinals = workday_ordinals(plan)
    zone = ZoneInfo(plan.spec.plan.timezone)
    diff = RegistrationDiff(plan_id, revision)
    diff.added = [i for i in compiled if i not in stored]
    _insert_instances(session, plan, [compiled[i] for i in diff.added], progress)
    for iid, row in stored.items():
        new = compiled.get(iid)
        was_removed = (row.waived_reason or "").startswith(REMOVED_PREFIX)
        if new is None and row.waived_reason is None:
            diff.removed.append(iid)
            _waive(session, iid, f"{REMOVED_PREFIX} {revision}", now=now, actor=actor)
        elif new is not None and was_removed:
            diff.restored.append(iid)
            record_event(session, Event(iid, EventKind.RESTORED, now, actor, "register",
                                        reason=f"restored in revision {revision}"))
        compiled_due = row.original_due_at or row.due_at  # an approved extension stays
        if new is not None and new.due != compiled_due:
            diff.due_changed.append((iid, _local_iso(compiled_due, zone),
                                     _local_iso(new.due, zone)))
            session.execute(update(InstanceRow).where(InstanceRow.id == iid).values(
                **_due_columns(new, ordinals, extended=row.original_due_at is not None)))
    session.execute(delete(EdgeRow).where(EdgeRow.plan_id == plan_id))
    _insert_edges(session, plan_id, plan.graph.edges())
    return diff


def _due_columns(new: Instance, ordinals: dict[dt.date, int], *,
                 extended: bool) -> dict[str, Any]:
    """The columns a revised deadline writes: the due in force, or for an instance with an
    approved extension (engine.store.review) the compiled due it keeps beside it."""
    if extended:
        return {"original_due_at": new.due, "original_due_date": new.due_date,
                "printed_due": new.printed_due}
    return {"due_at": new.due, "due_date": new.due_date, "printed_due": new.printed_due,
            "due_wd": ordinals.get(new.due_date) if new.due_date else None}


def _follow_completed_predecessors(session: Session, plan: CompiledPlan, diff: RegistrationDiff,
                                   fingerprint: str) -> None:
    """Date the relative instances from their predecessors' completions again (the compiler
    gave provisional dates), and show in the diff only the dates that really moved."""
    header = plan.spec.plan
    session.flush()
    redated = reschedule_plan(session.connection(), plan=header.id, spec_hash=fingerprint,
                              timezone=header.timezone)
    if not redated:
        return
    zone = ZoneInfo(header.timezone)
    final = dict(session.execute(select(InstanceRow.id, InstanceRow.due_at).where(
        InstanceRow.id.in_(redated))).tuples().all())
    entries = {iid: (old, new) for iid, old, new in diff.due_changed}
    compiled = {i.id: i.due for i in plan.instances if i.id in final}
    for iid, due_at in final.items():
        # Before this revision the instance was due at the entry's old time, or else at the
        # compiled time (unchanged by the revision, dated as if nothing was done).
        old = entries[iid][0] if iid in entries else _local_iso(compiled[iid], zone)
        now_due = _local_iso(due_at, zone)
        if old == now_due:
            entries.pop(iid, None)
        else:
            entries[iid] = (old, now_due)
    diff.due_changed = [(iid, old, new) for iid, (old, new) in entries.items()]


def _waive(session: Session, iid: str, reason: str, *, now: dt.datetime, actor: str) -> None:
    record_event(session, Event(iid, EventKind.WAIVED, now, actor, "register", reason=reason))


def _local_iso(value: dt.datetime | None, zone: ZoneInfo) -> str | None:
    # The store gives UTC and compile the plan's zone: print both alike to compare them.
    return value.astimezone(zone).isoformat() if value else None


INSTANCE_COLUMNS = ("id", "plan_id", "task_id", "agency_id", "period", "printed_due",
                    "due_date", "due_at", "target", "due_wd", "progress")


def _insert_instances(session: Session, plan: CompiledPlan, instances: Sequence[Instance],
                      progress: Progress | None) -> None:
    plan_id = plan.spec.plan.id
    ordinals = workday_ordinals(plan)
    for chunk in _chunks(instances):
        bulk_insert(session, InstanceRow.__table__, INSTANCE_COLUMNS,
                    _instance_rows(plan_id, chunk, ordinals))
        if progress:
            progress(len(chunk))


_INSTANCE_FIELDS = attrgetter("id", "task", "agency", "period", "printed_due", "due_date",
                              "due", "target")


def _instance_rows(plan_id: str, instances: Sequence[Instance],
                   ordinals: dict[dt.date, int]) -> Iterator[Row]:
    """Rows in INSTANCE_COLUMNS order, built column by column in C (zip, map, attrgetter):
    a Python tuple per instance cost seconds on a national plan."""
    ids, tasks, agencies, periods, printed, days, dues, targets = zip(
        *map(_INSTANCE_FIELDS, instances), strict=True)
    return zip(ids, repeat(plan_id), tasks, agencies, periods, printed, days, dues, targets,
               map(ordinals.get, days), repeat(0))


def _insert_edges(session: Session, plan_id: str, edges: Iterable[tuple[str, str]]) -> None:
    for chunk in _chunks(edges):
        sources, targets = zip(*chunk, strict=True)
        bulk_insert(session, EdgeRow.__table__, ("src", "dst", "plan_id"),
                    zip(sources, targets, repeat(plan_id)))


def _chunks(rows: Iterable[T]) -> Iterator[list[T]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, CHUNK)):
        yield chunk


def _replace_reference_rows(session: Session, plan: CompiledPlan, revision: int) -> None:
    plan_id = plan.spec.plan.id
    for table in (AgencyRow, TaskRow, WorkdayRow):
        session.execute(delete(table).where(table.plan_id == plan_id))
    session.execute(insert(AgencyRow), [
        {"plan_id": plan_id, "id": a.id, "name": a.name, "short": a.short, "kind": a.kind,
         "emails": list(a.emails)} for a in plan.directory.agencies])
    session.execute(insert(TaskRow), [
        {"plan_id": plan_id, "id": t.id, "position": n, "title": t.title, "due_phrase": t.due,
         "lead": list(t.lead), "coordinators": list(t.coordinators),
         "target_count": t.target.count if t.target else None,
         "target_unit": t.target.unit if t.target else None, "removed_in": None}
        for n, t in enumerate(plan.spec.tasks, 1)])
    session.execute(insert(WorkdayRow), list(_workday_rows(plan)))


def _refresh_statistics(session: Session) -> None:
    # After a bulk load the planner has no statistics and walks an index row by row for
    # window scans that cover most of the table; ANALYZE lets it choose a full scan.
    session.execute(text("ANALYZE instances"))
    session.execute(text("ANALYZE edges"))


def workday_ordinals(plan: CompiledPlan) -> dict[dt.date, int]:
    """Working-day ordinal of every day from 1 January of the year before the plan's to the
    end of three years after, so late completions well into later years still count."""
    year = plan.spec.plan.year
    day, end = dt.date(year - 1, 1, 1), dt.date(year + 3, 12, 31)
    ordinals: dict[dt.date, int] = {}
    ordinal = 0
    while day <= end:
        ordinal += plan.calendar.is_working_day(day)
        ordinals[day] = ordinal
        day += dt.timedelta(days=1)
    return ordinals


def _workday_rows(plan: CompiledPlan) -> Iterator[dict[str, Any]]:
    plan_id = plan.spec.plan.id
    for day, ordinal in workday_ordinals(plan).items():
        yield {"plan_id": plan_id, "day": day, "ordinal": ordinal}
