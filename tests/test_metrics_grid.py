"""The grids the dashboard reads (engine.store.metrics.rollup_grid: several keys from one
scan, cells added up in Python) give exactly the figures of the plain one-key rollups, on
both stores: rows by each key, the total, the heat map's agency-by-month cells, and the
dashboard built from them. Over the seeded random year of tests/test_metrics.py (every
status, lateness, targets, waivers), at a window's end and mid-window.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from engine.store.database import Store
from engine.store.metrics import MetricRow, end_of_window, rollup, rollup_grid, window
from engine.store.schema import metadata
from engine.web.dashboard import build_dashboard
from tests.test_metrics import play_a_year
from tests.test_store import HN, PLAN, register

PERIODS = ("2024-Q1", "2024-H1", "2024-9M", "2024")
AS_OF = pytest.mark.parametrize("as_of", [None, dt.datetime(2024, 7, 10, 14, 30, tzinfo=HN)],
                                ids=["end of window", "10 July"])


@pytest.fixture
def played(store: Store) -> Store:
    register(store)
    play_a_year(store)
    return store


def figures(rows: list[MetricRow]) -> list[dict[str, Any]]:
    return [m.to_json() for m in rows]


def plain(tx: Session, period: str, by: str, as_of: dt.datetime) -> list[dict[str, Any]]:
    return figures(rollup(tx, plan=PLAN, period=period, by=by, as_of=as_of))


def at(period: str, as_of: dt.datetime | None) -> dt.datetime:
    return as_of or end_of_window(window(2024, period), HN)


@AS_OF
def test_grids_by_several_keys_give_each_key_s_rollup_and_the_plan_total(
        played: Store, as_of: dt.datetime | None) -> None:
    with played.transaction() as tx:
        for period in PERIODS:
            moment = at(period, as_of)
            work = rollup_grid(tx, plan=PLAN, period=period, by=("task", "period"), as_of=moment)
            agencies = rollup_grid(tx, plan=PLAN, period=period, by=("agency",), as_of=moment)
            assert figures(work.per(0)) == plain(tx, period, "task", moment), period
            assert figures(work.per(1)) == plain(tx, period, "period", moment), period
            assert figures(agencies.per(0)) == plain(tx, period, "agency", moment), period
            total = plain(tx, period, "plan", moment)
            for grid in (work, agencies):
                assert grid.total is not None and [grid.total.to_json()] == total, period


@AS_OF
def test_the_heat_map_s_agency_by_month_cells_are_each_month_s_rollup(
        played: Store, as_of: dt.datetime | None) -> None:
    with played.transaction() as tx:
        moment = at("2024-H1", as_of)
        lagging = [m.key for m in rollup(tx, plan=PLAN, period="2024-H1", as_of=moment)][:5]
        grid = rollup_grid(tx, plan=PLAN, period="2024-H1", by=("agency", "month"),
                           as_of=moment, only=lagging)
        compared = 0
        for month in (f"2024-{m:02d}" for m in range(1, 7)):
            want = {row["key"]: row for row in plain(tx, month, "agency", moment)}
            for agency in lagging:
                cell = grid.cell(agency, month)
                assert (cell.to_json() if cell else None) == want.get(agency), (agency, month)
                compared += cell is not None
        assert compared >= 10  # the seed plan's agencies have work due in most months


@AS_OF
def test_the_dashboard_shows_the_plain_rollups(played: Store,
                                               as_of: dt.datetime | None) -> None:
    with played.transaction() as tx:
        for period in PERIODS:
            moment = at(period, as_of)
            board = build_dashboard(tx, plan=PLAN, period=period, now=moment)
            assert [board.total.to_json()] == plain(tx, period, "plan", moment)
            assert figures([m for _, _, m in board.agencies]) == plain(tx, period, "agency",
                                                                       moment)
            assert figures([m for _, _, m in board.by_task]) == plain(tx, period, "task", moment)
            assert sorted(figures(board.by_period), key=lambda r: r["key"]) == sorted(
                plain(tx, period, "period", moment), key=lambda r: r["key"])
            lates = [m.median_days_late for _, _, m in board.agencies]
            assert any(lates), period  # the comparison covers real medians


def test_registration_leaves_the_schema_the_migrations_build(store: Store) -> None:
    # On SQLite a first registration builds the covering indexes after its bulk insert.
    register(store)
    with store.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), metadata)
        indexes = {i["name"] for i in inspect(connection).get_indexes("instances")}
    assert diff == []
    assert {"ix_instances_agency_figures", "ix_instances_task_figures"} <= indexes
