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

import time
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


class Connections:
    """Driver connections of one engine for the hot path, kept between uses.

    SQLAlchemy's pool costs ~15 µs to check a connection out and as much to check it in
    (queue, events, a reset ROLLBACK), two of each per delivery; here it is a list pop and
    append (atomic under the GIL, so threads can share it). Connections come from the
    engine, so its connect hooks ran (SQLite's pragmas), and are then detached from its pool.
    One left idle longer than `ping_after` seconds is pinged before use, as the engine's
    pre-ping would (a restarted PostgreSQL); one whose error the dialect calls a disconnect
    is closed instead of kept.
    """

    def __init__(self, engine: Engine, *, keep: int = 20, ping_after: float = 5.0) -> None:
        self.engine = engine
        self.dialect = engine.dialect
        self._keep = keep
        self._ping_after = ping_after
        self._idle: list[_Held] = []
        self._sqlite = engine.dialect.name == "sqlite"

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        """One transaction: committed on success, rolled back on any error. On SQLite it
        begins IMMEDIATE (the write lock up front), as the store's sessions do."""
        with self._connection() as driver:
            cursor = driver.cursor()
            if self._sqlite:
                cursor.execute("BEGIN IMMEDIATE")
            try:
                yield Cursor(self.dialect, cursor)
            except BaseException:
                driver.rollback()
                raise
            driver.commit()

    @contextmanager
    def reading(self) -> Iterator[Cursor]:
        """A cursor in autocommit, for a single read outside any transaction (no BEGIN: on
        SQLite the store's BEGIN IMMEDIATE would take the write lock)."""
        with self._connection() as driver:
            if self._sqlite:  # the store's connections are in autocommit between BEGINs
                yield Cursor(self.dialect, driver.cursor())
                return
            driver.autocommit = True
            try:
                yield Cursor(self.dialect, driver.cursor())
            finally:
                driver.autocommit = False

    def close(self) -> None:
        """Close every idle connection (those in use are closed when given back)."""
        self._keep = 0
        while self._idle:
            self._idle.pop().close()

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        held = self._take()
        try:
            yield held.driver
        except BaseException as exc:
            # Interrupted (KeyboardInterrupt...), or the connection is gone: not kept.
            broken = not isinstance(exc, Exception) or (
                isinstance(exc, self.dialect.loaded_dbapi.Error)
                and self.dialect.is_disconnect(exc, held.driver, None))
            if broken:
                held.close()
            else:
                self._give_back(held)
            raise
        self._give_back(held)

    def _take(self) -> _Held:
        while self._idle:
            try:
                held = self._idle.pop()
            except IndexError:  # another thread took the last one
                break
            if time.monotonic() - held.used < self._ping_after or self._alive(held):
                return held
            held.close()
        pooled = self.engine.raw_connection()
        driver = pooled.driver_connection
        pooled.detach()  # ours now: closing it closes the driver connection
        return _Held(pooled, driver, 0.0)

    def _alive(self, held: _Held) -> bool:
        try:
            return bool(self.dialect.do_ping(held.driver))
        except Exception:
            return False

    def _give_back(self, held: _Held) -> None:
        if len(self._idle) < self._keep:
            held.used = time.monotonic()
            self._idle.append(held)
        else:
            held.close()


@dataclass(slots=True)
class _Held:
    """A driver connection detached from the engine's pool, and when it was last given back."""

    pooled: Any  # SQLAlchemy's (detached) wrapper: closing it closes the connection
    driver: Any
    used: float

    def close(self) -> None:
        self.pooled.close()
