"""Completion review and deadline extensions in the store (rules: engine.core.review).

Every function takes the caller's session first and its other arguments by keyword; the
caller owns the transaction, so a refusal (ReviewError, NotFoundError) writes nothing.
Each step is an audit event (engine.store.events.record_event) plus its row here:

- submit_completion / accept_completion / return_completion: a completion is submitted
  (it counts, by the time it was reported) until accepted, or returned with a reason (it
  no longer counts; the instance is open again, due as before, and re-enters the
  escalation chain where it stands).
- request_extension / decide_extension: requested -> approved (the instance's due_* move
  to the granted date, its compiled due kept in original_due_*) or refused. The decision
  is one conditional UPDATE ... WHERE state = 'requested': of two concurrent decisions
  exactly one is recorded, the other gets ReviewError("already-decided").
- pending_reviews, pending_extensions, extension_requests: listings for the CLI, the API
  and the pages.
- extension_figures, returned_figures: the report figures of a reporting window
  ("được gia hạn" and by whom; completions returned).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from engine.core.due_rules import end_of_day
from engine.core.review import (
    APPROVED,
    REFUSED,
    REQUESTED,
    ExtensionAsk,
    ExtensionDecision,
    ReviewError,
    ReviewPolicy,
    check_extension_decision,
    check_extension_request,
    check_moment,
    check_reason,
    check_review,
    policy_of,
)
from engine.core.spec import parse_plan_spec
from engine.core.status import REVIEW_SUBMITTED, Event, EventKind
from engine.store.events import InstanceView, NotFoundError, get_instance, record_event
from engine.store.relative import OrdinalCalendar, follow_predecessor
from engine.store.review_figures import (
    ExtensionFigures,
    ReturnedFigures,
    extension_figures,
    returned_figures,
)
from engine.store.tables import EventRow, InstanceRow, PlanRow, RevisionRow, WorkdayRow
from engine.store.tables_escalation import EscalationRow
from engine.store.tables_review import ExtensionRow, ReviewNoticeRow

__all__ = ["ExtensionFigures", "ExtensionRequest", "PendingReview", "ReturnedFigures",
           "accept_completion", "decide_extension", "extension_figures", "extension_requests",
           "get_extension", "pending_extensions", "pending_reviews", "request_extension",
           "return_completion", "returned_figures", "review_policy", "submit_completion"]
# Outcomes told to the lead in its next digest (review_notices.kind).
NOTICE_RETURNED = "completion_returned"
NOTICE_APPROVED = "extension_approved"
NOTICE_REFUSED = "extension_refused"


@dataclass(frozen=True, slots=True)
class ExtensionRequest:
    """One extension request and its decision, as stored."""

    id: int
    plan: str
    instance_id: str
    agency: str
    state: str                     # requested / approved / refused
    requested_at: dt.datetime
    requested_by: str
    reason: str
    previous_due: dt.date
    requested_due: dt.date
    decided_at: dt.datetime | None = None
    decided_by: str | None = None
    granted_due: dt.date | None = None
    decision_reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "plan": self.plan, "instance_id": self.instance_id,
                "agency": self.agency, "state": self.state,
                "requested_at": self.requested_at.isoformat(),
                "requested_by": self.requested_by, "reason": self.reason,
                "previous_due": self.previous_due.isoformat(),
                "requested_due": self.requested_due.isoformat(),
                "decided_at": self.decided_at.isoformat() if self.decided_at else None,
                "decided_by": self.decided_by,
                "granted_due": self.granted_due.isoformat() if self.granted_due else None,
                "decision_reason": self.decision_reason}


@dataclass(frozen=True, slots=True)
class PendingReview:
    """A submitted completion awaiting its reviewer."""

    instance_id: str
    plan: str
    task: str
    agency: str
    period: str
    due_date: dt.date | None       # the due in force (extended, if it was)
    completed_at: dt.datetime      # as reported: the time the figures count it by
    reviewer: str
    evidence_url: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"instance_id": self.instance_id, "plan": self.plan, "task": self.task,
                "agency": self.agency, "period": self.period,
                "due_date": self.due_date.isoformat() if self.due_date else None,
                "completed_at": self.completed_at.isoformat(), "reviewer": self.reviewer,
                "evidence_url": self.evidence_url, "review": REVIEW_SUBMITTED}


# --- the policy ------------------------------------------------------------------------
_POLICIES: dict[str, ReviewPolicy] = {}  # by PlanRow.spec_hash: a revision changes it


def review_policy(session: Session, plan: str) -> ReviewPolicy:
    """The review policy of `plan`'s current revision (its spec's `review:` section)."""
    row = session.get(PlanRow, plan)
    if row is None:
        raise NotFoundError("plan", plan)
    found = _POLICIES.get(row.spec_hash)
    if found is None:
        revision = session.get(RevisionRow, (row.id, row.revision))
        if revision is None:
            raise NotFoundError("plan revision", f"{row.id}@{row.revision}")
        spec, _ = parse_plan_spec(revision.spec_yaml, file=f"{row.id} (revision {row.revision})")
        found = _POLICIES[row.spec_hash] = policy_of(spec.plan)
    return found


# --- completion review -----------------------------------------------------------------
def submit_completion(session: Session, *, instance_id: str, at: dt.datetime, actor: str,
                      source: str, evidence_url: str | None = None,
                      note: str | None = None) -> InstanceView:
    """Record a reported completion (submitted, if the plan reviews completions)."""
    return record_event(session, Event(instance_id, EventKind.COMPLETED, at, actor, source,
                                       evidence_url=evidence_url, note=note))


def accept_completion(session: Session, *, instance_id: str, actor: str, agency: str | None,
                      now: dt.datetime, source: str, note: str | None = None) -> InstanceView:
    """Accept a submitted completion; it keeps counting by the time it was reported.

    `agency` is the deciding agency (None: an operator, who may act for the reviewer).
    """
    _check_reviewable(session, instance_id, agency, now=now)
    return record_event(session, Event(instance_id, EventKind.ACCEPTED, now, actor, source,
                                       note=note))


def return_completion(session: Session, *, instance_id: str, actor: str, agency: str | None,
                      now: dt.datetime, source: str, reason: str | None) -> InstanceView:
    """Return a submitted completion with a reason: it no longer counts, and the lead is
    told in its next digest."""
    text = check_reason(instance_id, reason, what="trả lại báo cáo hoàn thành")
    view = _check_reviewable(session, instance_id, agency, now=now)
    after = record_event(session, Event(instance_id, EventKind.RETURNED, now, actor, source,
                                        reason=text))
    _notice(session, view, kind=NOTICE_RETURNED, at=now, actor=actor, reason=text)
    return after


def _check_reviewable(session: Session, instance_id: str, agency: str | None, *,
                      now: dt.datetime) -> InstanceView:
    _lock(session, instance_id)
    view = get_instance(session, instance_id)
    policy = review_policy(session, view.plan)
    check_moment(policy, instance_id, now)
    check_review(policy, view.state, instance_id=instance_id, actor_agency=agency)
    return view


# --- extensions ------------------------------------------------------------------------
def request_extension(session: Session, *, instance_id: str, due: dt.date, reason: str | None,
                      actor: str, agency: str | None, now: dt.datetime,
                      source: str) -> ExtensionRequest:
    """Ask for the instance's due date to move to `due`.

    `agency` is the asking agency (None: an operator on the lead's behalf).

    Raises:
        NotFoundError: no such instance.
        ReviewError: not the lead, a done or waived instance, a date not later than the
            current due or past the plan year, too late to ask, too many extensions, a
            request already pending, no reason.
    """
    text = check_reason(instance_id, reason, what="đề nghị gia hạn")
    _lock(session, instance_id)
    view = get_instance(session, instance_id)
    policy = review_policy(session, view.plan)
    check_moment(policy, instance_id, now)
    zone = _zone(session, view.plan)
    counts = Counter(session.scalars(select(ExtensionRow.state).where(
        ExtensionRow.instance_id == instance_id)))
    ask = ExtensionAsk(instance_id, view.agency, view.due_date, due, agency,
                       approved_before=counts[APPROVED], pending=counts[REQUESTED] > 0)
    check_extension_request(policy, view.state, ask, calendar=_calendar(session, view.plan),
                            now=now.astimezone(zone).date())
    assert view.due_date is not None  # checked: continuous instances have none
    record_event(session, Event(instance_id, EventKind.EXTENSION_REQUESTED, now, actor, source,
                                reason=text, due_on=due))
    key = session.connection().execute(insert(ExtensionRow).values(
        plan_id=view.plan, instance_id=instance_id, agency_id=view.agency, state=REQUESTED,
        requested_at=now, requested_by=actor, reason=text, previous_due=view.due_date,
        requested_due=due)).inserted_primary_key
    assert key is not None
    return get_extension(session, int(key[0]))


def decide_extension(session: Session, *, request_id: int, approve: bool, actor: str,
                     agency: str | None, now: dt.datetime, source: str,
                     due: dt.date | None = None, reason: str | None = None) -> ExtensionRequest:
    """Approve (with `due`, default the date asked) or refuse (with a reason) a request.

    An approval moves the instance's due date (rolled forward to a working day, as a
    compiled deadline is), keeps the compiled one, and restarts the escalation chain from
    the new date; either outcome is told to the lead in its next digest.

    Raises:
        NotFoundError: no such request.
        ReviewError: not an approver, already decided (also when a concurrent decision
            won), a date not later than the current due or past the plan year, a refusal
            without a reason.
    """
    text = (check_reason(f"đề nghị gia hạn số {request_id}", reason, what="không chấp thuận")
            if not approve else (reason or "").strip() or None)
    request = get_extension(session, request_id)
    view = get_instance(session, request.instance_id)
    policy = review_policy(session, request.plan)
    check_moment(policy, f"đề nghị gia hạn số {request_id}", now)
    calendar = _calendar(session, request.plan)
    granted = due and _working_day(calendar, due)
    granted = check_extension_decision(policy, ExtensionDecision(
        request_id, request.state, approve, agency, view.due_date or request.previous_due,
        granted, _working_day(calendar, request.requested_due)))
    done = session.connection().execute(
        update(ExtensionRow).where(ExtensionRow.id == request_id,
                                   ExtensionRow.state == REQUESTED)
        .values(state=APPROVED if approve else REFUSED, decided_at=now, decided_by=actor,
                granted_due=granted, decision_reason=text))
    if done.rowcount != 1:  # a concurrent decision was committed first
        raise _already_decided(session, request_id)
    kind = EventKind.EXTENSION_APPROVED if approve else EventKind.EXTENSION_REFUSED
    record_event(session, Event(view.id, kind, now, actor, source, reason=text, due_on=granted))
    if granted is not None:
        _move_due(session, view, granted, calendar)
    _notice(session, view, kind=NOTICE_APPROVED if approve else NOTICE_REFUSED, at=now,
            actor=actor, reason=text, due_on=granted)
    return get_extension(session, request_id)


def _already_decided(session: Session, request_id: int) -> ReviewError:
    state = session.scalar(select(ExtensionRow.state).where(ExtensionRow.id == request_id))
    return ReviewError(f"đề nghị gia hạn số {request_id}", "already-decided",
                       f"đề nghị đã được quyết định ({state}); mỗi đề nghị chỉ có một "
                       "quyết định", field="state", conflict=True)


def _move_due(session: Session, view: InstanceView, granted: dt.date,
              calendar: OrdinalCalendar) -> None:
    c = InstanceRow
    plan = session.get(PlanRow, view.plan)
    assert plan is not None  # the instance's own plan
    session.execute(update(c).where(c.id == view.id).values(
        original_due_date=func.coalesce(c.original_due_date, c.due_date),
        original_due_at=func.coalesce(c.original_due_at, c.due_at),
        due_date=granted, due_at=end_of_day(granted, plan.timezone),
        due_wd=calendar.ordinal(granted)))
    # Tasks due "within N working days after" this one count from its due while it is open.
    follow_predecessor(session.connection(), plan=plan.id, spec_hash=plan.spec_hash,
                       timezone=plan.timezone, task=view.task, instance_id=view.id)
    # The levels were told against the old date ("due in 5 days", "overdue"): counted
    # again from the new one.
    session.execute(delete(EscalationRow).where(EscalationRow.instance_id == view.id))


def get_extension(session: Session, request_id: int) -> ExtensionRequest:
    """The request with this id; NotFoundError if there is none."""
    if not 0 < request_id < 2**63:  # no id outside the stores' 64-bit integers
        raise NotFoundError("extension request", str(request_id))
    row = session.get(ExtensionRow, request_id, populate_existing=True)
    if row is None:
        raise NotFoundError("extension request", str(request_id))
    return _request(row)


def extension_requests(session: Session, *, plan: str | None = None,
                       instance_id: str | None = None, agency: str | None = None,
                       state: str | None = None) -> list[ExtensionRequest]:
    """Extension requests, oldest first, optionally of one plan, instance, lead or state."""
    e = ExtensionRow
    query = select(e).order_by(e.id)
    for column, value in ((e.plan_id, plan), (e.instance_id, instance_id),
                          (e.agency_id, agency), (e.state, state)):
        if value is not None:
            query = query.where(column == value)
    return [_request(r) for r in session.scalars(query)]


def pending_extensions(session: Session, *, plan: str | None = None,
                       approver: str | None = None) -> list[ExtensionRequest]:
    """Requests awaiting a decision; with `approver`, only those of plans it approves for."""
    found = extension_requests(session, plan=plan, state=REQUESTED)
    if approver is None:
        return found
    return [r for r in found if approver in review_policy(session, r.plan).approvers]


def pending_reviews(session: Session, *, plan: str | None = None,
                    reviewer: str | None = None) -> list[PendingReview]:
    """Submitted completions awaiting review (of plans whose completions are reviewed),
    by due date; with `reviewer`, only those of plans it reviews."""
    c = InstanceRow
    plans = [plan] if plan else list(session.scalars(select(PlanRow.id).order_by(PlanRow.id)))
    policies = {p: review_policy(session, p) for p in plans}
    chosen = [p for p, policy in policies.items() if policy.completions_reviewed
              and (reviewer is None or policy.reviewer == reviewer)]
    if not chosen:
        return []
    evidence = (select(EventRow.evidence_url).where(EventRow.instance_id == c.id,
                                                    EventRow.kind.in_(("completed", "progress")))
                .order_by(EventRow.id.desc()).limit(1).scalar_subquery())
    query = (select(c.id, c.plan_id, c.task_id, c.agency_id, c.period, c.due_date,
                    c.completed_at, evidence)
             .where(c.plan_id.in_(chosen), c.completed_at.is_not(None), c.review.is_(None),
                    c.waived_at.is_(None))
             .order_by(c.plan_id, c.due_date, c.task_id, c.agency_id, c.period))
    return [PendingReview(iid, p, task, agency, period, due, done, policies[p].reviewer, url)
            for iid, p, task, agency, period, due, done, url in session.execute(query)]


# --- helpers -----------------------------------------------------------------------------
def _lock(session: Session, instance_id: str) -> None:
    """Lock the instance row (PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises
    writers), so that checks and writes of one instance do not interleave."""
    found = session.scalar(select(InstanceRow.id).where(InstanceRow.id == instance_id)
                           .with_for_update())
    if found is None:
        raise NotFoundError("instance", instance_id)


def _zone(session: Session, plan: str) -> ZoneInfo:
    return ZoneInfo(session.scalar(select(PlanRow.timezone).where(PlanRow.id == plan))
                    or "Asia/Ho_Chi_Minh")


class _Calendar(OrdinalCalendar):
    """The plan's stored calendar; outside its span (1 January of the year before the
    plan's to three years after) a day is taken as it is rather than refused."""

    def add_working_days(self, day: dt.date, n: int) -> dt.date:
        try:
            return super().add_working_days(day, n)
        except Exception:  # relative._OutOfRange
            return day

    def roll_forward(self, day: dt.date) -> dt.date:
        try:
            return super().roll_forward(day)
        except Exception:  # relative._OutOfRange
            return day


def _calendar(session: Session, plan: str) -> _Calendar:
    return _Calendar(session.execute(select(WorkdayRow.day, WorkdayRow.ordinal)
                                     .where(WorkdayRow.plan_id == plan)).tuples())


def _working_day(calendar: OrdinalCalendar, day: dt.date) -> dt.date:
    """`day`, or the next working day if it is a day off (Civil Code 2015 art. 148(5))."""
    return calendar.roll_forward(day)


def _notice(session: Session, view: InstanceView, *, kind: str, at: dt.datetime, actor: str,
            reason: str | None, due_on: dt.date | None = None) -> None:
    session.execute(insert(ReviewNoticeRow).values(
        plan_id=view.plan, agency_id=view.agency, instance_id=view.id, kind=kind, at=at,
        actor=actor, reason=reason, previous_due=view.due_date, due_on=due_on))


def _request(r: ExtensionRow) -> ExtensionRequest:
    return ExtensionRequest(r.id, r.plan_id, r.instance_id, r.agency_id, r.state,
                            r.requested_at, r.requested_by, r.reason, r.previous_due,
                            r.requested_due, r.decided_at, r.decided_by, r.granted_due,
                            r.decision_reason)
