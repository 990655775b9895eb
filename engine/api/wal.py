"""SQLite WAL checkpoints of the API process, in a background thread instead of in requests.

By default SQLite checkpoints inside whichever commit pushes the write-ahead log past 1,000
pages: that commit copies the log into the database file and flushes it to disk, with the
event loop (every other request) waiting, tens to hundreds of milliseconds on a busy disk.
The API's connections turn automatic checkpoints off and a thread of the API process
checkpoints (PASSIVE: it never blocks readers or the writer) every `INTERVAL` seconds,
so the log stays about as small as before and the disk flushes as often.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from typing import Any

from sqlalchemy import Engine, event

log = logging.getLogger(__name__)
INTERVAL = 0.25  # seconds between checkpoints (at 1,000 completions/s: ~1,300 log pages)


class Checkpointer:
    """Owns the checkpoint thread of one SQLite engine; `stop()` checkpoints a last time."""

    def __init__(self, engine: Engine, *, interval: float = INTERVAL) -> None:
        self.path = engine.url.database or ""
        self.interval = interval
        self._stop = threading.Event()
        event.listen(engine, "connect", _no_autocheckpoint)
        engine.dispose()  # connections opened before this (migrations) had it on
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        connection = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        try:
            while not self._stop.wait(self.interval):
                self._checkpoint(connection)
            self._checkpoint(connection)
        finally:
            connection.close()

    def _checkpoint(self, connection: sqlite3.Connection) -> None:
        try:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error:
            log.exception("WAL checkpoint of %s failed; retrying in %.2f s", self.path,
                          self.interval)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)


def _no_autocheckpoint(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.close()


def start_checkpoints(engine: Engine) -> Checkpointer | None:
    """Checkpoint a file SQLite database from a thread; None for other databases."""
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return None
    return Checkpointer(engine)
