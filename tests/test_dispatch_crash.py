"""SIGKILL in the middle of a sweep and of a dispatch: rerun, nothing lost, nothing doubled."""

from __future__ import annotations

import datetime as dt
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.mail.dispatch import LEASE, SENDING, SENT, dispatch
from engine.settings import Settings
from engine.store.database import Store
from engine.sweep.run import run_sweep
from notifiers.base import OutgoingMessage
from tests.conftest import ROOT
from tests.test_sweep_support import at, clean_escalation_tables, counts, outbox, register_seed

# Run in a child process: sweep or dispatch, and SIGKILL itself at a precise point.
DRIVER = """
import datetime as dt, os, signal, sys
from sqlalchemy import event
from engine.mail.dispatch import dispatch
from engine.settings import Settings
from engine.store.database import open_store
from engine.sweep.run import run_sweep

url, mode, log_path, kill_at, now = sys.argv[1:6]
store = open_store(url=url)
now = dt.datetime.fromisoformat(now)

def die():
    os.kill(os.getpid(), signal.SIGKILL)

class Recorder:
    n = 0
    def send(self, message):
        Recorder.n += 1
        if kill_at == f"before-send:{Recorder.n}":
            die()
        with open(log_path, "a") as log:
            log.write(message.message_id + "\\n")
            log.flush()
            os.fsync(log.fileno())
        if kill_at == f"after-send:{Recorder.n}":
            die()

if mode == "sweep":
    def before(conn, cursor, statement, *rest):
        if statement.lstrip().upper().startswith(kill_at):
            die()
    event.listen(store.engine, "before_cursor_execute", before)
    with store.transaction() as tx:
        run_sweep(tx, now=now)
else:
    dispatch(store, notifier=Recorder(), now=now,
             settings=Settings(public_url="https://kehoach.example.org"))
"""
NOW = at(2024, 3, 12)


class Recorder:
    """The parent's notifier: appends each Message-ID to the same log as the child."""

    def __init__(self, log: Path) -> None:
        self.log = log

    def send(self, message: OutgoingMessage) -> None:
        with self.log.open("a") as handle:
            handle.write(message.message_id + "\n")


@pytest.fixture
def seeded(store: Store) -> Iterator[Store]:
    register_seed(store)
    yield store
    clean_escalation_tables(store)


def run_child(store: Store, mode: str, kill_at: str, log: Path, now: dt.datetime) -> int:
    url = store.engine.url.render_as_string(hide_password=False)
    done = subprocess.run([sys.executable, "-c", DRIVER, url, mode, str(log), kill_at,
                           now.isoformat()], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    return done.returncode


@pytest.mark.parametrize("statement", ["INSERT INTO ESCALATIONS", "SELECT ESCALATIONS.LEVEL",
                                       "INSERT INTO OUTBOX"],
                         ids=["killed while recording escalations",
                              "killed after recording escalations, before reading them back",
                              "killed while queueing digests"])
def test_a_sweep_killed_midway_leaves_nothing_and_reruns_whole(
        seeded: Store, tmp_path: Path, statement: str) -> None:
    code = run_child(seeded, "sweep", statement, tmp_path / "log", NOW)
    assert code == -signal.SIGKILL
    assert counts(seeded) == (0, 0, 0)
    with seeded.transaction() as tx:
        result = run_sweep(tx, now=NOW)
    assert result.escalations > 0 and len(result.messages) == len(outbox(seeded))
    after = counts(seeded)
    with seeded.transaction() as tx:
        assert run_sweep(tx, now=NOW).escalations == 0
    assert counts(seeded)[1:] == after[1:]


@pytest.mark.parametrize(("kill_at", "duplicated"), [
    ("before-send:3", 0), ("after-send:3", 1)],
    ids=["killed after claiming the third message, before sending it",
         "killed after sending the third message, before marking it sent"])
def test_a_dispatch_killed_midway_loses_nothing_and_repeats_at_most_the_one_in_flight(
        seeded: Store, tmp_path: Path, kill_at: str, duplicated: int) -> None:
    with seeded.transaction() as tx:
        run_sweep(tx, now=NOW)
    rows = outbox(seeded)
    log = tmp_path / "delivered.log"
    assert run_child(seeded, "dispatch", kill_at, log, NOW) == -signal.SIGKILL
    states = Counter(r.status for r in outbox(seeded))
    assert states[SENT] == 2 and states[SENDING] == 1
    early = dispatch(seeded, notifier=Recorder(log), now=NOW + dt.timedelta(minutes=1),
                     settings=Settings())
    assert SENDING in {r.status for r in outbox(seeded)}  # its lease still holds
    late = NOW + LEASE + dt.timedelta(minutes=1)
    rest = dispatch(seeded, notifier=Recorder(log), now=late, settings=Settings())
    assert early.sent + rest.sent == len(rows) - 2
    assert {r.status for r in outbox(seeded)} == {SENT}
    delivered = Counter(log.read_text().split())
    assert set(delivered) == {r.message_id for r in rows}  # nothing lost
    repeated = [mid for mid, n in delivered.items() if n > 1]
    assert len(repeated) == duplicated  # only the message in flight, with the same Message-ID
    assert all(delivered[mid] == 2 for mid in repeated)
    assert len(outbox(seeded)) == len(rows)  # the rerun created no second outbox row
