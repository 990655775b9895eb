"""The review queue as the pages show it: filtered, counted and paged in SQL.

Pending extension requests come first (a lead waits on them, and their deadline runs),
oldest first; then completions awaiting review, by plan and due date. A page is one
LIMIT/OFFSET slice of that sequence, read by at most one query of each kind.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from engine.core.review import APPROVED, REQUESTED, ExtensionAsk, ReviewError, extension_blocker
from engine.core.status import InstanceState
from engine.store.review import (
    ExtensionRequest,
    PendingReview,
    _calendar,
    _request,
    _zone,
    review_policy,
)
from engine.store.tables import AgencyRow, EventRow, InstanceRow, PlanRow
from engine.store.tables_review import ExtensionRow
from engine.store.tables_web import EvidenceFileRow

EXTENSIONS, COMPLETIONS = "extensions", "completions"


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """What the queue is narrowed to: one kind (else both), one plan, one lead agency."""

    kind: str | None = None
    plan: str | None = None
    agency: str | None = None


@dataclass(frozen=True, slots=True)
class QueueScope:
    """The plans a decider sees: whose completions it reviews, whose extensions it grants."""

    review_plans: tuple[str, ...]
    extension_plans: tuple[str, ...]
    reviewers: dict[str, str]

    @property
    def plans(self) -> tuple[str, ...]:
        return tuple(sorted({*self.review_plans, *self.extension_plans}))


@dataclass(frozen=True, slots=True)
class QueueCounts:
    """How many of each kind await a decision under the plan/agency filters."""

    extensions: int
    reviews: int

    def total(self, kind: str | None) -> int:
        return {EXTENSIONS: self.extensions, COMPLETIONS: self.reviews}.get(
            kind or "", self.extensions + self.reviews)


@dataclass(frozen=True, slots=True)
class QueuePage:
    """One page of the queue: its extension requests, then its completions."""

    extensions: list[ExtensionRequest]
    reviews: list[PendingReview]


def queue_scope(session: Session, *, decider: str | None,
                plans: Collection[str] | None = None) -> QueueScope:
    """The plans (of `plans`, else all) whose queue `decider` sees; None: an operator."""
    ids = [p for p in session.scalars(select(PlanRow.id).order_by(PlanRow.id))
           if plans is None or p in plans]
    policies = {p: review_policy(session, p) for p in ids}
    reviewed = tuple(p for p, policy in policies.items() if policy.completions_reviewed
                     and (decider is None or policy.reviewer == decider))
    granted = tuple(p for p, policy in policies.items()
                    if decider is None or decider in policy.approvers)
    return QueueScope(reviewed, granted, {p: policies[p].reviewer for p in reviewed})


def queue_agencies(session: Session, scope: QueueScope) -> dict[str, str]:
    """The agencies of the scope's plans, id -> short name (else name), for the filter."""
    rows = session.execute(select(AgencyRow.id, AgencyRow.short, AgencyRow.name)
                           .where(AgencyRow.plan_id.in_(scope.plans))
                           .order_by(AgencyRow.plan_id, AgencyRow.id))
    found: dict[str, str] = {}
    for agency, short, name in rows:
        found.setdefault(agency, short or name)
    return found


def count_queue(session: Session, scope: QueueScope, *, filters: QueueFilter) -> QueueCounts:
    """The counts of both kinds under `filters`' plan and agency (whatever its kind)."""
    found = [session.scalar(select(func.count()).select_from(q.order_by(None).subquery()))
             or 0 for q in (_extension_query(scope, filters), _review_query(scope, filters))]
    return QueueCounts(found[0], found[1])


def read_queue(session: Session, scope: QueueScope, *, filters: QueueFilter,
               counts: QueueCounts, offset: int, limit: int) -> QueuePage:
    """The slice [offset, offset + limit) of the filtered queue, extensions first."""
    ext_total = counts.extensions if filters.kind != COMPLETIONS else 0
    first = [] if filters.kind == COMPLETIONS or offset >= ext_total else [
        _request(r) for r in session.scalars(
            _extension_query(scope, filters).offset(offset).limit(limit))]
    room, skip = limit - len(first), max(0, offset - ext_total)
    second = [] if filters.kind == EXTENSIONS or room <= 0 else [
        _pending(row, scope) for row in session.execute(
            _review_query(scope, filters).offset(skip).limit(room))]
    return QueuePage(first, second)


def _extension_query(scope: QueueScope, filters: QueueFilter) -> Select[Any]:
    e = ExtensionRow
    query = (select(e).where(e.state == REQUESTED, e.plan_id.in_(scope.extension_plans))
             .order_by(e.id))
    return _narrow(query, e.plan_id, e.agency_id, filters)


def _review_query(scope: QueueScope, filters: QueueFilter) -> Select[Any]:
    c = InstanceRow
    evidence = (select(EventRow.evidence_url).where(EventRow.instance_id == c.id,
                                                    EventRow.kind.in_(("completed", "progress")))
                .order_by(EventRow.id.desc()).limit(1).scalar_subquery())
    query = (select(c.id, c.plan_id, c.task_id, c.agency_id, c.period, c.due_date,
                    c.completed_at, evidence)
             .where(c.plan_id.in_(scope.review_plans), c.completed_at.is_not(None),
                    c.review.is_(None), c.waived_at.is_(None))
             .order_by(c.plan_id, c.due_date, c.task_id, c.agency_id, c.period))
    return _narrow(query, c.plan_id, c.agency_id, filters)


def _narrow(query: Select[Any], plan: Any, agency: Any, filters: QueueFilter) -> Select[Any]:
    if filters.plan is not None:
        query = query.where(plan == filters.plan)
    if filters.agency is not None:
        query = query.where(agency == filters.agency)
    return query


def _pending(row: Any, scope: QueueScope) -> PendingReview:
    iid, plan, task, agency, period, due, done, url = row
    return PendingReview(iid, plan, task, agency, period, due, done, scope.reviewers[plan], url)


def lead_queue(session: Session, *, agency: str, plans: Collection[str]) -> QueuePage:
    """What `agency` (as lead) waits on in `plans`: its extension requests awaiting a
    decision and its reported completions awaiting review, oldest first."""
    policies = {p: review_policy(session, p) for p in sorted(plans)}
    reviewers = {p: r.reviewer for p, r in policies.items() if r.completions_reviewed}
    scope = QueueScope(tuple(reviewers), tuple(policies), reviewers)
    asked = [_request(r) for r in session.scalars(
        _extension_query(scope, QueueFilter(agency=agency)))]
    reports = [_pending(row, scope) for row in session.execute(
        _review_query(scope, QueueFilter(agency=agency)))]
    return QueuePage(asked, reports)


@dataclass(frozen=True, slots=True)
class ReportDetail:
    """What the lead sent with a completion under review: its note, its file's name."""

    note: str | None
    file_id: str | None
    filename: str | None


_FILE = re.compile(r"/tep/([0-9a-f]{1,32})$")


def report_details(session: Session, reviews: list[PendingReview]) -> dict[str, ReportDetail]:
    """The note of each pending completion's last report, and the uploaded file its
    evidence address points to (by name), keyed by instance id."""
    ids = [r.instance_id for r in reviews]
    notes: dict[str, str | None] = {}
    for iid, note in session.execute(
            select(EventRow.instance_id, EventRow.note)
            .where(EventRow.instance_id.in_(ids), EventRow.kind == "completed")
            .order_by(EventRow.id)):
        notes[iid] = note
    wanted = {r.instance_id: m.group(1) for r in reviews
              if r.evidence_url and (m := _FILE.search(r.evidence_url))}
    f = EvidenceFileRow
    names = {fid: name for fid, name in session.execute(
        select(f.id, f.filename).where(f.id.in_(list(wanted.values()))))}
    return {iid: ReportDetail(notes.get(iid), wanted.get(iid),
                              names.get(wanted.get(iid, ""))) for iid in ids}


def extension_blockers(session: Session, *, plan: str, instance_ids: Collection[str],
                       now: dt.datetime) -> dict[str, ReviewError]:
    """For each of these open instances of `plan`, why no extension could be accepted as
    of `now` (engine.core.review.extension_blocker); absent: one could be asked."""
    ids = list(instance_ids)
    if not ids:
        return {}
    policy, calendar = review_policy(session, plan), _calendar(session, plan)
    today = now.astimezone(_zone(session, plan)).date()
    states = Counter(session.execute(select(ExtensionRow.instance_id, ExtensionRow.state)
                                     .where(ExtensionRow.instance_id.in_(ids))).tuples())
    found: dict[str, ReviewError] = {}
    for iid, lead, due in session.execute(select(InstanceRow.id, InstanceRow.agency_id,
                                                 InstanceRow.due_date)
                                          .where(InstanceRow.id.in_(ids))):
        ask = ExtensionAsk(iid, lead, due, due or today, None,
                           states[(iid, APPROVED)], states[(iid, REQUESTED)] > 0)
        blocker = extension_blocker(policy, InstanceState(), ask, calendar=calendar, now=today)
        if blocker is not None:
            found[iid] = blocker
    return found
