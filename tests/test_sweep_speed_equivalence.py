"""The sweep's faster paths write what the plain ones would, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import orjson
import pytest
import yaml
from sqlalchemy import Text, cast, insert, select

from engine.core.digest import Digest
from engine.core.escalation import OpenInstance, decide_escalations
from engine.store.database import Store
from engine.store.tables import InstanceRow, PlanRow
from engine.store.tables_escalation import EscalationRow, OutboxRow
from engine.sweep.run import _load_plan, run_sweep
from tests.test_sweep_support import (
    PLAN,
    SPEC,
    at,
    clean_escalation_tables,
    register_seed,
)

OUTBOX_TEXT = (OutboxRow.sweep_id, OutboxRow.message_id, OutboxRow.recipient,
               OutboxRow.subject, cast(OutboxRow.to_addrs, Text),
               cast(OutboxRow.cc_addrs, Text), cast(OutboxRow.payload, Text),
               OutboxRow.status, OutboxRow.attempts, cast(OutboxRow.queued_at, Text))


@pytest.fixture
def seeded(store: Store) -> Iterator[Store]:
    register_seed(store)
    yield store
    clean_escalation_tables(store)


def decided_flags(store: Store, *, sweep_id: int, now_day: tuple[int, int, int]
                  ) -> tuple[set[tuple[str, str, bool]], set[tuple[str, str, bool]]]:
    """(what sweep `sweep_id` recorded, what the pure core decides given the earlier rows)."""
    with store.transaction() as tx:
        rows = tx.execute(select(EscalationRow.instance_id, EscalationRow.level,
                                 EscalationRow.notified, EscalationRow.sweep_id)).all()
        plan = _load_plan(tx, tx.get_one(PlanRow, PLAN))
        instances = [OpenInstance(r.id, r.task_id, r.agency_id, r.due_date, r.completed_at,
                                  r.waived_at) for r in tx.scalars(select(InstanceRow))]
    told = {(r.instance_id, r.level) for r in rows if r.sweep_id < sweep_id}
    decided = decide_escalations(instances, plan=plan.context, told=told, now=at(*now_day))
    return ({(r.instance_id, r.level, bool(r.notified)) for r in rows if r.sweep_id == sweep_id},
            {(e.instance_id, e.level.name, e.notify) for e in decided})


def test_only_the_highest_new_level_is_notified_when_lower_ones_were_told_before(
        seeded: Store) -> None:
    # 21/02 tells the reminders and the overdue of the tasks due 20/02; 02/04 reaches the
    # reminder and overdue of March's tasks at once, and urge of February's.
    for day in ((2024, 2, 21), (2024, 4, 2)):
        with seeded.transaction() as tx:
            sweep_id = run_sweep(tx, now=at(*day)).sweep_id
    recorded, decided = decided_flags(seeded, sweep_id=sweep_id, now_day=(2024, 4, 2))
    assert recorded == decided
    assert {n for _, _, n in recorded} == {True, False}


def test_a_level_added_below_a_told_one_is_notified(seeded: Store) -> None:
    with seeded.transaction() as tx:
        run_sweep(tx, now=at(2024, 3, 12))  # every level of the tasks due 20/02, told
    data = yaml.safe_load(SPEC.read_text("utf-8"))
    data["plan"]["escalation"] = [
        {"name": "reminder", "offset_working_days": -5, "to": ["lead"]},
        {"name": "bao-van-phong", "offset_working_days": 3, "to": ["agency:vp-ubnd-tp"],
         "cc": ["lead"]},
        {"name": "urge", "offset_working_days": 5, "to": ["lead"], "cc": ["monitor"]}]
    register_seed(seeded, yaml.safe_dump(data, allow_unicode=True))
    with seeded.transaction() as tx:
        sweep_id = run_sweep(tx, now=at(2024, 3, 13)).sweep_id
    recorded, decided = decided_flags(seeded, sweep_id=sweep_id, now_day=(2024, 3, 13))
    assert recorded == decided
    assert any(level == "bao-van-phong" and notified for _, level, notified in recorded)


def test_the_outbox_rows_are_what_the_json_type_would_write(seeded: Store) -> None:
    """The sweep hands the driver its JSON columns serialized and its times converted; a
    plain Core insert of the same values through the column types writes the same text."""
    with seeded.transaction() as tx:
        run_sweep(tx, now=at(2024, 2, 21))
    with seeded.transaction() as tx:
        queued = [tuple(r) for r in tx.execute(select(*OUTBOX_TEXT).order_by(OutboxRow.id))]
        again = [{"sweep_id": sweep_id, "message_id": f"again-{message_id}",
                  "recipient": recipient, "subject": subject, "to_addrs": orjson.loads(to),
                  "cc_addrs": orjson.loads(cc), "payload": orjson.loads(payload),
                  "status": status, "attempts": attempts,
                  "queued_at": at(2024, 2, 21)}
                 for sweep_id, message_id, recipient, subject, to, cc, payload, status,
                 attempts, _ in queued]
        tx.execute(insert(OutboxRow.__table__), again)  # type: ignore[arg-type]
    with seeded.transaction() as tx:
        written = [tuple(r) for r in tx.execute(
            select(*OUTBOX_TEXT).where(OutboxRow.message_id.startswith("again-"))
            .order_by(OutboxRow.id))]
    assert len(queued) > 10
    assert written == [(r[0], f"again-{r[1]}", *r[2:]) for r in queued]


def test_the_payload_is_the_digests_to_json(seeded: Store) -> None:
    with seeded.transaction() as tx:
        run_sweep(tx, now=at(2024, 3, 12))
    with seeded.transaction() as tx:
        payloads = list(tx.scalars(select(cast(OutboxRow.payload, Text))))
    assert payloads
    for text in payloads:
        digest = Digest.from_json(orjson.loads(text))
        assert text == orjson.dumps(digest.to_json()).decode()
