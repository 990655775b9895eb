"""The sweep on the Hà Nội 2024 seed plan, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import yaml
from sqlalchemy import select

from engine.core.digest import Digest
from engine.core.escalation import OpenInstance, decide_escalations
from engine.core.status import Event, EventKind
from engine.store.database import Store
from engine.store.events import NotFoundError, record_event
from engine.store.tables import InstanceRow, PlanRow
from engine.sweep.run import _load_plan, run_sweep
from tests.test_sweep_support import (
    PLAN,
    SPEC,
    at,
    clean_escalation_tables,
    counts,
    iid,
    levels_of,
    outbox,
    register_seed,
)

BAN_HANH = "ban-hanh-ke-hoach"  # due "Chậm nhất ngày 20/02/2024", led by 51 agencies


@pytest.fixture
def seeded(store: Store) -> Iterator[Store]:
    register_seed(store)
    yield store
    clean_escalation_tables(store)


def sweep(store: Store, *days: tuple[int, int, int], plan: str | None = None) -> list[int]:
    found = []
    for day in days:
        with store.transaction() as tx:
            found.append(run_sweep(tx, now=at(*day), plan=plan).escalations)
    return found


def payload_of(store: Store, agency: str) -> Digest:
    everything = outbox(store)
    last = max(r.sweep_id for r in everything)
    rows = [r for r in everything if r.recipient == agency and r.sweep_id == last]
    assert len(rows) == 1, f"{agency} got {len(rows)} digests in one sweep"
    return Digest.from_json(rows[0].payload)


def test_the_reminder_for_20_02_goes_out_on_06_02_across_tet(seeded: Store) -> None:
    sweep(seeded, (2024, 2, 5))
    assert "reminder" not in levels_of(seeded, iid(BAN_HANH, "so-y-te"))
    sweep(seeded, (2024, 2, 6))
    assert levels_of(seeded, iid(BAN_HANH, "so-y-te")) == {"reminder": True}
    digest = payload_of(seeded, "so-y-te")
    assert [i.instance_id for i in digest.items] == [iid(BAN_HANH, "so-y-te")]
    assert digest.items[0].days_late == -5
    assert [(p.agency, p.reason) for p in digest.cc] == [
        ("so-noi-vu", "cơ quan phối hợp thực hiện nhiệm vụ (Nhắc việc)")]


def test_sweeping_again_for_the_same_or_an_earlier_moment_writes_nothing(seeded: Store) -> None:
    sweep(seeded, (2024, 2, 21))
    before = counts(seeded)
    assert before[1] > 0 and before[2] > 0
    assert sweep(seeded, (2024, 2, 21), (2024, 2, 13), (2024, 2, 6)) == [0, 0, 0]
    assert counts(seeded)[1:] == before[1:]


def test_levels_follow_one_another_and_each_is_told_once(seeded: Store) -> None:
    sweep(seeded, (2024, 2, 6), (2024, 2, 13), (2024, 2, 21), (2024, 2, 27), (2024, 3, 12))
    assert levels_of(seeded, iid(BAN_HANH, "so-y-te")) == {
        "reminder": True, "overdue": True, "urge": True, "leadership": True}
    assert payload_of(seeded, "ubnd-tp").items[0].level == "leadership"


def test_a_task_completed_after_its_reminder_gets_no_later_level(seeded: Store) -> None:
    sweep(seeded, (2024, 2, 6))
    with seeded.transaction() as tx:
        record_event(tx, Event(iid(BAN_HANH, "so-y-te"), EventKind.COMPLETED, at(2024, 2, 16),
                               "tester", "test"))
        record_event(tx, Event(iid(BAN_HANH, "so-tu-phap"), EventKind.WAIVED, at(2024, 2, 16),
                               "tester", "test", reason="gộp vào kế hoạch khác"))
    sweep(seeded, (2024, 2, 21), (2024, 3, 12))
    assert levels_of(seeded, iid(BAN_HANH, "so-y-te")) == {"reminder": True}
    assert levels_of(seeded, iid(BAN_HANH, "so-tu-phap")) == {"reminder": True}
    assert levels_of(seeded, iid(BAN_HANH, "so-xay-dung"))["leadership"] is True


def test_a_late_first_sweep_tells_each_audience_its_highest_level(seeded: Store) -> None:
    # 12/03 is 15 working days after the 20/02 deadline: all four levels are new at once.
    sweep(seeded, (2024, 3, 12))
    assert levels_of(seeded, iid(BAN_HANH, "so-y-te")) == {
        "reminder": False, "overdue": False, "urge": True, "leadership": True}
    leaders = payload_of(seeded, "ubnd-tp")
    assert {i.task for i in leaders.items} >= {BAN_HANH}
    assert [p.agency for p in leaders.cc] == ["so-noi-vu"]
    # The lead is told too, once, at the highest level addressed to it (not "due in 5 days").
    lead = payload_of(seeded, "so-y-te")
    told = [(i.level, i.days_late) for i in lead.items if i.task == BAN_HANH]
    assert told == [("urge", 15)]
    assert [p.agency for p in lead.cc] == ["so-noi-vu"]


def test_continuous_tasks_never_escalate(seeded: Store) -> None:
    sweep(seeded, (2024, 12, 31))
    with seeded.transaction() as tx:
        continuous = set(tx.scalars(select(InstanceRow.id).where(InstanceRow.due_date.is_(None))))
    assert continuous
    assert all(not levels_of(seeded, i) for i in list(continuous)[:20])


def test_one_digest_per_recipient_grouped_by_level_and_plan(seeded: Store) -> None:
    sweep(seeded, (2024, 3, 12))
    rows = outbox(seeded)
    assert len({r.recipient for r in rows}) == len(rows)
    digest = payload_of(seeded, "dai-ptth-hn")
    sections = digest.sections()
    offsets = [s.items[0].level_offset for s in sections]
    assert offsets == sorted(offsets, reverse=True)
    assert all(len({i.level for i in s.items}) == 1 for s in sections)
    assert sum(len(s.items) for s in sections) == len(digest.items)


def test_the_sql_sweep_decides_what_the_pure_core_decides(seeded: Store) -> None:
    with seeded.transaction() as tx:
        result = run_sweep(tx, now=at(2024, 4, 2))
        plan = _load_plan(tx, tx.get_one(PlanRow, PLAN))
        instances = [OpenInstance(r.id, r.task_id, r.agency_id, r.due_date, r.completed_at,
                                  r.waived_at) for r in tx.scalars(select(InstanceRow))]
    decided = decide_escalations(instances, plan=plan.context, now=at(2024, 4, 2))
    assert result.escalations == len(decided)
    assert result.notified == sum(e.notify for e in decided)
    by_level: dict[str, int] = {}
    for e in decided:
        by_level[e.level.name] = by_level.get(e.level.name, 0) + 1
    assert {k: v for k, v in result.reached.items() if v} == by_level


def test_a_plan_override_in_the_spec_is_followed(store: Store) -> None:
    data = yaml.safe_load(SPEC.read_text("utf-8"))
    data["plan"]["escalation"] = [{"name": "bao-van-phong", "offset_working_days": 2,
                                   "to": ["agency:vp-ubnd-tp"], "cc": ["lead"]}]
    register_seed(store, yaml.safe_dump(data, allow_unicode=True))
    try:
        sweep(store, (2024, 2, 21))
        assert levels_of(store, iid(BAN_HANH, "so-y-te")) == {}
        sweep(store, (2024, 2, 22))
        assert levels_of(store, iid(BAN_HANH, "so-y-te")) == {"bao-van-phong": True}
        digest = payload_of(store, "vp-ubnd-tp")
        assert "so-y-te" in {p.agency for p in digest.cc}
    finally:
        clean_escalation_tables(store)


def test_sweeping_an_unknown_plan_is_an_error(seeded: Store) -> None:
    with pytest.raises(NotFoundError, match="no plan with id 'nope'"), \
            seeded.transaction() as tx:
        run_sweep(tx, now=at(2024, 2, 6), plan="nope")
