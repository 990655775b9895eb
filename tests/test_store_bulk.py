"""engine.store.bulk: values converted once per distinct value, exactly as one by one."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select

from engine.store.bulk import _converter, bulk_insert, native_rows
from engine.store.database import Store
from engine.store.tables import InstanceRow

HN = ZoneInfo("Asia/Ho_Chi_Minh")
COLUMNS = ("id", "plan_id", "task_id", "agency_id", "period", "printed_due", "due_date",
           "due_at", "target", "progress")


def rows() -> list[tuple[object, ...]]:
    """Instances sharing deadlines, given in two time zones, with undated ones."""
    due = dt.datetime(2024, 2, 20, 23, 59, 59, tzinfo=HN)
    same_in_utc = due.astimezone(dt.UTC)
    out: list[tuple[object, ...]] = []
    for n in range(6):
        at = (due, same_in_utc, None)[n % 3]
        day = at.astimezone(HN).date() if at else None
        out.append((f"p:t:a{n}:2024", "p", "t", f"a{n}", "2024", day, day, at, n or None, 0))
    return out


def test_native_rows_convert_like_one_value_at_a_time() -> None:
    for sqlite in (True, False):
        convert = [_converter(InstanceRow.__table__.c[c].type, sqlite=sqlite) for c in COLUMNS]
        one_by_one = [tuple(f(v) if f and v is not None else v
                            for f, v in zip(convert, row, strict=True)) for row in rows()]
        assert native_rows(rows(), convert) == one_by_one
    assert native_rows([], [None]) == []


def test_bulk_inserted_rows_read_back_as_written(store: Store) -> None:
    with store.transaction() as tx:
        bulk_insert(tx, InstanceRow.__table__, COLUMNS, rows())
    with store.transaction() as tx:
        back = tx.execute(select(*(InstanceRow.__table__.c[c] for c in COLUMNS))
                          .order_by(InstanceRow.id)).all()
    assert [tuple(r) for r in back] == rows()
