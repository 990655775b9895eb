"""The API process checkpoints its SQLite write-ahead log from a thread, not in requests."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import text

from engine.api.wal import start_checkpoints
from engine.store.database import open_store


def test_checkpoints_run_in_a_thread_and_requests_never_checkpoint(tmp_path: Path) -> None:
    store = open_store(url=f"sqlite:///{tmp_path / 'kehoach.db'}")
    checkpoints = start_checkpoints(store.engine)
    assert checkpoints is not None
    try:
        with store.engine.begin() as connection:
            assert connection.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 0
            connection.execute(text("CREATE TABLE filler (x TEXT)"))
        database = tmp_path / "kehoach.db"
        before = database.stat().st_size
        for _ in range(50):  # ~200 pages: only a checkpoint copies them into the file
            with store.engine.begin() as connection:
                connection.execute(text("INSERT INTO filler VALUES (:x)"), {"x": "x" * 16000})
        deadline = time.monotonic() + 10
        while database.stat().st_size < before + 50 * 16000 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert database.stat().st_size >= before + 50 * 16000
    finally:
        checkpoints.stop()
        store.close()


def test_other_databases_are_left_alone(tmp_path: Path) -> None:
    store = open_store(url="sqlite:///:memory:")
    try:
        assert start_checkpoints(store.engine) is None
    finally:
        store.close()
