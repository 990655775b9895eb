"""What a revision may change, on SQLite and PostgreSQL: not the plan's year or its city."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from engine.core.compile import compile_plan
from engine.core.errors import SpecError
from engine.core.spec import parse_plan_spec
from engine.core.status import Event, EventKind
from engine.loader import load_directory
from engine.store.database import Store
from engine.store.events import get_instance, record_event
from engine.store.queries import count_by_status, instance_statuses
from engine.store.registry import RegistrationDiff, register_plan
from engine.store.tables import InstanceRow, PlanRow, RevisionRow
from tests.conftest import spec_path

HN = ZoneInfo("Asia/Ho_Chi_Minh")
HN24 = spec_path("hanoi/2024-tt-cchc.yaml")
HP19 = spec_path("haiphong/2019-42-tt-cchc.yaml")
PLAN = "qa-2024-test"
NOW = dt.datetime(2024, 3, 1, 9, 0, tzinfo=HN)
DONE = f"{PLAN}:ban-hanh-ke-hoach:so-y-te:2024"


def spec_text(path: Path, **replace: str) -> str:
    """The text of the spec at `path`, its plan id made PLAN, with `replace` applied."""
    text = path.read_text("utf-8").replace("\n  id: ", f"\n  id: {PLAN}  # was ", 1)
    for old, new in replace.items():
        text = text.replace(old, new)
    return text


def register(store: Store, path: Path, text: str) -> RegistrationDiff:
    spec, source = parse_plan_spec(text, file=str(path))
    directory_path = (path.parent / spec.plan.directory).resolve()
    plan = compile_plan(spec, load_directory(directory_path), source=source)
    with store.transaction() as tx:
        return register_plan(tx, plan, spec_text=text,
                             directory_text=directory_path.read_text("utf-8"), now=NOW)


def snapshot(store: Store) -> tuple[int, int, int, dict[str, int]]:
    """(revision, instances, revision rows, counts by status): what a write would move."""
    with store.transaction() as tx:
        revision = tx.scalar(select(PlanRow.revision).where(PlanRow.id == PLAN)) or 0
        instances = tx.scalar(select(func.count()).select_from(InstanceRow)) or 0
        revisions = tx.scalar(select(func.count()).select_from(RevisionRow)) or 0
        counts = count_by_status(list(instance_statuses(tx, plan=PLAN, as_of=NOW)))
    return revision, instances, revisions, counts


@pytest.fixture
def registered(store: Store) -> Store:
    """PLAN registered from the Hà Nội 2024 spec, one of its instances completed."""
    register(store, HN24, spec_text(HN24))
    with store.transaction() as tx:
        record_event(tx, Event(DONE, EventKind.COMPLETED, NOW - dt.timedelta(days=12),
                               "tester", "test"))
    return store


@pytest.mark.parametrize(("path", "replace", "now_for"), [
    (HP19, {}, "2019 with directory 'haiphong-2019'"),
    (HN24, {"year: 2024": "year: 2025"}, "2025 with directory 'hanoi-2024'"),
], ids=["another city's 2019 plan under the same plan id is refused",
        "the same plan moved to the next year is refused"])
def test_a_revision_cannot_change_the_year_or_directory_and_writes_nothing(
        registered: Store, path: Path, replace: dict[str, str], now_for: str) -> None:
    before = snapshot(registered)
    with pytest.raises(SpecError) as caught:
        register(registered, path, spec_text(path, **replace))
    assert str(caught.value) == (
        f"field 'plan.year': plan '{PLAN}' is registered for 2024 with directory "
        f"'hanoi-2024'; this spec is for {now_for}. A revision cannot change the plan's year "
        "or directory: give this plan a new plan id")
    assert snapshot(registered) == before
    with registered.transaction() as tx:
        assert get_instance(tx, DONE).state.completed_at is not None


def test_a_revision_in_the_same_year_and_directory_is_accepted(registered: Store) -> None:
    diff = register(registered, HN24, spec_text(HN24, **{"title: \"Thông tin":
                                                        "title: \"Sửa đổi: Thông tin"}))
    assert diff.revision == 2 and not diff.removed


def test_a_moved_due_is_shown_old_and_new_in_the_plans_time_zone(registered: Store) -> None:
    diff = register(registered, HN24, spec_text(HN24, **{
        "Chậm nhất ngày 20/02/2024": "Chậm nhất ngày 29/02/2024"}))
    moved = {iid: (old, new) for iid, old, new in diff.due_changed}
    assert moved[DONE] == ("2024-02-20T23:59:59+07:00", "2024-02-29T23:59:59+07:00")


def test_a_revision_against_another_directory_of_the_same_year_is_refused(
        registered: Store, tmp_path: Path) -> None:
    renamed = tmp_path / "hanoi-2024-b.yaml"
    renamed.write_text(spec_path("directories/hanoi-2024.yaml").read_text("utf-8").replace(
        "  id: hanoi-2024", "  id: hanoi-2024-b", 1), "utf-8")
    before = snapshot(registered)
    with pytest.raises(SpecError) as caught:
        register(registered, HN24, spec_text(HN24, **{
            "directory: ../directories/hanoi-2024.yaml": f"directory: {renamed}"}))
    assert str(caught.value).startswith(
        f"field 'plan.directory': plan '{PLAN}' is registered for 2024 with directory "
        "'hanoi-2024'; this spec is for 2024 with directory 'hanoi-2024-b'.")
    assert snapshot(registered) == before


def test_a_draft_may_get_its_number_but_an_issued_plan_keeps_it(registered: Store) -> None:
    issued = spec_text(HN24, **{'number: ""': 'number: "84/KH-UBND"'})
    assert register(registered, HN24, issued).revision == 2  # the draft, issued
    before = snapshot(registered)
    with pytest.raises(SpecError) as caught:
        register(registered, HN24, spec_text(HN24, **{'number: ""': 'number: "85/KH-UBND"'}))
    assert "field 'plan.number'" in str(caught.value) and "new plan id" in str(caught.value)
    assert snapshot(registered) == before
