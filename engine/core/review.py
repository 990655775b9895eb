"""Completion review and deadline extensions: the policy and the decisions (pure).

A reported completion of a plan whose completions are reviewed is *submitted* until its
reviewer (the monitor by default) *accepts* it or *returns* it with a reason; a returned
completion no longer counts, and the instance is open again with its deadline as before.
An agency may ask for more time (*requested*, with a reason and a proposed date); an
approver (the issuer by default, the monitor too if the spec says so) *approves*, possibly
with another date, or *refuses* with a reason. Each function here decides one question and
raises ReviewError (with a Vietnamese `detail` naming the field at fault) when the answer
is no; the store carries the decision out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from engine.core.errors import KehoachError
from engine.core.spec import PlanHeader, ReviewPolicySpec
from engine.core.status import REVIEW_RETURNED, REVIEW_SUBMITTED, InstanceState

REQUESTED, APPROVED, REFUSED = "requested", "approved", "refused"
REQUEST_STATES = (REQUESTED, APPROVED, REFUSED)
REQUEST_STATES_VI = {REQUESTED: "đang chờ duyệt", APPROVED: "đã chấp thuận",
                     REFUSED: "không chấp thuận"}
REVIEW_STATES_VI = {REVIEW_SUBMITTED: "chờ xem xét", "accepted": "đã chấp nhận",
                    REVIEW_RETURNED: "bị trả lại"}
MAX_REASON = 2000


class ReviewError(KehoachError, ValueError):
    """A review or extension step that may not be taken.

    `kind` names the rule ("due-not-later", "already-decided"...), `field` the value at
    fault ("due", "reason", "state", "agency"), `detail` says why in Vietnamese.
    `conflict` is True when the step clashes with the current state (a second decision, a
    done instance) rather than with the values given.
    """

    def __init__(self, subject: str, kind: str, detail: str, *, field: str,
                 conflict: bool = False, forbidden: bool = False) -> None:
        self.subject = subject
        self.kind = kind
        self.detail = detail
        self.field = field
        self.conflict = conflict
        self.forbidden = forbidden
        super().__init__(f"{subject}: {detail}")


class Calendar(Protocol):
    """The working-day questions the rules ask (engine.core.workdays.WorkCalendar, or the
    store's OrdinalCalendar)."""

    def add_working_days(self, day: dt.date, n: int) -> dt.date: ...


@dataclass(frozen=True, slots=True)
class ReviewPolicy:
    """A plan's review policy with its roles resolved to agency ids."""

    completions_reviewed: bool
    reviewer: str                 # agency id
    approvers: tuple[str, ...]    # agency ids
    request_days_after_due: int
    max_extensions: int
    extend_past_plan_year: bool
    remind_after_working_days: int
    plan_year: int


def policy_of(header: PlanHeader) -> ReviewPolicy:
    """The review policy of a plan header (its `review:` section, else the defaults)."""
    spec: ReviewPolicySpec = header.review
    role = {"issuer": header.issuer, "monitor": header.monitor}
    return ReviewPolicy(spec.completions_reviewed, role[spec.reviewer],
                        tuple(dict.fromkeys(role[r] for r in spec.extension_approvers)),
                        spec.extension_request_days_after_due, spec.max_extensions,
                        spec.extend_past_plan_year, spec.remind_after_working_days, header.year)


def review_state(policy: ReviewPolicy, state: InstanceState) -> str | None:
    """submitted / accepted / returned, or None (no completion, or none reviewed)."""
    if state.review is not None:
        return state.review
    if state.completed_at is not None and policy.completions_reviewed:
        return REVIEW_SUBMITTED
    return None


def check_moment(policy: ReviewPolicy, subject: str, at: dt.datetime) -> None:
    """A step's time may not be before 1 January of the year before the plan's (a typo such
    as 2004 for 2024), as a completion's may not."""
    earliest = dt.datetime(policy.plan_year - 1, 1, 1, tzinfo=dt.UTC)
    if at < earliest:
        raise ReviewError(subject, "at-too-early", f"thời điểm quá sớm: kế hoạch năm "
                          f"{policy.plan_year} chỉ nhận thời điểm từ 01/01/"
                          f"{policy.plan_year - 1} trở đi; kiểm tra lại năm đã nhập",
                          field="at")


def check_reason(subject: str, reason: str | None, *, what: str) -> str:
    """The reason, stripped; ReviewError if it is missing, blank or too long."""
    text = (reason or "").strip()
    if not text:
        raise ReviewError(subject, "reason-required", f"cần ghi lý do {what}", field="reason")
    if len(text) > MAX_REASON:
        raise ReviewError(subject, "reason-too-long",
                          f"lý do dài quá {MAX_REASON} ký tự", field="reason")
    return text


def check_review(policy: ReviewPolicy, state: InstanceState, *, instance_id: str,
                 actor_agency: str | None) -> None:
    """May `actor_agency` (None: an operator) accept or return this instance's completion?"""
    if not policy.completions_reviewed:
        raise ReviewError(instance_id, "review-off", "kế hoạch này không yêu cầu xem xét báo "
                          "cáo hoàn thành (review.completions_reviewed: false)",
                          field="state", conflict=True)
    if actor_agency is not None and actor_agency != policy.reviewer:
        raise ReviewError(instance_id, "not-reviewer", f"chỉ cơ quan '{policy.reviewer}' xem "
                          f"xét báo cáo hoàn thành của kế hoạch này, không phải "
                          f"'{actor_agency}'", field="agency", forbidden=True)
    if state.waived_at is not None:
        raise ReviewError(instance_id, "waived", "đầu việc đã được miễn/hủy",
                          field="state", conflict=True)
    current = review_state(policy, state)
    if current != REVIEW_SUBMITTED:
        shown = REVIEW_STATES_VI.get(current or "", "chưa được báo hoàn thành")
        raise ReviewError(instance_id, "not-submitted", f"không có báo cáo hoàn thành đang chờ "
                          f"xem xét (hiện: {shown})", field="state", conflict=True)


@dataclass(frozen=True, slots=True)
class ExtensionAsk:
    """An extension request as the rules see it."""

    instance_id: str
    lead: str
    due_date: dt.date | None      # the due date in force (extended, if it was)
    requested_due: dt.date
    agency: str | None            # who asks (None: an operator on the lead's behalf)
    approved_before: int          # extensions of this instance approved so far
    pending: bool                 # a request of this instance still awaits a decision


def check_extension_request(policy: ReviewPolicy, state: InstanceState, ask: ExtensionAsk, *,
                            calendar: Calendar, now: dt.date) -> None:
    """May this extension be asked now (`now`: the plan's local date)? ReviewError if not."""
    iid = ask.instance_id
    if ask.agency is not None and ask.agency != ask.lead:
        raise ReviewError(iid, "not-lead", f"chỉ cơ quan chủ trì '{ask.lead}' đề nghị gia hạn "
                          f"đầu việc này, không phải '{ask.agency}'", field="agency",
                          forbidden=True)
    if state.waived_at is not None or state.completed_at is not None:
        what = "đã được miễn/hủy" if state.waived_at else "đã báo hoàn thành"
        raise ReviewError(iid, "closed", f"đầu việc {what}, không gia hạn được",
                          field="state", conflict=True)
    if ask.due_date is None:
        raise ReviewError(iid, "no-deadline", "nhiệm vụ thường xuyên không có thời hạn để "
                          "gia hạn", field="state", conflict=True)
    if ask.pending:
        raise ReviewError(iid, "request-pending", "đã có một đề nghị gia hạn đang chờ duyệt; "
                          "chờ quyết định trước khi đề nghị tiếp", field="state", conflict=True)
    if ask.approved_before >= policy.max_extensions:
        raise ReviewError(iid, "too-many", f"đã được gia hạn {ask.approved_before} lần, tối đa "
                          f"{policy.max_extensions} lần theo kế hoạch", field="state",
                          conflict=True)
    latest = calendar.add_working_days(ask.due_date, policy.request_days_after_due)
    if now > latest:
        after = (f" ({policy.request_days_after_due} ngày làm việc sau hạn)"
                 if policy.request_days_after_due else " (hạn của đầu việc)")
        raise ReviewError(iid, "too-late", f"quá thời điểm được đề nghị gia hạn: chậm nhất "
                          f"ngày {latest:%d/%m/%Y}{after}", field="state", conflict=True)
    check_new_due(policy, iid, due_date=ask.due_date, new_due=ask.requested_due)


def check_new_due(policy: ReviewPolicy, subject: str, *, due_date: dt.date,
                  new_due: dt.date) -> None:
    """A new due date must be later than the one in force and, unless the policy allows
    it, within the plan's year."""
    if new_due <= due_date:
        raise ReviewError(subject, "due-not-later", f"thời hạn mới {new_due:%d/%m/%Y} phải sau "
                          f"thời hạn hiện tại {due_date:%d/%m/%Y}", field="due")
    year_end = dt.date(policy.plan_year, 12, 31)
    if new_due > year_end and not policy.extend_past_plan_year and due_date <= year_end:
        raise ReviewError(subject, "past-plan-year", f"thời hạn mới {new_due:%d/%m/%Y} vượt "
                          f"quá năm kế hoạch {policy.plan_year}; kế hoạch không cho gia hạn "
                          "sang năm sau (review.extend_past_plan_year)", field="due")


@dataclass(frozen=True, slots=True)
class ExtensionDecision:
    """An approver's answer to a request, as the rules see it."""

    request_id: int
    state: str                    # the request's current state
    approve: bool
    agency: str | None            # who decides (None: an operator)
    due_date: dt.date             # the due date in force
    new_due: dt.date | None       # approve: the date granted (None: as asked)
    requested_due: dt.date


def check_extension_decision(policy: ReviewPolicy, decision: ExtensionDecision) -> dt.date | None:
    """The due date an approval grants (None for a refusal); ReviewError if the decision
    may not be taken."""
    subject = f"đề nghị gia hạn số {decision.request_id}"
    if decision.agency is not None and decision.agency not in policy.approvers:
        names = ", ".join(f"'{a}'" for a in policy.approvers)
        raise ReviewError(subject, "not-approver", f"chỉ {names} quyết định gia hạn của kế "
                          f"hoạch này, không phải '{decision.agency}'", field="agency",
                          forbidden=True)
    if decision.state != REQUESTED:
        raise ReviewError(subject, "already-decided", "đề nghị đã được quyết định ("
                          f"{REQUEST_STATES_VI.get(decision.state, decision.state)}); mỗi đề "
                          "nghị chỉ có một quyết định", field="state", conflict=True)
    if not decision.approve:
        return None
    granted = decision.new_due or decision.requested_due
    check_new_due(policy, subject, due_date=decision.due_date, new_due=granted)
    return granted


def remind_on(policy: ReviewPolicy, *, told_on: dt.date, calendar: Calendar) -> dt.date:
    """The day an unanswered request, told to its approvers on `told_on`, is reminded."""
    return calendar.add_working_days(told_on, policy.remind_after_working_days)


def extension_blocker(policy: ReviewPolicy, state: InstanceState, ask: ExtensionAsk, *,
                      calendar: Calendar, now: dt.date) -> ReviewError | None:
    """Why no extension of this instance could be accepted as of `now`, whatever date is
    asked (None: one could). The earliest date that could be asked (the day after the
    due in force) is put to check_extension_request; its refusal is the answer."""
    if ask.due_date is None:
        return ReviewError(ask.instance_id, "no-deadline", "nhiệm vụ thường xuyên không có "
                           "thời hạn để gia hạn", field="state", conflict=True)
    earliest = ExtensionAsk(ask.instance_id, ask.lead, ask.due_date,
                            ask.due_date + dt.timedelta(days=1), ask.agency,
                            ask.approved_before, ask.pending)
    try:
        check_extension_request(policy, state, earliest, calendar=calendar, now=now)
    except ReviewError as exc:
        if exc.kind != "past-plan-year":
            return exc
        return ReviewError(ask.instance_id, exc.kind, f"thời hạn {ask.due_date:%d/%m/%Y} là "
                           f"ngày cuối năm kế hoạch {policy.plan_year}; kế hoạch không cho "
                           "gia hạn sang năm sau", field="due")
    return None
