"""Status of an instance as of a time, and the event fold that gives its current state."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from enum import StrEnum

from engine.core.errors import KehoachError


class Status(StrEnum):
    """The four-way status of Vietnamese government reporting, plus waived."""

    DONE_ON_TIME = "done_on_time"   # hoàn thành đúng hạn
    DONE_LATE = "done_late"         # hoàn thành quá hạn
    ON_TRACK = "on_track"           # đang thực hiện trong hạn
    OVERDUE = "overdue"             # quá hạn chưa hoàn thành
    WAIVED = "waived"               # miễn / hủy


STATUS_LABELS_VI = {
    Status.DONE_ON_TIME: "Hoàn thành đúng hạn",
    Status.DONE_LATE: "Hoàn thành quá hạn",
    Status.ON_TRACK: "Đang thực hiện trong hạn",
    Status.OVERDUE: "Quá hạn chưa hoàn thành",
    Status.WAIVED: "Miễn / hủy",
}


# The reason a plan revision gives an instance it drops ("removed in revision 4"); the
# registry reads it back to restore the instance, the API shows it in Vietnamese.
REMOVED_PREFIX = "removed in revision"


class EventKind(StrEnum):
    COMPLETED = "completed"
    PROGRESS = "progress"
    REOPENED = "reopened"
    WAIVED = "waived"
    RESTORED = "restored"  # a waived instance put back (by an operator or a spec revision)
    # Completion review (engine.core.review): the reviewer accepts a reported completion, or
    # returns it with a reason, which undoes it (the instance is open again, due as before).
    ACCEPTED = "accepted"
    RETURNED = "returned"
    # Deadline extensions: asked by the lead, approved (with the new due date) or refused.
    EXTENSION_REQUESTED = "extension_requested"
    EXTENSION_APPROVED = "extension_approved"
    EXTENSION_REFUSED = "extension_refused"


# Review states of a completion. "submitted" is a completion of a plan whose completions
# are reviewed that has no decision yet: it is not stored (the fold leaves `review` None),
# so a plan's policy can change without rewriting its instances.
REVIEW_ACCEPTED = "accepted"
REVIEW_RETURNED = "returned"
REVIEW_SUBMITTED = "submitted"
# Events that never change the fold's state: the request and refusal of an extension.
_AUDIT_ONLY = frozenset({EventKind.EXTENSION_REQUESTED, EventKind.EXTENSION_REFUSED})


class TransitionError(KehoachError, ValueError):
    """An event that does not apply to the instance's current state."""

    def __init__(self, instance_id: str, reason: str) -> None:
        self.instance_id = instance_id
        self.reason = reason
        super().__init__(f"instance {instance_id!r}: {reason}")


@dataclass(frozen=True, slots=True)
class InstanceState:
    """The mutable part of an instance, a projection of its events."""

    completed_at: dt.datetime | None = None
    progress: int = 0
    waived_at: dt.datetime | None = None
    waived_reason: str | None = None
    review: str | None = None           # REVIEW_ACCEPTED / REVIEW_RETURNED, else None
    extended_due: dt.date | None = None  # the due date of the last approved extension


@dataclass(frozen=True, slots=True)
class Event:
    """One append-only change of an instance: who did what, when, from where."""

    instance_id: str
    kind: EventKind
    at: dt.datetime             # when it happened (the agency's completion time)
    actor: str
    source: str                 # "cli", "webhook", "register", ...
    count: int | None = None
    evidence_url: str | None = None
    note: str | None = None
    reason: str | None = None
    due_on: dt.date | None = None  # an extension's date: asked, or approved


def apply_event(state: InstanceState, event: Event, *, target: int | None) -> InstanceState:
    """The state after `event`; raises TransitionError if the event does not apply."""
    kind, iid = event.kind, event.instance_id
    if state.waived_at and kind not in (EventKind.RESTORED, EventKind.WAIVED):
        reason = (state.waived_reason or "").strip()
        why = f" ({reason})" if reason else ""
        raise TransitionError(iid, f"is waived{why}; restore it first")
    if kind is EventKind.COMPLETED:
        if state.completed_at:
            # In the zone the time carries: engine.store.database gives it in the plan's time zone.
            raise TransitionError(iid, "is already completed at "
                                  f"{state.completed_at:%d/%m/%Y %H:%M}")
        return replace(state, completed_at=event.at, review=None)
    if kind is EventKind.PROGRESS:
        return _progress(state, event, target)
    if kind is EventKind.REOPENED:
        if not state.completed_at:
            raise TransitionError(iid, "is not completed, so it cannot be reopened")
        return replace(state, completed_at=None, review=None)
    if kind in _AUDIT_ONLY or kind in (EventKind.ACCEPTED, EventKind.RETURNED,
                                       EventKind.EXTENSION_APPROVED):
        return _reviewed(state, event)
    if kind is EventKind.WAIVED:
        if state.waived_at:
            raise TransitionError(iid, "is already waived")
        return replace(state, waived_at=event.at, waived_reason=event.reason)
    if not state.waived_at:
        raise TransitionError(iid, "is not waived, so it cannot be restored")
    return replace(state, waived_at=None, waived_reason=None)


def _reviewed(state: InstanceState, event: Event) -> InstanceState:
    """A review decision or an extension event (engine.core.review checks who may)."""
    kind, iid = event.kind, event.instance_id
    if kind in _AUDIT_ONLY:
        return state
    if kind is EventKind.EXTENSION_APPROVED:
        if event.due_on is None:
            raise TransitionError(iid, "an approved extension needs its new due date")
        return replace(state, extended_due=event.due_on)
    if not state.completed_at or state.review is not None:
        what = "not completed" if not state.completed_at else f"already {state.review}"
        raise TransitionError(iid, f"is {what}, so its completion cannot be {kind.value}")
    if kind is EventKind.ACCEPTED:
        return replace(state, review=REVIEW_ACCEPTED)
    if not (event.reason or "").strip():
        raise TransitionError(iid, "a returned completion needs a reason")
    return replace(state, completed_at=None, review=REVIEW_RETURNED)


def _progress(state: InstanceState, event: Event, target: int | None) -> InstanceState:
    count = event.count or 0
    if count <= 0:
        raise TransitionError(event.instance_id, f"progress must be a positive count, got {count}")
    total = state.progress + count
    reached = target is not None and total >= target and state.completed_at is None
    if reached:
        return replace(state, progress=total, completed_at=event.at, review=None)
    return replace(state, progress=total)


def fold_events(events: list[Event], *, target: int | None) -> InstanceState:
    """Rebuild an instance's state from its events, oldest first."""
    state = InstanceState()
    for event in events:
        state = apply_event(state, event, target=target)
    return state


def status_at(due: dt.datetime | None, state: InstanceState, *, now: dt.datetime) -> Status:
    """The status of an instance with deadline `due` (None: continuous) as of `now`.

    A completion or waiver recorded after `now` is not yet known at `now`.
    """
    if state.waived_at and state.waived_at <= now:
        return Status.WAIVED
    if state.completed_at and state.completed_at <= now:
        on_time = due is None or state.completed_at <= due
        return Status.DONE_ON_TIME if on_time else Status.DONE_LATE
    if due is None or now <= due:
        return Status.ON_TRACK
    return Status.OVERDUE
