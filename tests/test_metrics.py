"""The SQL rollup against a plain Python count, instance by instance, on both stores.

engine.store.metrics folds status counts, target progress and the median and worst days late in
one grouped query per store; here the same figures are computed from the stored instances
with engine.core.status.status_at and statistics.median, for every grouping, several windows
and a mid-window as_of, over a year of random (seeded) completions, progress and waivers.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
from collections import defaultdict
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.status import EventKind, InstanceState, Status, TransitionError, status_at
from engine.store.database import Store
from engine.store.events import record_event
from engine.store.metrics import GROUPINGS, end_of_window, rollup, window, workday_ordinal
from engine.store.queries import instance_statuses
from engine.store.tables import InstanceRow, PlanRow
from tests.test_store import HN, PLAN, event, register

LATE = (Status.DONE_LATE, Status.OVERDUE)


def play_a_year(store: Store, seed: int = 7) -> None:
    """Random events on a quarter of the instances: completions early and late (some after
    the mid-year as_of), progress toward targets, waivers (some of completed instances),
    a few reopenings."""
    rng = random.Random(seed)
    with store.transaction() as tx:
        rows = tx.execute(select(InstanceRow.id, InstanceRow.due_at, InstanceRow.target)
                          .order_by(InstanceRow.id)).all()
    for iid, due, target in rng.sample(rows, len(rows) // 4):
        base = due or dt.datetime(2024, 6, 1, tzinfo=HN)
        at = base + dt.timedelta(days=rng.randint(-20, 40), hours=rng.randint(-12, 12))
        roll = rng.random()
        if target and roll < 0.3:
            events = [event(iid, EventKind.PROGRESS, at, count=rng.randint(1, target + 3))]
        elif roll < 0.8:
            events = [event(iid, EventKind.COMPLETED, at)]
            if rng.random() < 0.1:
                events.append(event(iid, EventKind.REOPENED, at + dt.timedelta(days=3)))
        else:
            events = [event(iid, EventKind.WAIVED, at, reason="test")]
        if rng.random() < 0.1:
            events.append(event(iid, EventKind.WAIVED, at + dt.timedelta(days=5), reason="x"))
        for e in events:
            try:
                with store.transaction() as tx:
                    record_event(tx, e)
            except TransitionError:
                pass  # e.g. waiving twice: the random script may ask for it


def expected(session: Session, *, period: str, by: str,
             as_of: dt.datetime | None) -> dict[str, dict[str, Any]]:
    """The rollup computed in Python from each stored instance's state."""
    plan = session.get(PlanRow, PLAN)
    assert plan is not None
    win = window(plan.year, period)
    as_of = as_of or end_of_window(win, HN)
    as_of_wd = workday_ordinal(session, plan=PLAN, day=as_of.astimezone(HN).date())
    groups: dict[str, list[InstanceRow]] = defaultdict(list)
    for row in session.scalars(select(InstanceRow).where(InstanceRow.plan_id == PLAN)):
        day = row.printed_due or row.due_date or (win.end if win.kind == "year" else None)
        if day is not None and win.start <= day <= win.end:
            groups[getattr(row, GROUPINGS[by].key)].append(row)
    return {key: _expected_row(key, rows, as_of, as_of_wd) for key, rows in groups.items()}


def _expected_row(key: str, rows: list[InstanceRow], as_of: dt.datetime,
                  as_of_wd: int | None) -> dict[str, Any]:
    counts = dict.fromkeys(Status, 0)
    late: list[int] = []
    filled = 0  # toward targets: a done instance fills its target, reported counts or not
    for r in rows:
        state = InstanceState(r.completed_at, r.progress, r.waived_at, r.waived_reason)
        status = status_at(r.due_at, state, now=as_of)
        counts[status] += 1
        if r.target is not None:
            filled += r.target if status in (Status.DONE_ON_TIME, Status.DONE_LATE) else min(
                r.progress, r.target)
        done = r.completed_at is not None and r.completed_at <= as_of
        end = r.completed_wd if done else as_of_wd
        if status in LATE and end is not None and r.due_wd is not None:
            late.append(max(end - r.due_wd, 0))
    targets = [r for r in rows if r.target is not None]
    target_sum = sum(r.target or 0 for r in targets)
    counted = len(rows) - counts[Status.WAIVED]
    done_n = counts[Status.DONE_ON_TIME] + counts[Status.DONE_LATE]
    return {"key": key, "counts": {s.value: n for s, n in counts.items()}, "total": len(rows),
            "completion_rate": done_n / counted if counted else None,
            "on_time_rate": counts[Status.DONE_ON_TIME] / counted if counted else None,
            "median_days_late": float(statistics.median(late)) if late else None,
            "worst_days_late": max(late) if late else None,
            "target_progress": filled / target_sum if target_sum else None}


@pytest.mark.parametrize("as_of", [None, dt.datetime(2024, 7, 10, 14, 30, tzinfo=HN)],
                         ids=["end of window", "10 July"])
def test_rollup_matches_a_python_count_of_every_instance(store: Store,
                                                         as_of: dt.datetime | None) -> None:
    register(store)
    play_a_year(store)
    with store.transaction() as tx:
        for period in ("2024-Q1", "2024-H1", "2024-9M", "2024", "2024-03"):
            for by in GROUPINGS:
                got = rollup(tx, plan=PLAN, period=period, by=by, as_of=as_of)
                want = expected(tx, period=period, by=by, as_of=as_of)
                assert {m.key: m.to_json() for m in got} == want, (period, by)
                lagging = [(-m.counts[Status.OVERDUE], m.completion_rate
                            if m.completion_rate is not None else 2.0, m.key) for m in got]
                assert lagging == sorted(lagging), (period, by)


def test_the_random_year_covers_every_status_and_lateness(store: Store) -> None:
    """Guard for the test above: the script reaches every status, and some late ones."""
    register(store)
    play_a_year(store)
    with store.transaction() as tx:
        rows = expected(tx, period="2024", by="plan",
                        as_of=dt.datetime(2024, 7, 10, 14, 30, tzinfo=HN))
    counts = rows[PLAN]["counts"]
    assert all(counts[s.value] > 0 for s in Status), counts
    assert rows[PLAN]["median_days_late"] and rows[PLAN]["target_progress"]


def test_a_target_task_marked_done_without_counts_shows_its_target_filled(store: Store) -> None:
    # `kehoach complete ID` (no --count) on a task with a target: done is the whole target.
    register(store)
    with store.transaction() as tx:
        iid, target = tx.execute(select(InstanceRow.id, InstanceRow.target)
                                 .where(InstanceRow.target.is_not(None))
                                 .order_by(InstanceRow.id).limit(1)).one()
    with store.transaction() as tx:
        record_event(tx, event(iid, EventKind.COMPLETED, dt.datetime(2024, 1, 5, tzinfo=HN)))
    as_of = dt.datetime(2024, 12, 31, 23, tzinfo=HN)
    with store.transaction() as tx:
        row = next(r for r in instance_statuses(tx, plan=PLAN, as_of=as_of) if r.id == iid)
        assert row.progress == 1.0 and target
        task = rollup(tx, plan=PLAN, period="2024", by="task", as_of=as_of)
    by_task = {r.key: r.target_progress for r in task}
    assert by_task[iid.split(":")[1]]  # > 0: the done instance fills its target
