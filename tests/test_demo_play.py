"""The demo's shortcut: it skips the sweep flow on a morning only if the sweep would find
nothing new there, and finding that out writes nothing. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from engine.core.status import Event, EventKind
from engine.demo.command import sweep_finds_something
from engine.store.database import Store
from engine.store.events import record_event
from engine.store.tables import InstanceRow
from engine.sweep.run import run_sweep
from tests.test_sweep_support import at, counts, register_seed


def test_the_dry_run_sees_what_the_sweep_would_reach_and_writes_nothing(store: Store) -> None:
    register_seed(store)
    assert sweep_finds_something(store, at(2024, 2, 6))
    assert counts(store) == (0, 0, 0)  # rolled back: no sweep, escalation or outbox row
    with store.transaction() as tx:
        reached = run_sweep(tx, now=at(2024, 2, 6)).escalations
    assert reached > 0


def test_a_morning_already_swept_has_nothing_new(store: Store) -> None:
    register_seed(store)
    with store.transaction() as tx:
        run_sweep(tx, now=at(2024, 2, 6))
    # Swept already: the same morning has nothing new, so the demo may skip it.
    assert not sweep_finds_something(store, at(2024, 2, 6, hour=9))


def test_a_morning_whose_levels_all_belong_to_done_work_is_skipped(store: Store) -> None:
    register_seed(store)
    with store.transaction() as tx:
        early = tx.scalars(select(InstanceRow.id).where(
            InstanceRow.due_date <= dt.date(2024, 2, 20))).all()
        assert early  # the reminders of 06/02 are for these
        for instance in early:
            record_event(tx, Event(instance, EventKind.COMPLETED, at(2024, 2, 1), "tester",
                                   "test"))
    assert not sweep_finds_something(store, at(2024, 2, 6))
    with store.transaction() as tx:  # the sweep itself agrees
        assert run_sweep(tx, now=at(2024, 2, 6)).escalations == 0
