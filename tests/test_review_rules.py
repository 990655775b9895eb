"""The pure review rules (engine.core.review): when an extension may be asked, what a
decision may grant, who reviews; no database."""

from __future__ import annotations

import datetime as dt

import pytest

from engine.core.review import (
    ExtensionAsk,
    ExtensionDecision,
    ReviewError,
    ReviewPolicy,
    check_extension_decision,
    check_extension_request,
    extension_blocker,
    remind_on,
    review_state,
)
from engine.core.status import InstanceState
from engine.core.workdays import WorkCalendar

CALENDAR = WorkCalendar()
DUE = dt.date(2024, 2, 20)  # a Tuesday


def policy(**changes: object) -> ReviewPolicy:
    values: dict[str, object] = {
        "completions_reviewed": True, "reviewer": "so-noi-vu", "approvers": ("ubnd-tp",),
        "request_days_after_due": 0, "max_extensions": 2, "extend_past_plan_year": False,
        "remind_after_working_days": 2, "plan_year": 2024}
    return ReviewPolicy(**{**values, **changes})  # type: ignore[arg-type]


def ask(new: dt.date = dt.date(2024, 3, 5), **changes: object) -> ExtensionAsk:
    values: dict[str, object] = {"instance_id": "i", "lead": "so-y-te", "due_date": DUE,
                                 "requested_due": new, "agency": "so-y-te",
                                 "approved_before": 0, "pending": False}
    return ExtensionAsk(**{**values, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize(("rules", "asked", "today", "refusal"), [
    (policy(), ask(), DUE, None),
    (policy(), ask(), DUE + dt.timedelta(days=1), "too-late"),
    (policy(request_days_after_due=3), ask(), dt.date(2024, 2, 23), None),
    (policy(request_days_after_due=3), ask(), dt.date(2024, 2, 26), "too-late"),
    (policy(), ask(dt.date(2025, 1, 2)), DUE, "past-plan-year"),
    (policy(extend_past_plan_year=True), ask(dt.date(2025, 1, 2)), DUE, None),
    (policy(), ask(DUE), DUE, "due-not-later"),
    (policy(), ask(approved_before=2), DUE, "too-many"),
    (policy(max_extensions=0), ask(), DUE, "too-many"),
    (policy(), ask(due_date=None), DUE, "no-deadline"),
], ids=["on the deadline", "a day after it", "within 3 working days after, if allowed",
        "4 working days after (Friday to Monday)", "into next year",
        "into next year, if allowed", "to the same date", "a third time",
        "none allowed", "a continuous task"])
def test_when_an_extension_may_be_asked(rules: ReviewPolicy, asked: ExtensionAsk,
                                        today: dt.date, refusal: str | None) -> None:
    if refusal is None:
        check_extension_request(rules, InstanceState(), asked, calendar=CALENDAR, now=today)
        return
    with pytest.raises(ReviewError) as refused:
        check_extension_request(rules, InstanceState(), asked, calendar=CALENDAR, now=today)
    assert refused.value.kind == refusal


def test_a_decision_grants_the_date_asked_or_another_later_one() -> None:
    decision = ExtensionDecision(1, "requested", True, "ubnd-tp", DUE, None, dt.date(2024, 3, 5))
    assert check_extension_decision(policy(), decision) == dt.date(2024, 3, 5)
    other = ExtensionDecision(1, "requested", True, None, DUE, dt.date(2024, 3, 1),
                              dt.date(2024, 3, 5))
    assert check_extension_decision(policy(), other) == dt.date(2024, 3, 1)
    earlier = ExtensionDecision(1, "requested", True, None, DUE, dt.date(2024, 2, 1),
                                dt.date(2024, 3, 5))
    with pytest.raises(ReviewError, match="phải sau thời hạn hiện tại 20/02/2024"):
        check_extension_decision(policy(), earlier)
    refusal = ExtensionDecision(1, "requested", False, "ubnd-tp", DUE, None, DUE)
    assert check_extension_decision(policy(), refusal) is None


def test_review_states_and_reminders() -> None:
    done = InstanceState(completed_at=dt.datetime(2024, 2, 15, tzinfo=dt.UTC))
    assert review_state(policy(), done) == "submitted"
    assert review_state(policy(completions_reviewed=False), done) is None
    assert review_state(policy(), InstanceState()) is None
    # Told on Friday 16/02: reminded two working days later, on Tuesday 20/02.
    assert remind_on(policy(), told_on=dt.date(2024, 2, 16), calendar=CALENDAR) == DUE


YEAR_END = dt.date(2024, 12, 31)


@pytest.mark.parametrize(("rules", "asked", "today", "blocker"), [
    (policy(), ask(), DUE, None),
    (policy(), ask(), DUE + dt.timedelta(days=1), "too-late"),
    (policy(), ask(pending=True), DUE, "request-pending"),
    (policy(), ask(approved_before=2), DUE, "too-many"),
    (policy(), ask(due_date=YEAR_END), YEAR_END, "past-plan-year"),
    (policy(extend_past_plan_year=True), ask(due_date=YEAR_END), YEAR_END, None),
    (policy(), ask(due_date=None), DUE, "no-deadline"),
], ids=["in time", "past the window", "one pending", "too many", "due on 31/12",
        "31/12, next year allowed", "continuous"])
def test_whether_any_extension_could_be_asked_now(rules: ReviewPolicy, asked: ExtensionAsk,
                                                  today: dt.date, blocker: str | None) -> None:
    found = extension_blocker(rules, InstanceState(), asked, calendar=CALENDAR, now=today)
    assert (found.kind if found else None) == blocker
