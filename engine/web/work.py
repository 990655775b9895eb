"""Read models of an agency's page: its instances across plans, grouped by deadline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.spec import GROUP_PREFIX
from engine.core.status import Event, Status
from engine.store.events import events_of
from engine.store.queries import InstanceStatus, instance_statuses
from engine.store.tables import AgencyRow, EventRow, InstanceRow, PlanRow, TaskRow
from engine.store.tables_web import EvidenceFileRow

SOON = dt.timedelta(days=7)
GROUPS = (("overdue", "Quá hạn"), ("soon", "Sắp đến hạn (trong 7 ngày)"),
          ("on-track", "Trong hạn"), ("done", "Đã xong"))


@dataclass(frozen=True, slots=True)
class FileInfo:
    id: str
    filename: str
    size: int
    content_type: str
    uploaded_at: dt.datetime


@dataclass
class WorkItem:
    """One instance as its lead agency sees it."""

    line: InstanceStatus
    plan: str
    plan_label: str
    task_title: str
    coordinators: list[str]
    progress: int
    target: int | None
    unit: str | None
    evidence_url: str | None = None
    files: list[FileInfo] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.line.id

    @property
    def open(self) -> bool:
        return self.line.status in (Status.ON_TRACK, Status.OVERDUE)


@dataclass
class AgencyWork:
    agency: str
    name: str
    groups: list[tuple[str, str, list[WorkItem]]]

    @property
    def total(self) -> int:
        return sum(len(items) for _, _, items in self.groups)

    def find(self, instance_id: str) -> WorkItem | None:
        return next((i for _, _, items in self.groups for i in items if i.id == instance_id),
                    None)


def plan_label(number: str, title: str) -> str:
    number = number.strip()
    head = f"Kế hoạch số {number}" if number.strip(" /KH-UBND") else "Kế hoạch (chưa có số)"
    return f"{head}: {title}"


def agency_work(session: Session, *, plans: Iterable[str], agency: str,
                now: dt.datetime) -> AgencyWork:
    """Every instance `agency` leads in `plans`, with its status as of `now`, grouped."""
    plans = list(plans)
    items = [item for plan in plans for item in _plan_items(session, plan, agency, now)]
    _attach_evidence(session, items)
    groups: dict[str, list[WorkItem]] = {key: [] for key, _ in GROUPS}
    for item in items:
        groups[_group_of(item.line, now)].append(item)
    groups["done"].sort(key=lambda i: i.line.completed_at or now, reverse=True)
    name = session.scalar(select(AgencyRow.name).where(
        AgencyRow.plan_id.in_(plans), AgencyRow.id == agency).limit(1)) if plans else None
    return AgencyWork(agency, name or agency,
                      [(key, label, groups[key]) for key, label in GROUPS])


def _group_of(line: InstanceStatus, now: dt.datetime) -> str:
    if line.status is Status.OVERDUE:
        return "overdue"
    if line.status is Status.ON_TRACK:
        return "soon" if line.due is not None and line.due - now <= SOON else "on-track"
    return "done"


def _plan_items(session: Session, plan: str, agency: str, now: dt.datetime) -> list[WorkItem]:
    row = session.get(PlanRow, plan)
    if row is None:
        return []
    label = plan_label(row.number, row.title)
    names = {a.id: a.short or a.name for a in session.scalars(
        select(AgencyRow).where(AgencyRow.plan_id == plan))}
    tasks = {t.id: t for t in session.scalars(select(TaskRow).where(TaskRow.plan_id == plan))}
    counts = {iid: (progress, target) for iid, progress, target in session.execute(
        select(InstanceRow.id, InstanceRow.progress, InstanceRow.target)
        .where(InstanceRow.plan_id == plan, InstanceRow.agency_id == agency))}
    found = []
    for line in instance_statuses(session, plan=plan, as_of=now, agency=agency):
        task = tasks[line.task]
        progress, target = counts.get(line.id, (0, None))
        found.append(WorkItem(line, plan, label, task.title,
                              [names.get(c, c.removeprefix(GROUP_PREFIX))
                               for c in task.coordinators], progress, target, task.target_unit))
    return found


def _attach_evidence(session: Session, items: list[WorkItem]) -> None:
    done = {i.id: i for i in items if not i.open}
    ids = list(done)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for iid, url in session.execute(
                select(EventRow.instance_id, EventRow.evidence_url)
                .where(EventRow.instance_id.in_(chunk), EventRow.kind == "completed")
                .order_by(EventRow.id)):
            done[iid].evidence_url = url
        for f in files_of(session, chunk):
            done[f[0]].files.append(f[1])


def files_of(session: Session, instance_ids: list[str]) -> list[tuple[str, FileInfo]]:
    """(instance id, file) of the evidence files of these instances, oldest first."""
    f = EvidenceFileRow
    return [(r.instance_id, FileInfo(r.id, r.filename, r.size, r.content_type, r.uploaded_at))
            for r in session.execute(select(f.instance_id, f.id, f.filename, f.size,
                                            f.content_type, f.uploaded_at)
                                     .where(f.instance_id.in_(instance_ids))
                                     .order_by(f.uploaded_at, f.id))]


def history(session: Session, instance_id: str) -> list[Event]:
    """The audit events of one instance, oldest first (engine.store.events)."""
    return events_of(session, instance_id)
