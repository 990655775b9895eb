"""Completion review and deadline extensions on SQLite and PostgreSQL (engine.store.review).

The Hà Nội 2024 plan's first task, "Ban hành Kế hoạch" (51 instances, due Tuesday
20/02/2024): Sở Y tế reports it done on 15/02, the standing unit returns the report on
19/02, Sở Y tế reports again on 26/02 (late) and that report is accepted; Sở Tài chính asks
on 16/02 for 05/03 and the issuer approves 01/03 instead; Sở Tài chính is done on 28/02.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

import pytest
from sqlalchemy import func, select

from engine.core.review import ReviewError
from engine.core.status import EventKind
from engine.store.database import Store
from engine.store.events import NotFoundError, record_event
from engine.store.metrics import rollup
from engine.store.queries import count_by_status, instance_statuses, verify_projection
from engine.store.review import (
    accept_completion,
    decide_extension,
    extension_figures,
    pending_extensions,
    pending_reviews,
    request_extension,
    return_completion,
    returned_figures,
    submit_completion,
)
from engine.store.tables import EventRow, InstanceRow
from engine.store.tables_review import ExtensionRow, ReviewNoticeRow
from tests.test_relative import due as relative_due
from tests.test_relative import iid as relative_iid
from tests.test_relative import plan
from tests.test_store import PLAN, event, iid, local, register, spec_data

__all__ = ["plan"]

TASK = "ban-hanh-ke-hoach"
HEALTH = iid(TASK, "so-y-te")      # returned once, then done late
FINANCE = iid(TASK, "so-tai-chinh")  # extended to 01/03, done on 28/02
N = 51
ASKED_ON = local(2024, 2, 16)


def figures(store: Store, as_of: dt.datetime) -> dict[str, int]:
    """The four-way counts of the task's instances as of `as_of`, with the zeros left out."""
    with store.transaction() as tx:
        rows = list(instance_statuses(tx, plan=PLAN, as_of=as_of, task=TASK))
        by_sql = rollup(tx, plan=PLAN, period="2024-Q1", by="task", as_of=as_of)
    counts = {k: n for k, n in count_by_status(rows).items() if n}
    row = next(r for r in by_sql if r.key == TASK)
    assert {s.value: n for s, n in row.counts.items() if n} == counts  # the report agrees
    return counts


def submit(store: Store, instance: str, at: dt.datetime) -> None:
    with store.transaction() as tx:
        submit_completion(tx, instance_id=instance, at=at, actor="so-y-te", source="test")


def ask(store: Store, instance: str = FINANCE, *, due: dt.date = dt.date(2024, 3, 5),
        agency: str | None = "so-tai-chinh", now: dt.datetime = ASKED_ON) -> int:
    with store.transaction() as tx:
        return request_extension(tx, instance_id=instance, due=due, reason="Chờ ý kiến Bộ",
                                 actor=agency or "operator", agency=agency, now=now,
                                 source="test").id


def decide(store: Store, request_id: int, *, approve: bool, **extra: Any) -> None:
    with store.transaction() as tx:
        decide_extension(tx, request_id=request_id, approve=approve, actor="ubnd-tp",
                         agency="ubnd-tp", now=local(2024, 2, 18), source="test", **extra)


def test_a_returned_completion_and_an_approved_extension_give_these_figures(
        store: Store) -> None:
    register(store)
    submit(store, HEALTH, local(2024, 2, 15))
    assert figures(store, local(2024, 2, 18, 23)) == {"done_on_time": 1, "on_track": N - 1}
    with store.transaction() as tx:
        assert [p.instance_id for p in pending_reviews(tx, plan=PLAN)] == [HEALTH]
        return_completion(tx, instance_id=HEALTH, actor="so-noi-vu", agency="so-noi-vu",
                          now=local(2024, 2, 19), source="test",
                          reason="Thiếu chữ ký người có thẩm quyền")
    # Returned: not done, as of any moment, and due 20/02 as before.
    assert figures(store, local(2024, 2, 18, 23)) == {"on_track": N}
    assert figures(store, local(2024, 2, 22)) == {"overdue": N}
    request = ask(store)
    assert figures(store, local(2024, 2, 22)) == {"overdue": N}  # asked is not granted
    decide(store, request, approve=True, due=dt.date(2024, 3, 1))
    assert figures(store, local(2024, 2, 22)) == {"overdue": N - 1, "on_track": 1}
    assert figures(store, local(2024, 3, 2)) == {"overdue": N}  # past the extended due too
    submit(store, HEALTH, local(2024, 2, 26))
    with store.transaction() as tx:
        record_event(tx, event(FINANCE, EventKind.COMPLETED, local(2024, 2, 28)))
        accept_completion(tx, instance_id=HEALTH, actor="so-noi-vu", agency="so-noi-vu",
                          now=local(2024, 2, 27), source="test")
    after = {"done_late": 1, "done_on_time": 1, "overdue": N - 2}
    assert figures(store, local(2024, 3, 2)) == after
    assert figures(store, local(2024, 3, 31, 23)) == after
    with store.transaction() as tx:
        rows = {r.id: r for r in instance_statuses(tx, plan=PLAN, as_of=local(2024, 3, 2),
                                                    task=TASK)}
        health, finance = rows[HEALTH], rows[FINANCE]
        assert (health.status.value, health.days_late, health.review) == ("done_late", 4,
                                                                           "accepted")
        assert health.completed_at == local(2024, 2, 26)  # as reported, not as accepted
        assert finance.due is not None and finance.due.date() == dt.date(2024, 3, 1)
        assert finance.original_due is not None
        assert finance.original_due.date() == dt.date(2024, 2, 20)
        assert finance.review == "submitted"
        extended = extension_figures(tx, plan=PLAN, period="2024-Q1")
        assert (extended.extended, extended.requests, extended.approved) == (1, 1, 1)
        assert extended.by_approver == {"ubnd-tp": 1}
        assert extended.by_agency == {"so-tai-chinh": 1}
        assert extension_figures(tx, plan=PLAN, period="2024-Q1",
                                 as_of=local(2024, 2, 17)).pending == 1
        returned = returned_figures(tx, plan=PLAN, period="2024-Q1")
        assert (returned.returns, returned.instances, returned.open_after_return) == (1, 1, 0)
        assert returned_figures(tx, plan=PLAN, period="2024-Q1",
                                as_of=local(2024, 2, 20)).open_after_return == 1
        assert verify_projection(tx, plan=PLAN) == []  # `kehoach db verify` rebuilds it all
        told = sorted(tx.scalars(select(ReviewNoticeRow.kind)))
    assert told == ["completion_returned", "extension_approved"]


def counts(store: Store) -> tuple[int, int, int]:
    with store.transaction() as tx:
        return (tx.scalar(select(func.count()).select_from(EventRow)) or 0,
                tx.scalar(select(func.count()).select_from(ExtensionRow)) or 0,
                tx.scalar(select(func.count()).select_from(ReviewNoticeRow)) or 0)


@pytest.mark.parametrize(("setup", "call", "kind"), [
    ("", {"due": dt.date(2024, 2, 19)}, "due-not-later"),
    ("", {"due": dt.date(2025, 1, 15)}, "past-plan-year"),
    ("", {"agency": "so-y-te"}, "not-lead"),
    ("done", {}, "closed"),
    ("waived", {}, "closed"),
    ("", {"now": local(2024, 2, 21)}, "too-late"),
    ("pending", {}, "request-pending"),
], ids=["a date before the current due", "a date after the plan year",
        "asked by another agency", "on a done instance", "on a waived instance",
        "after the deadline", "with a request already pending"])
def test_a_refused_extension_request_writes_nothing(store: Store, setup: str,
                                                    call: dict[str, Any], kind: str) -> None:
    register(store)
    if setup == "done":
        submit(store, FINANCE, local(2024, 2, 10))
    elif setup == "waived":
        with store.transaction() as tx:
            record_event(tx, event(FINANCE, EventKind.WAIVED, local(2024, 2, 10), reason="x"))
    elif setup == "pending":
        ask(store)
    before = counts(store)
    with pytest.raises(ReviewError) as refused:
        ask(store, **call)
    assert refused.value.kind == kind
    assert refused.value.detail  # Vietnamese, for the agency
    assert counts(store) == before


def test_a_second_decision_is_refused_and_writes_nothing(store: Store) -> None:
    register(store)
    request = ask(store)
    decide(store, request, approve=False, reason="Không có căn cứ")
    before = counts(store)
    with pytest.raises(ReviewError) as refused:
        decide(store, request, approve=True)
    assert refused.value.kind == "already-decided"
    assert counts(store) == before
    with store.transaction() as tx:
        assert pending_extensions(tx, plan=PLAN) == []
        due = tx.scalar(select(InstanceRow.due_date).where(InstanceRow.id == FINANCE))
    assert due == dt.date(2024, 2, 20)  # a refusal moves nothing


def test_only_an_approver_decides_and_only_the_reviewer_reviews(store: Store) -> None:
    register(store)
    request = ask(store)
    with pytest.raises(ReviewError) as refused, store.transaction() as tx:
        decide_extension(tx, request_id=request, approve=True, actor="so-noi-vu",
                         agency="so-noi-vu", now=local(2024, 2, 18), source="test")
    assert (refused.value.kind, refused.value.forbidden) == ("not-approver", True)
    submit(store, HEALTH, local(2024, 2, 15))
    with pytest.raises(ReviewError) as refused, store.transaction() as tx:
        return_completion(tx, instance_id=HEALTH, actor="ubnd-tp", agency="ubnd-tp",
                          now=local(2024, 2, 19), source="test", reason="x")
    assert refused.value.kind == "not-reviewer"
    with pytest.raises(ReviewError) as refused, store.transaction() as tx:
        return_completion(tx, instance_id=HEALTH, actor="so-noi-vu", agency="so-noi-vu",
                          now=local(2024, 2, 19), source="test", reason="  ")
    assert refused.value.kind == "reason-required"
    with pytest.raises(NotFoundError), store.transaction() as tx:
        decide_extension(tx, request_id=999, approve=True, actor="ubnd-tp", agency=None,
                         now=local(2024, 2, 18), source="test")


def test_concurrent_approve_and_refuse_record_exactly_one_decision(store: Store) -> None:
    """Two transactions decide one request at once: the first holds its transaction open
    after deciding, so the second reads the request still 'requested' (PostgreSQL) or waits
    for the write lock (SQLite); exactly one decision is recorded."""
    register(store)
    request = ask(store)
    decided = threading.Event()
    outcomes: dict[str, str] = {}

    def first() -> None:
        with store.transaction() as tx:
            decide_extension(tx, request_id=request, approve=True, actor="ubnd-tp",
                             agency="ubnd-tp", now=local(2024, 2, 18), source="test")
            decided.set()
            time.sleep(0.6)  # the second decision runs meanwhile
        outcomes["first"] = "approved"

    def second() -> None:
        decided.wait(10)
        try:
            with store.transaction() as tx:
                decide_extension(tx, request_id=request, approve=False, actor="ubnd-tp",
                                 agency="ubnd-tp", now=local(2024, 2, 18), source="test",
                                 reason="Không đồng ý")
            outcomes["second"] = "refused"
        except ReviewError as exc:
            outcomes["second"] = exc.kind

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert outcomes == {"first": "approved", "second": "already-decided"}
    with store.transaction() as tx:
        rows = list(tx.execute(select(ExtensionRow.state, ExtensionRow.decided_by)))
        decisions = tx.scalar(select(func.count()).select_from(EventRow).where(
            EventRow.kind.in_(("extension_approved", "extension_refused"))))
    assert rows == [("approved", "ubnd-tp")]
    assert decisions == 1


def test_an_approved_extension_survives_a_revision_of_the_deadline(store: Store) -> None:
    register(store)
    decide(store, ask(store), approve=True, due=dt.date(2024, 3, 1))
    data = spec_data()
    task = next(t for t in data["tasks"] if t["id"] == TASK)
    task["due"] = "Chậm nhất ngày 22/02/2024"
    diff = register(store, data)
    assert FINANCE in {iid for iid, _, _ in diff.due_changed}
    with store.transaction() as tx:
        rows = {r.id: (r.due_date, r.original_due_date) for r in tx.scalars(
            select(InstanceRow).where(InstanceRow.id.in_((FINANCE, HEALTH))))}
        assert verify_projection(tx, plan=PLAN) == []
    assert rows == {FINANCE: (dt.date(2024, 3, 1), dt.date(2024, 2, 22)),
                    HEALTH: (dt.date(2024, 2, 22), None)}


def test_an_extension_redates_the_tasks_due_relative_to_it_and_keeps_its_own_date(
        plan: Store) -> None:
    """rel-2024 (tests.test_relative): t2 is due 5 working days after t1, t3 10 days after t2."""
    def extend(instance: str, due: dt.date) -> None:
        with plan.transaction() as tx:
            asked = request_extension(tx, instance_id=instance, due=due, reason="x",
                                      actor="operator", agency=None, now=ASKED_ON,
                                      source="test")
            decide_extension(tx, request_id=asked.id, approve=True, actor="operator",
                             agency=None, now=ASKED_ON, source="test")

    extend(relative_iid("t1", "so-y-te"), dt.date(2024, 3, 1))
    assert relative_due(plan, "t2", "so-y-te")[0] == dt.date(2024, 3, 8)
    assert relative_due(plan, "t3", "so-y-te")[0] == dt.date(2024, 3, 18)
    extend(relative_iid("t2", "so-tu-phap"), dt.date(2024, 3, 5))
    assert relative_due(plan, "t3", "so-tu-phap")[0] == dt.date(2024, 3, 15)
    with plan.transaction() as tx:  # t1 done early: t2 keeps the date it was granted
        record_event(tx, event(relative_iid("t1", "so-tu-phap"), EventKind.COMPLETED,
                               local(2024, 2, 1)))
    assert relative_due(plan, "t2", "so-tu-phap")[0] == dt.date(2024, 3, 5)
    with plan.transaction() as tx:
        assert verify_projection(tx) == []
