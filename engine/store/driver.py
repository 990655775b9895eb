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

import asyncio
import contextlib
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


_GIVEN = object()  # a parameter the caller gives (not a value fixed in the statement)


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    positional: bool
    # Each parameter (in order when positional): name, converter, value fixed in the statement.
    parameters: tuple[tuple[str, Processor | None, Any], ...]
    results: tuple[tuple[int, Processor], ...]  # result columns that need converting

    def arguments(self, params: Mapping[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        values = [(params[name] if fixed is _GIVEN else fixed) if process is None
                  else process(params[name] if fixed is _GIVEN else fixed)
                  for name, process, fixed in self.parameters]
        if self.positional:
            return tuple(values)
        return {name: value for (name, _, _), value in zip(self.parameters, values,
                                                          strict=True)}


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
        binds = compiled.binds
        names = compiled.positiontup or () if compiled.positional else list(binds)
        parameters = tuple(
            (name, binds[name].type.dialect_impl(dialect).bind_processor(dialect),
             _GIVEN if binds[name].required else binds[name].effective_value)
            for name in names)
        columns = getattr(self.statement, "selected_columns", ())
        results = tuple((i, process) for i, c in enumerate(columns) if (
            process := c.type.dialect_impl(dialect).result_processor(dialect, None)))
        return _Compiled(compiled.string, compiled.positional, parameters, results)


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
        return None if row is None else _converted(compiled, row)

    def all(self, statement: Prepared, params: Mapping[str, Any] | None = None,
            ) -> list[tuple[Any, ...]]:
        """Every row of `statement`, converted by its columns' types."""
        compiled = statement.compiled(self.dialect)
        self._execute(compiled, params or {})
        return [_converted(compiled, row) for row in self.raw.fetchall()]

    def scalar(self, statement: Prepared, params: Mapping[str, Any] | None = None) -> Any:
        """The first column of the first row, or None."""
        row = self.first(statement, params)
        return None if row is None else row[0]

    def _execute(self, compiled: _Compiled, params: Mapping[str, Any]) -> None:
        self.raw.execute(compiled.sql, compiled.arguments(params))


def _converted(compiled: _Compiled, row: Any) -> tuple[Any, ...]:
    if not compiled.results:
        return tuple(row)
    values = list(row)
    for i, process in compiled.results:
        values[i] = process(values[i])
    return tuple(values)


def cursor_of(tx: Session | Cursor) -> Cursor:
    """A driver cursor inside `tx`'s transaction (a session's is begun here if it was not
    yet); a Cursor is its own."""
    if isinstance(tx, Cursor):
        return tx
    connection = tx.connection()
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
        self._group: _Group | None = None  # see `grouped`

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        """One transaction: committed on success, rolled back on any error. On SQLite it
        begins IMMEDIATE (the write lock up front), as the store's sessions do."""
        held = self._take()
        try:
            if self._sqlite:
                held.cursor.raw.execute("BEGIN IMMEDIATE")
            try:
                yield held.cursor
            except BaseException:
                held.driver.rollback()
                raise
            held.driver.commit()
        except BaseException as exc:
            self._give_back(held, exc)
            raise
        self._give_back(held)

    @contextmanager
    def reading(self) -> Iterator[Cursor]:
        """A cursor in autocommit, for a single read outside any transaction (no BEGIN: on
        SQLite the store's BEGIN IMMEDIATE would take the write lock)."""
        held = self._take()
        try:
            if self._sqlite:  # the store's connections are in autocommit between BEGINs
                yield held.cursor
            else:
                held.driver.autocommit = True
                try:
                    yield held.cursor
                finally:
                    held.driver.autocommit = False
        except BaseException as exc:
            self._give_back(held, exc)
            raise
        self._give_back(held)

    @contextmanager
    def grouped(self) -> Iterator[Cursor]:
        """`transaction` for SQLite writers on an event loop (only): group commit.

        The writers of one event-loop turn share one transaction, each inside its own
        SAVEPOINT (an error rolls back only that writer's changes), committed once when the
        loop gets to the callback this schedules, or earlier by `flush`. A writer must not
        report success before that commit: await `committed()` right after leaving this
        block (nothing may await in between). SQLite commits one transaction at a time, and
        the commit and its BEGIN were a quarter of a webhook completion's cost.
        """
        group = self._group or self._open_group()
        if not group.held.driver.in_transaction:
            # SQLite rolled the whole group back (a disk error): a SAVEPOINT now would begin
            # and, at RELEASE, commit a transaction of its own, apart from the failing group.
            raise _rolled_back(self.dialect)
        raw = group.held.cursor.raw
        raw.execute("SAVEPOINT writer")
        try:
            yield group.held.cursor
        except BaseException:
            raw.execute("ROLLBACK TO writer")
            raw.execute("RELEASE writer")
            raise
        raw.execute("RELEASE writer")

    def committed(self) -> asyncio.Future[None]:
        """The commit of the open group (see `grouped`), or a done future if none is open."""
        if self._group is None:
            done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            done.set_result(None)
            return done
        return self._group.committed

    def flush(self) -> None:
        """Commit the open group now, if there is one and this is its event loop's thread
        (another connection of this process is about to wait for SQLite's write lock)."""
        group = self._group
        if group is not None and _running_loop() is group.loop:
            self._commit_group()

    def _open_group(self) -> _Group:
        loop = asyncio.get_running_loop()
        held = self._take()
        try:
            held.cursor.raw.execute("BEGIN IMMEDIATE")
        except BaseException as exc:
            self._give_back(held, exc)
            raise
        self._group = _Group(held, loop, loop.create_future())
        loop.call_soon(self._commit_group)
        return self._group

    def _commit_group(self) -> None:
        group, self._group = self._group, None
        if group is None:  # flushed earlier in this turn
            return
        try:
            if not group.held.driver.in_transaction:  # see `grouped`: COMMIT would be a no-op
                raise _rolled_back(self.dialect)
            group.held.driver.commit()
        except Exception as exc:
            with contextlib.suppress(Exception):
                group.held.driver.rollback()
            self._give_back(group.held, exc)
            group.committed.set_exception(exc)
            group.committed.exception()  # retrieved here: a writer may have gone
            return
        self._give_back(group.held)
        group.committed.set_result(None)

    def close(self) -> None:
        """Close every idle connection (those in use are closed when given back)."""
        self._keep = 0
        while self._idle:
            self._idle.pop().close()

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
        driver: Any = pooled.driver_connection
        pooled.detach()  # ours now: closing it closes the driver connection
        return _Held(pooled, driver, Cursor(self.dialect, driver.cursor()), 0.0)

    def _alive(self, held: _Held) -> bool:
        try:
            return bool(self.dialect.do_ping(held.driver))
        except Exception:
            return False

    def _give_back(self, held: _Held, error: BaseException | None = None) -> None:
        """Keep `held` for the next use, unless it failed with `error` in a way that leaves
        it unusable: gone (the dialect calls it a disconnect) or interrupted mid-way."""
        if error is not None and (not isinstance(error, Exception) or (
                isinstance(error, self.dialect.loaded_dbapi.Error)
                and self.dialect.is_disconnect(error, held.driver, None))):
            held.close()
        elif len(self._idle) < self._keep:
            held.used = time.monotonic()
            self._idle.append(held)
        else:
            held.close()


@dataclass(frozen=True, slots=True)
class _Group:
    """The open transaction of `Connections.grouped`."""

    held: _Held
    loop: asyncio.AbstractEventLoop
    committed: asyncio.Future[None]


def _rolled_back(dialect: Dialect) -> Exception:
    error: Exception = dialect.loaded_dbapi.OperationalError(
        "SQLite rolled back the grouped transaction; nothing of it was kept")
    return error


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


@dataclass(slots=True)
class _Held:
    """A driver connection detached from the engine's pool, and when it was last given back."""

    pooled: Any  # SQLAlchemy's (detached) wrapper: closing it closes the connection
    driver: Any
    cursor: Cursor
    used: float

    def close(self) -> None:
        self.pooled.close()
