"""engine.store.driver: statements on the bare driver read and write what SQLAlchemy would."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest
from sqlalchemy import bindparam, delete, insert, select

from engine.store.database import Store, open_store
from engine.store.driver import Connections, Prepared, cursor_of
from engine.store.tables import EventRow, WorkdayRow

HN = ZoneInfo("Asia/Ho_Chi_Minh")
AT = dt.datetime(2024, 2, 20, 23, 30, 15, 123456, tzinfo=HN)  # 16:30:15 UTC, same day
COLUMNS = ("plan_id", "instance_id", "kind", "at", "recorded_at", "actor", "source", "count",
           "evidence_url", "note", "reason")
ADD_EVENT = Prepared(insert(EventRow).values({c: bindparam(c) for c in COLUMNS}))
READ_EVENT = Prepared(select(EventRow.instance_id, EventRow.at, EventRow.count, EventRow.note)
                      .where(EventRow.instance_id == bindparam("instance_id")))
FIRST_DAY = Prepared(select(WorkdayRow.day).where(WorkdayRow.plan_id == bindparam("plan"))
                     .order_by(WorkdayRow.day).limit(1))
ADD_DAY = Prepared(insert(WorkdayRow).values(plan_id=bindparam("plan"), day=bindparam("day"),
                                             ordinal=bindparam("ordinal")))


def event(instance_id: str, **changes: object) -> dict[str, object]:
    values: dict[str, object] = {
        "plan_id": "p", "instance_id": instance_id, "kind": "completed", "at": AT,
        "recorded_at": AT, "actor": "so-noi-vu", "source": "webhook", "count": None,
        "evidence_url": None, "note": "Đã nộp báo cáo", "reason": None}
    return {**values, **changes}


def test_values_written_on_the_driver_read_back_the_same_through_the_orm(store: Store) -> None:
    with store.connections.transaction() as cursor:
        cursor.execute(ADD_EVENT, event("a"))
    with store.transaction() as tx:
        row = tx.scalars(select(EventRow).where(EventRow.instance_id == "a")).one()
        # Aware in, aware UTC out, to the microsecond, on both stores.
        assert row.at == AT and row.at.utcoffset() == dt.timedelta(0)
        assert (row.note, row.count) == ("Đã nộp báo cáo", None)
        tx.add(EventRow(**event("b", at=AT + dt.timedelta(days=1), count=3)))
    with store.connections.reading() as cursor:
        assert cursor.first(READ_EVENT, {"instance_id": "b"}) == (
            "b", AT + dt.timedelta(days=1), 3, "Đã nộp báo cáo")
        assert cursor.first(READ_EVENT, {"instance_id": "missing"}) is None


def test_naive_datetimes_are_refused_as_through_the_orm(store: Store) -> None:
    with (pytest.raises(ValueError, match="naive datetime"),
          store.connections.transaction() as cursor):
        cursor.execute(ADD_EVENT, event("a", at=dt.datetime(2024, 2, 20, 9, 0)))
    with store.transaction() as tx:
        assert tx.scalars(select(EventRow)).all() == []


def test_values_fixed_in_the_statement_and_dates(store: Store) -> None:
    with store.connections.transaction() as cursor:
        for ordinal, day in enumerate((dt.date(2024, 3, 4), dt.date(2024, 1, 2))):
            cursor.execute(ADD_DAY, {"plan": "p", "day": day, "ordinal": ordinal})
        assert cursor.scalar(FIRST_DAY, {"plan": "p"}) == dt.date(2024, 1, 2)  # LIMIT 1


def test_an_error_rolls_the_whole_transaction_back(store: Store) -> None:
    with store.connections.transaction() as cursor:
        cursor.execute(ADD_DAY, {"plan": "p", "day": dt.date(2024, 1, 2), "ordinal": 0})
    with pytest.raises(Exception) as caught, store.connections.transaction() as cursor:
        cursor.execute(ADD_DAY, {"plan": "p", "day": dt.date(2024, 1, 3), "ordinal": 1})
        cursor.execute(ADD_DAY, {"plan": "p", "day": dt.date(2024, 1, 2), "ordinal": 2})
    assert isinstance(caught.value, cursor.IntegrityError)  # the driver's own class
    with store.transaction() as tx:
        assert tx.scalars(select(WorkdayRow.ordinal)).all() == [0]


def test_a_cursor_inside_a_session_shares_its_transaction(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction() as tx:
        cursor_of(tx).execute(ADD_DAY, {"plan": "p", "day": dt.date(2024, 1, 2), "ordinal": 0})
        assert tx.scalars(select(WorkdayRow.ordinal)).all() == [0]
        raise RuntimeError("roll back")
    with store.transaction() as tx:
        assert tx.scalars(select(WorkdayRow.ordinal)).all() == []


def kill(store: Store, pid: int) -> None:
    with store.engine.connect() as connection:
        connection.exec_driver_sql(f"SELECT pg_terminate_backend({pid})")


def test_connections_are_reused_and_a_dead_one_is_replaced(pg_store: Store) -> None:
    connections = Connections(pg_store.engine, ping_after=0.0)  # ping before every use
    try:
        with connections.reading() as cursor:
            cursor.raw.execute("SELECT pg_backend_pid()")
            first = cursor.raw.fetchone()[0]
        with connections.reading() as cursor:
            cursor.raw.execute("SELECT pg_backend_pid()")
            assert cursor.raw.fetchone()[0] == first  # the same connection, kept
        kill(pg_store, first)  # e.g. PostgreSQL restarted while the API was idle
        with connections.transaction() as cursor:  # pinged, found dead, replaced
            cursor.execute(ADD_DAY, {"plan": "p", "day": dt.date(2024, 1, 2), "ordinal": 0})
            cursor.raw.execute("SELECT pg_backend_pid()")
            assert cursor.raw.fetchone()[0] != first
    finally:
        connections.close()
    with pg_store.transaction() as tx:
        assert tx.scalars(select(WorkdayRow.ordinal)).all() == [0]
        tx.execute(delete(WorkdayRow))


def test_a_connection_that_dies_in_use_is_dropped_not_kept(pg_store: Store) -> None:
    connections = Connections(pg_store.engine, ping_after=3600.0)  # no ping: fail in use
    try:
        with connections.reading() as cursor:
            cursor.raw.execute("SELECT pg_backend_pid()")
            first = cursor.raw.fetchone()[0]
        kill(pg_store, first)
        with pytest.raises(psycopg.OperationalError), connections.reading() as cursor:
            cursor.raw.execute("SELECT 1")
        with connections.reading() as cursor:  # the next use gets a new connection
            cursor.raw.execute("SELECT pg_backend_pid()")
            assert cursor.raw.fetchone()[0] != first
    finally:
        connections.close()


# --- group commit (SQLite writers on an event loop) ---------------------------------------
def sqlite_store(tmp_path: Path) -> Store:
    return open_store(url=f"sqlite:///{tmp_path / 'kehoach.db'}")


def ordinals(store: Store) -> list[int]:
    with store.transaction() as tx:
        return list(tx.scalars(select(WorkdayRow.ordinal).order_by(WorkdayRow.ordinal)))


async def add_day(store: Store, ordinal: int, *, fail: bool = False) -> asyncio.Future[None]:
    """A writer as the webhook's: grouped change, then await the group's commit."""
    with store.connections.grouped() as cursor:
        cursor.execute(ADD_DAY, {"plan": "p", "day": dt.date(2024, 1, 1 + ordinal),
                                 "ordinal": ordinal})
        if fail:
            raise ValueError("refused")
    committed = store.connections.committed()
    await committed
    return committed


def test_writers_of_one_loop_turn_share_a_commit_and_fail_alone(tmp_path: Path) -> None:
    store = sqlite_store(tmp_path)

    async def main() -> list[Any]:
        return await asyncio.gather(add_day(store, 0), add_day(store, 1, fail=True),
                                    add_day(store, 2), return_exceptions=True)
    first, refused, third = asyncio.run(main())
    assert first is third  # one commit for the turn
    assert isinstance(refused, ValueError)
    assert ordinals(store) == [0, 2]  # the refused writer's row only was rolled back
    store.close()


def test_a_failed_group_commit_fails_every_writer_and_keeps_nothing(tmp_path: Path) -> None:
    store = sqlite_store(tmp_path)
    with store.engine.begin() as connection:  # a check SQLite makes only at COMMIT
        connection.exec_driver_sql("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
        connection.exec_driver_sql("CREATE TABLE child (parent INTEGER REFERENCES parent(id) "
                                   "DEFERRABLE INITIALLY DEFERRED)")

    async def breaks_the_commit() -> None:
        with store.connections.grouped() as cursor:
            cursor.raw.execute("INSERT INTO child VALUES (42)")
        await store.connections.committed()

    async def main() -> list[Any]:
        return await asyncio.gather(add_day(store, 0), breaks_the_commit(),
                                    return_exceptions=True)
    results = asyncio.run(main())
    assert all(isinstance(r, sqlite3.IntegrityError) for r in results), results
    assert ordinals(store) == []
    asyncio.run(add_day(store, 1))  # the connection was not left in the failed transaction
    assert ordinals(store) == [1]
    store.close()


def test_a_session_opened_during_a_group_commits_it_first(tmp_path: Path) -> None:
    store = sqlite_store(tmp_path)

    async def main() -> None:
        with store.connections.grouped() as cursor:
            cursor.execute(ADD_DAY, {"plan": "p", "day": dt.date(2024, 1, 2), "ordinal": 0})
        committed = store.connections.committed()
        # e.g. the security log written for a refused request of the same turn: without the
        # flush it would wait for the group's write lock, which waits for this very loop
        assert ordinals(store) == [0] and committed.done()
        await committed

    asyncio.run(asyncio.wait_for(main(), timeout=10))
    store.close()


def test_a_group_rolled_back_by_sqlite_is_reported_to_every_writer(tmp_path: Path) -> None:
    """SQLite rolls a whole transaction back on some errors (disk full): the writers already
    in the group must hear of it, not be told their change was committed."""
    store = sqlite_store(tmp_path)

    async def hits_a_disk_error() -> None:
        with store.connections.grouped() as cursor:
            cursor.raw.execute("ROLLBACK")  # what SQLite does itself on SQLITE_FULL
            raise sqlite3.OperationalError("database or disk is full")

    async def main() -> list[Any]:
        return await asyncio.gather(add_day(store, 0), hits_a_disk_error(), add_day(store, 1),
                                    return_exceptions=True)
    before, failing, after = asyncio.run(main())
    assert isinstance(before, sqlite3.OperationalError), before
    assert isinstance(failing, sqlite3.OperationalError)
    assert isinstance(after, sqlite3.OperationalError), after
    assert ordinals(store) == []
    store.close()

