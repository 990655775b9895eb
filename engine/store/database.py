"""The engine's database: open it, create and migrate its schema, and hand out transactions.

Callers own the transaction (`with store.transaction() as tx:`); the functions of the other
engine.store modules take the session as their first argument and speak domain values.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from engine.settings import Settings

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class Store:
    """A database engine plus a session factory; one per process."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error."""
        with self._sessions.begin() as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()


def open_store(settings: Settings | None = None, *, url: str | None = None,
               migrate: bool = True) -> Store:
    """Open the configured database, creating and migrating it on first use."""
    settings = settings or Settings()
    url = url or settings.resolved_database_url()
    engine = _create_engine(url)
    if migrate:
        upgrade(engine)
    return Store(engine)


def json_text(value: Any) -> str:
    """`value` as the store writes a JSON column."""
    # JSON columns (the outbox's digests: ~30 MB in a national plan's first sweep) through
    # orjson, 4x faster than the json module; compact, with Vietnamese as UTF-8, not \u escapes.
    return orjson.dumps(value).decode()


def _create_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, json_serializer=json_text)
        event.listen(engine, "connect", _sqlite_pragmas)
        engine.dialect.do_begin = _sqlite_begin  # type: ignore[method-assign]
        return engine
    return create_engine(url, pool_pre_ping=True, json_serializer=json_text)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin (see below).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")      # readers never block the writer
    cursor.execute("PRAGMA synchronous=NORMAL")    # durable at checkpoints; safe with WAL
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(dbapi_connection: Any) -> None:
    # IMMEDIATE takes the write lock up front, so two writers queue instead of one failing
    # half-way with "database is locked" when it upgrades a read lock. The dialect's own
    # begin, not a "begin" event listener: any engine event makes every statement dispatch
    # the (empty) execute and cursor events too.
    dbapi_connection.execute("BEGIN IMMEDIATE")


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration (a no-op when it is already there)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Feature branches (API, escalation) each add their own migration branch off the
    # initial schema, so there may be several heads: apply them all.
    heads = set(ScriptDirectory.from_config(config).get_heads())
    with engine.connect() as connection:
        if set(MigrationContext.configure(connection).get_current_heads()) == heads:
            return
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        log.info("migrating %s to schema %s", engine.url.render_as_string(), sorted(heads))
        command.upgrade(config, "heads")


def utc_now() -> dt.datetime:
    """The current time, aware, in UTC (shells only: the core takes `now` as an argument)."""
    return dt.datetime.now(dt.UTC)
