"""Hot-path statements run on the bare DB-API cursor, with SQLAlchemy's own type conversions.

A webhook completion runs about six short statements. Through SQLAlchemy's execution
machinery (cache key, execution context, events, result object) each costs 50-90 µs of
Python, against ~10 µs for the driver call itself, so that machinery was most of a
completion's cost (bench/webhook.py). Here a statement is still written with SQLAlchemy and
compiled by it, once per dialect; its parameters and results still pass through the column
types' processors (UTC datetimes, dates stored as text on SQLite), so rows read or written
here are the same as through a Session. Only the per-execution machinery is skipped.

Use it for statements on a hot path, not by default: `Prepared` takes only bound
parameters (no expanding IN lists), and nothing here autoflushes an ORM session.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Engine
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

Processor = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    order: tuple[str, ...] | None            # parameter names in order; None: named style
    binds: tuple[tuple[str, Processor], ...]  # names whose values need converting
    fixed: dict[str, Any]                     # values written into the statement (LIMIT 1)
    results: tuple[Processor | None, ...]     # per result column


class Prepared:
    """A statement compiled once per dialect, with its parameter and result converters."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._by_dialect: dict[str, _Compiled] = {}

    def compiled(self, dialect: Dialect) -> _Compiled:
        found = self._by_dialect.get(dialect.name)
        if found is None:
            found = self._by_dialect[dialect.name] = self._compile(dialect)
        return found

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = cast(SQLCompiler, self.statement.compile(dialect=dialect))
        binds, fixed = [], {}
        for name, parameter in compiled.binds.items():
            process = parameter.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                binds.append((name, process))
            if not parameter.required:
                fixed[name] = parameter.effective_value
        columns = getattr(self.statement, "selected_columns", ())
        results = tuple(c.type.dialect_impl(dialect).result_processor(dialect, None)
                        for c in columns)
        order = tuple(compiled.positiontup or ()) if compiled.positional else None
        return _Compiled(compiled.string, order, tuple(binds), fixed, results)


class Cursor:
    """A DB-API cursor in a transaction someone else begins and ends."""

    def __init__(self, dialect: Dialect, cursor: Any) -> None:
        self.dialect = dialect
        self.raw = cursor
        # The driver's own exception for a unique or foreign key violation.
        self.IntegrityError: type[Exception] = dialect.loaded_dbapi.IntegrityError

    def execute(self, statement: Prepared, params: Mapping[str, Any] | None = None) -> int:
        """Run `statement`; returns the driver's rowcount."""
        self._execute(statement.compiled(self.dialect), params or {})
        rowcount: int = self.raw.rowcount
        return rowcount

    def first(self, statement: Prepared, params: Mapping[str, Any] | None = None,
              ) -> tuple[Any, ...] | None:
        """The first row of `statement`, converted by its columns' types, or None."""
        compiled = statement.compiled(self.dialect)
        self._execute(compiled, params or {})
        row = self.raw.fetchone()
        if row is None:
            return None
        return tuple(v if p is None or v is None else p(v)
                     for p, v in zip(compiled.results, row, strict=True))

    def scalar(self, statement: Prepared, params: Mapping[str, Any] | None = None) -> Any:
        """The first column of the first row, or None."""
        row = self.first(statement, params)
        return None if row is None else row[0]

    def _execute(self, compiled: _Compiled, params: Mapping[str, Any]) -> None:
        if compiled.fixed:
            params = {**compiled.fixed, **params}
        if compiled.binds:
            params = dict(params)
            for name, process in compiled.binds:
                if name in params:
                    params[name] = process(params[name])
        if compiled.order is None:
            self.raw.execute(compiled.sql, params)
        else:
            self.raw.execute(compiled.sql, tuple(params[n] for n in compiled.order))


def cursor_of(session: Session) -> Cursor:
    """A driver cursor inside `session`'s transaction (begun here if it was not yet)."""
    connection = session.connection()
    driver: Any = connection.connection.driver_connection
    return Cursor(connection.dialect, driver.cursor())


@contextmanager
def transaction(engine: Engine) -> Iterator[Cursor]:
    """One transaction on a pooled connection, without a Session: committed on success,
    rolled back on any error. On SQLite it begins IMMEDIATE (the write lock up front), as
    the store's sessions do."""
    pooled = engine.raw_connection()
    try:
        driver: Any = pooled.driver_connection
        cursor = driver.cursor()
        if engine.dialect.name == "sqlite":
            cursor.execute("BEGIN IMMEDIATE")
        try:
            yield Cursor(engine.dialect, cursor)
        except BaseException:
            driver.rollback()
            raise
        driver.commit()
    finally:
        pooled.close()  # back to the pool


@contextmanager
def reading(engine: Engine) -> Iterator[Cursor]:
    """A cursor on a pooled connection in autocommit, for a single read outside any
    transaction (no BEGIN: on SQLite the store's BEGIN IMMEDIATE would take the write lock)."""
    pooled = engine.raw_connection()
    try:
        driver: Any = pooled.driver_connection
        autocommit = getattr(driver, "autocommit", None)
        if autocommit is False:  # psycopg; sqlite3 connections are left in autocommit already
            driver.autocommit = True
        try:
            yield Cursor(engine.dialect, driver.cursor())
        finally:
            if autocommit is False:
                driver.autocommit = False
    finally:
        pooled.close()  # back to the pool
