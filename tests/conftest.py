"""Shared fixtures: the repo's paths, and one `store` fixture run on SQLite and PostgreSQL."""

from __future__ import annotations

import os

# Prefect reads its settings at import: quiet, patient with the first migration, no analytics
# (they cause "database is locked" on the harness's SQLite).
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "CRITICAL")
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

from engine.store.database import Store, open_store
from engine.store.schema import metadata

ROOT = Path(__file__).resolve().parent.parent
PLAN_SPECS = ROOT / "plan_specs"
PG_ADMIN = os.environ.get("KEHOACH_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
# Every table of the schema, dependents first, for TRUNCATE between PostgreSQL tests.
TABLES = tuple(t.name for t in reversed(metadata.sorted_tables))


def spec_path(name: str) -> Path:
    return PLAN_SPECS / name


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    name = f"kehoach_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True)
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL is required for the store tests ({PG_ADMIN}): {exc}")
    admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    yield f"{base}/{name}"
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture(scope="session")
def pg_store(pg_url: str) -> Iterator[Store]:
    store = open_store(url=pg_url)
    yield store
    store.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty, migrated store: a new SQLite file, or the session's PostgreSQL database."""
    if request.param == "sqlite":
        sqlite = open_store(url=f"sqlite:///{tmp_path / 'kehoach.db'}")
        yield sqlite
        sqlite.close()
        return
    pg: Store = request.getfixturevalue("pg_store")
    yield pg
    with pg.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
