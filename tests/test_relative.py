"""Relative deadlines ("trong 05 ngày làm việc sau t1") count from the predecessor's actual
completion, on SQLite and PostgreSQL; until then, from its deadline (provisional)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from engine.core.compile import compile_plan
from engine.core.status import Event, EventKind
from engine.loader import load_plan
from engine.store.database import Store
from engine.store.events import get_instance, record_event
from engine.store.registry import RegistrationDiff, register_plan, workday_ordinals
from engine.store.relative import OrdinalCalendar
from tests.conftest import PLAN_SPECS
from tests.test_sweep_support import register_spec

HN = ZoneInfo("Asia/Ho_Chi_Minh")
D = dt.date
SPEC = f"""
plan:
  id: rel-2024
  title: "Kế hoạch thử hạn tương đối"
  year: 2024
  issuer: ubnd-tp
  monitor: so-noi-vu
  directory: {PLAN_SPECS / "directories" / "hanoi-2024.yaml"}
tasks:
  - id: t1
    title: "Ban hành kế hoạch"
    lead: [so-y-te, so-tu-phap]
    due: "Chậm nhất ngày 20/02/2024"
  - id: t2
    title: "Triển khai"
    lead: [so-y-te, so-tu-phap]
    due: "trong 05 ngày làm việc sau t1"
  - id: t3
    title: "Báo cáo kết quả"
    lead: [so-y-te, so-tu-phap]
    due: "trong 10 ngày sau t2"
"""


def iid(task: str, agency: str) -> str:
    return f"rel-2024:{task}:{agency}:2024"


@pytest.fixture
def plan(store: Store, tmp_path: Path) -> Store:
    path = tmp_path / "rel.yaml"
    path.write_text(SPEC, "utf-8")
    register_spec(store, path, now=dt.datetime(2024, 1, 2, tzinfo=dt.UTC))
    return store


def due(store: Store, task: str, agency: str) -> tuple[dt.date | None, dt.datetime | None]:
    with store.transaction() as tx:
        view = get_instance(tx, iid(task, agency))
    return view.due_date, view.due_at


def event(store: Store, task: str, agency: str, kind: EventKind, at: dt.datetime) -> None:
    with store.transaction() as tx:
        record_event(tx, Event(iid(task, agency), kind, at, "test", "test"))


def test_before_any_completion_the_dates_count_from_the_predecessors_deadline(
        plan: Store) -> None:
    # 20/02 + 5 working days = 27/02; 27/02 + 10 days = 08/03 (a Friday).
    for agency in ("so-y-te", "so-tu-phap"):
        assert due(plan, "t2", agency)[0] == D(2024, 2, 27)
        assert due(plan, "t3", agency)[0] == D(2024, 3, 8)


def test_completing_the_predecessor_redates_its_agencys_chain_and_no_other(plan: Store) -> None:
    event(plan, "t1", "so-y-te", EventKind.COMPLETED, dt.datetime(2024, 2, 1, 10, tzinfo=HN))
    # From Thursday 01/02: 02, 05, 06, 07/02, then Tết (08-14/02) is off: the 5th is 15/02.
    t2_due, t2_at = due(plan, "t2", "so-y-te")
    assert t2_due == D(2024, 2, 15)
    assert t2_at == dt.datetime(2024, 2, 15, 23, 59, 59, tzinfo=HN)
    # t3 counts from t2's new date: 15/02 + 10 days = Sunday 25/02 -> Monday 26/02.
    assert due(plan, "t3", "so-y-te")[0] == D(2024, 2, 26)
    assert due(plan, "t2", "so-tu-phap")[0] == D(2024, 2, 27)
    assert due(plan, "t3", "so-tu-phap")[0] == D(2024, 3, 8)


def test_a_late_predecessor_moves_the_deadline_later(plan: Store) -> None:
    event(plan, "t1", "so-tu-phap", EventKind.COMPLETED, dt.datetime(2024, 3, 1, 16, tzinfo=HN))
    assert due(plan, "t2", "so-tu-phap")[0] == D(2024, 3, 8)   # Fri 01/03 + 5 working days


def test_reopening_the_predecessor_puts_the_provisional_dates_back(plan: Store) -> None:
    event(plan, "t1", "so-y-te", EventKind.COMPLETED, dt.datetime(2024, 2, 1, 10, tzinfo=HN))
    event(plan, "t1", "so-y-te", EventKind.REOPENED, dt.datetime(2024, 2, 2, 10, tzinfo=HN))
    assert due(plan, "t2", "so-y-te")[0] == D(2024, 2, 27)
    assert due(plan, "t3", "so-y-te")[0] == D(2024, 3, 8)


def test_a_done_middle_task_anchors_the_next_one(plan: Store) -> None:
    event(plan, "t1", "so-y-te", EventKind.COMPLETED, dt.datetime(2024, 2, 1, 10, tzinfo=HN))
    event(plan, "t2", "so-y-te", EventKind.COMPLETED, dt.datetime(2024, 2, 20, 9, tzinfo=HN))
    assert due(plan, "t3", "so-y-te")[0] == D(2024, 3, 1)   # 20/02 + 10 days
    # Reopening t1 re-dates t2 but not t3, which counts from t2's completion.
    event(plan, "t1", "so-y-te", EventKind.REOPENED, dt.datetime(2024, 2, 21, 9, tzinfo=HN))
    assert due(plan, "t2", "so-y-te")[0] == D(2024, 2, 27)
    assert due(plan, "t3", "so-y-te")[0] == D(2024, 3, 1)


def test_the_stored_ordinals_count_days_as_the_calendar_does() -> None:
    loaded = load_plan(PLAN_SPECS / "hanoi" / "2024-tt-cchc.yaml")
    compiled = compile_plan(loaded.spec, loaded.directory, source=loaded.source)
    stored = OrdinalCalendar(workday_ordinals(compiled).items())
    calendar = compiled.calendar
    day = D(2024, 1, 1)
    while day <= D(2025, 12, 31):
        assert stored.roll_forward(day) == calendar.roll_forward(day), day
        for n in (1, 5, 10, 30):
            assert stored.add_working_days(day, n) == calendar.add_working_days(day, n), (day, n)
        day += dt.timedelta(days=1)


def revise(store: Store, tmp_path: Path, text: str) -> RegistrationDiff:
    path = tmp_path / "rel.yaml"
    path.write_text(text, "utf-8")
    loaded = load_plan(path)
    compiled = compile_plan(loaded.spec, loaded.directory, source=loaded.source)
    with store.transaction() as tx:
        return register_plan(tx, compiled, spec_text=text,
                             directory_text=loaded.directory_path.read_text("utf-8"),
                             now=dt.datetime(2024, 2, 5, tzinfo=dt.UTC))


def test_a_revision_keeps_the_dates_counted_from_completions(plan: Store,
                                                             tmp_path: Path) -> None:
    event(plan, "t1", "so-y-te", EventKind.COMPLETED, dt.datetime(2024, 2, 1, 10, tzinfo=HN))
    diff = revise(plan, tmp_path, SPEC.replace('"Triển khai"', '"Triển khai kế hoạch"'))
    assert diff.revision == 2 and diff.due_changed == []
    assert due(plan, "t2", "so-y-te")[0] == D(2024, 2, 15)
    assert due(plan, "t3", "so-y-te")[0] == D(2024, 2, 26)


def test_a_revised_relative_rule_is_applied_from_the_completion(plan: Store,
                                                                tmp_path: Path) -> None:
    event(plan, "t1", "so-y-te", EventKind.COMPLETED, dt.datetime(2024, 2, 1, 10, tzinfo=HN))
    diff = revise(plan, tmp_path, SPEC.replace("trong 05 ngày làm việc", "trong 03 ngày làm việc"))
    assert due(plan, "t2", "so-y-te")[0] == D(2024, 2, 6)     # 02, 05, 06/02
    assert due(plan, "t2", "so-tu-phap")[0] == D(2024, 2, 23)  # 20/02 + 3 working days
    moved = {iid: (old[:10], new[:10]) for iid, old, new in diff.due_changed
             if old and new and iid.split(":")[1] == "t2"}
    assert moved == {iid("t2", "so-y-te"): ("2024-02-15", "2024-02-06"),
                     iid("t2", "so-tu-phap"): ("2024-02-27", "2024-02-23")}
