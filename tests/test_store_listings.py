"""The long listings of the pages, paged in SQL on SQLite and PostgreSQL: the review queue
(engine.store.review_queue) and the outbox (engine.mail.dispatch)."""

from __future__ import annotations

from sqlalchemy import select

from engine.mail.dispatch import count_outbox, list_outbox, outbox_recipients
from engine.store.database import Store
from engine.store.review import pending_extensions, pending_reviews, submit_completion
from engine.store.review_queue import (
    COMPLETIONS,
    EXTENSIONS,
    QueueFilter,
    count_queue,
    queue_scope,
    read_queue,
)
from engine.store.tables import InstanceRow
from engine.store.tables_escalation import OutboxRow
from engine.sweep.run import run_sweep
from tests.test_review_store import TASK, ask
from tests.test_store import PLAN, local, register
from tests.test_sweep_support import at


def pending_queue(store: Store) -> list[str]:
    """Every ban-hanh-ke-hoach instance reported done but two; the two ask for more time."""
    with store.transaction() as tx:
        ids = list(tx.scalars(select(InstanceRow.id).where(InstanceRow.task_id == TASK)
                              .order_by(InstanceRow.id)))
    asking, done = ids[:2], ids[2:]
    with store.transaction() as tx:
        for instance in done:
            submit_completion(tx, instance_id=instance, at=local(2024, 2, 15), actor="x",
                              source="test")
    for instance in asking:
        ask(store, instance, agency=instance.split(":")[2])
    return asking


def test_the_queue_pages_extensions_first_then_completions_in_sql(store: Store) -> None:
    register(store)
    pending_queue(store)
    with store.transaction() as tx:
        scope = queue_scope(tx, decider=None)
        everything = QueueFilter()
        counts = count_queue(tx, scope, filters=everything)
        pages = [read_queue(tx, scope, filters=everything, counts=counts, offset=o, limit=20)
                 for o in (0, 20, 40)]
        wanted_reviews = [r.instance_id for r in pending_reviews(tx)]
        wanted_extensions = [x.id for x in pending_extensions(tx)]
    assert (counts.extensions, counts.reviews, counts.total(None)) == (2, 49, 51)
    assert [len(p.extensions) + len(p.reviews) for p in pages] == [20, 20, 11]
    assert [x.id for x in pages[0].extensions] == wanted_extensions  # first, oldest first
    assert [r.instance_id for p in pages for r in p.reviews] == wanted_reviews  # no repeat


def test_the_queue_filters_by_kind_plan_and_lead(store: Store) -> None:
    register(store)
    asking = pending_queue(store)
    lead = asking[0].split(":")[2]
    with store.transaction() as tx:
        scope = queue_scope(tx, decider=None)
        only_asks = QueueFilter(kind=EXTENSIONS)
        counts = count_queue(tx, scope, filters=only_asks)
        asks = read_queue(tx, scope, filters=only_asks, counts=counts, offset=0, limit=50)
        done = QueueFilter(kind=COMPLETIONS, plan=PLAN)
        second = read_queue(tx, scope, filters=done, counts=count_queue(tx, scope, filters=done),
                            offset=40, limit=50)
        of_lead = QueueFilter(agency=lead)
        lead_counts = count_queue(tx, scope, filters=of_lead)
        nobody = queue_scope(tx, decider="so-y-te")  # reviews nothing, approves nothing
        none = count_queue(tx, nobody, filters=everything_of(PLAN))
    assert [x.instance_id for x in asks.extensions] == asking and asks.reviews == []
    assert second.extensions == [] and len(second.reviews) == 9
    assert (lead_counts.extensions, lead_counts.reviews) == (1, 0)
    assert none.total(None) == 0


def everything_of(plan: str) -> QueueFilter:
    return QueueFilter(plan=plan)


def test_the_outbox_pages_newest_first_by_state_and_recipient_with_names(store: Store) -> None:
    register(store)
    with store.transaction() as tx:
        run_sweep(tx, now=at(2024, 2, 6))
        run_sweep(tx, now=at(2024, 2, 21))
        total = count_outbox(tx)
        rows = list(tx.scalars(select(OutboxRow).order_by(OutboxRow.id.desc())))
        first = list_outbox(tx, newest_first=True, limit=10)
        second = list_outbox(tx, newest_first=True, offset=10, limit=10)
        names = outbox_recipients(tx)
        one = rows[0].recipient
        of_one = list_outbox(tx, recipient=one, status="queued")
        counted = count_outbox(tx, recipient=one, status="queued")
        sent = count_outbox(tx, status="sent")
    assert total == len(rows) > 20
    assert [e.id for e in first + second] == [r.id for r in rows[:20]]
    assert all(e.recipient_name == r.payload["recipient"]["name"]
               for e, r in zip(first, rows[:10], strict=True))
    assert names[one] == rows[0].payload["recipient"]["name"] != one
    assert len(of_one) == counted == sum(r.recipient == one for r in rows) and sent == 0
