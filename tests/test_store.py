"""One store suite, run on SQLite and PostgreSQL: register, revise, events, status, metrics."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from engine.core.compile import CompiledPlan, compile_plan
from engine.core.errors import SpecError
from engine.core.spec import parse_plan_spec
from engine.core.status import Event, EventKind, InstanceState, Status, TransitionError
from engine.loader import load_directory
from engine.store.database import Store
from engine.store.events import (
    EventValueError,
    NotFoundError,
    earliest_work_time,
    events_of,
    get_instance,
    record_event,
)
from engine.store.metrics import rollup
from engine.store.queries import count_by_status, instance_statuses, verify_projection
from engine.store.registry import RegistrationDiff, register_plan
from tests.conftest import spec_path

HN = ZoneInfo("Asia/Ho_Chi_Minh")
SPEC = spec_path("hanoi/2024-tt-cchc.yaml")
PLAN = "hn-2024-tt-cchc"
NOW = dt.datetime(2024, 3, 25, 9, 0, tzinfo=HN)


def iid(task: str, agency: str, period: str = "2024") -> str:
    return f"{PLAN}:{task}:{agency}:{period}"


def local(y: int, m: int, d: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(y, m, d, hour, tzinfo=HN)


def compiled(data: dict[str, Any] | None = None) -> tuple[CompiledPlan, str, str]:
    text = SPEC.read_text("utf-8") if data is None else yaml.safe_dump(data, allow_unicode=True)
    spec, source = parse_plan_spec(text, file=str(SPEC))
    directory_path = (SPEC.parent / spec.plan.directory).resolve()
    plan = compile_plan(spec, load_directory(directory_path), source=source)
    return plan, text, directory_path.read_text("utf-8")


def register(store: Store, data: dict[str, Any] | None = None) -> RegistrationDiff:
    plan, text, directory_text = compiled(data)
    with store.transaction() as tx:
        return register_plan(tx, plan, spec_text=text, directory_text=directory_text, now=NOW)


def spec_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(SPEC.read_text("utf-8"))
    return data


def event(instance: str, kind: EventKind, at: dt.datetime, **extra: Any) -> Event:
    return Event(instance, kind, at, "tester", "test", **extra)


def record(store: Store, *events: Event) -> None:
    for e in events:
        with store.transaction() as tx:
            record_event(tx, e)


def test_register_stores_every_compiled_instance(store: Store) -> None:
    plan, _, _ = compiled()
    diff = register(store)
    assert diff.revision == 1 and len(diff.added) == len(plan.instances)
    with store.transaction() as tx:
        view = get_instance(tx, iid("ban-hanh-ke-hoach", "so-noi-vu"))
    assert view.due_at == dt.datetime(2024, 2, 20, 23, 59, 59, tzinfo=HN)
    assert view.printed_due == dt.date(2024, 2, 20)


def test_registering_the_same_spec_twice_changes_nothing(store: Store) -> None:
    register(store)
    again = register(store)
    assert again.unchanged and again.revision == 1 and not again.added


def test_revision_moves_a_due_removes_and_adds_tasks_and_keeps_completions(store: Store) -> None:
    register(store)
    done = iid("ban-hanh-ke-hoach", "so-tu-phap")
    record(store, event(done, EventKind.COMPLETED, local(2024, 2, 15)))
    data = spec_data()
    tasks = {t["id"]: t for t in data["tasks"]}
    tasks["ban-hanh-ke-hoach"]["due"] = "Chậm nhất ngày 29/02/2024"
    removed = tasks.pop("xay-dung-chuyen-trang-cchc")
    for t in tasks.values():
        t["uses"] = [u for u in t.get("uses", []) if u != removed["id"]]
    tasks["hoi-nghi-so-ket"] = {"id": "hoi-nghi-so-ket", "title": "Hội nghị sơ kết",
                                "lead": ["so-noi-vu"], "due": "Tháng 7/2024"}
    data["tasks"] = list(tasks.values())
    diff = register(store, data)
    assert diff.revision == 2
    assert diff.added == [iid("hoi-nghi-so-ket", "so-noi-vu", "2024-07")]
    assert diff.removed == [iid("xay-dung-chuyen-trang-cchc", "vp-ubnd-tp", "2024-09")]
    assert len(diff.due_changed) == 51  # every lead of the plan-writing task
    with store.transaction() as tx:
        kept = get_instance(tx, done)
        gone = get_instance(tx, diff.removed[0])
    assert kept.state.completed_at == local(2024, 2, 15)
    assert kept.due_at == dt.datetime(2024, 2, 29, 23, 59, 59, tzinfo=HN)
    assert gone.state.waived_reason == "removed in revision 2"
    restored = register(store)  # going back to the original text restores the waived one
    assert restored.restored == diff.removed and restored.revision == 3


def test_another_plan_id_under_the_same_number_is_refused_and_writes_nothing(
        store: Store) -> None:
    data = spec_data()
    data["plan"]["number"] = "84/KH-UBND"
    register(store, data)
    data["plan"]["id"] = "hn-2024-khac"
    with pytest.raises(SpecError, match="already registered as plan 'hn-2024-tt-cchc'"):
        register(store, data)
    with store.transaction() as tx, pytest.raises(NotFoundError):
        get_instance(tx, "hn-2024-khac:ban-hanh-ke-hoach:so-noi-vu:2024")


def test_events_complete_progress_reopen_waive_and_rebuild(store: Store) -> None:
    register(store)
    posts = iid("tin-bai-trang-ttdt", "so-y-te")  # target: 12 tin/bài in the year
    record(store, event(posts, EventKind.PROGRESS, local(2024, 5, 2), count=5),
           event(posts, EventKind.PROGRESS, local(2024, 9, 3), count=7,
                 evidence_url="https://example.org/tin-bai"))
    with store.transaction() as tx:
        view = get_instance(tx, posts)
    assert view.state.progress == 12 and view.state.completed_at == local(2024, 9, 3)
    record(store, event(posts, EventKind.REOPENED, local(2024, 9, 4)))
    plan_task = iid("ban-hanh-ke-hoach", "so-y-te")
    record(store, event(plan_task, EventKind.WAIVED, local(2024, 2, 1), reason="sáp nhập"))
    with store.transaction() as tx:
        assert get_instance(tx, posts).state.completed_at is None
        assert [e.kind for e in events_of(tx, posts)] == [EventKind.PROGRESS] * 2 + [
            EventKind.REOPENED]
        assert verify_projection(tx, plan=PLAN) == []


@pytest.mark.parametrize(("first", "second", "message"), [
    (EventKind.WAIVED, EventKind.COMPLETED, "is waived"),
    (EventKind.COMPLETED, EventKind.COMPLETED, "already completed"),
], ids=["completing a waived instance", "completing twice"])
def test_an_event_that_does_not_apply_is_refused_and_writes_nothing(
        store: Store, first: EventKind, second: EventKind, message: str) -> None:
    register(store)
    target = iid("ban-hanh-ke-hoach", "so-y-te")
    record(store, event(target, first, local(2024, 2, 1), reason="x"))
    with pytest.raises(TransitionError, match=message):
        record(store, event(target, second, local(2024, 2, 2)))
    with store.transaction() as tx:
        assert len(events_of(tx, target)) == 1


def test_negative_progress_and_unknown_instance_are_refused(store: Store) -> None:
    register(store)
    with pytest.raises(TransitionError, match="positive count"):
        record(store, event(iid("tin-bai-trang-ttdt", "so-y-te"), EventKind.PROGRESS,
                            local(2024, 5, 2), count=-3))
    with pytest.raises(NotFoundError, match="no instance with id 'nope'"):
        record(store, event("nope", EventKind.COMPLETED, local(2024, 5, 2)))


def script_q1_completions(store: Store) -> list[str]:
    """51 leads of "ban-hanh-ke-hoach" (due Tue 20/02/2024): 10 on time, 5 late, 1 waived."""
    with store.transaction() as tx:
        leads = sorted(s.agency for s in instance_statuses(
            tx, plan=PLAN, as_of=NOW, task="ban-hanh-ke-hoach"))
    assert len(leads) == 51
    for agency in leads[:10]:
        record(store, event(iid("ban-hanh-ke-hoach", agency), EventKind.COMPLETED,
                            local(2024, 2, 15)))
    for agency in leads[10:15]:  # Mon 26/02: 21, 22, 23, 26 Feb = 4 working days late
        record(store, event(iid("ban-hanh-ke-hoach", agency), EventKind.COMPLETED,
                            local(2024, 2, 26)))
    record(store, event(iid("ban-hanh-ke-hoach", leads[15]), EventKind.WAIVED,
                        local(2024, 2, 1), reason="không thuộc đối tượng"))
    return leads


def test_metrics_of_a_scripted_quarter_match_the_hand_count(store: Store) -> None:
    register(store)
    leads = script_q1_completions(store)
    with store.transaction() as tx:
        rows = {m.key: m for m in rollup(tx, plan=PLAN, period="2024-Q1", by="task")}
        by_agency = rollup(tx, plan=PLAN, period="2024-Q1", by="agency")
    task = rows["ban-hanh-ke-hoach"]
    assert task.counts == {Status.DONE_ON_TIME: 10, Status.DONE_LATE: 5, Status.ON_TRACK: 0,
                           Status.OVERDUE: 35, Status.WAIVED: 1}
    assert task.completion_rate == pytest.approx(15 / 50)
    assert task.on_time_rate == pytest.approx(10 / 50)
    # Open at Sunday 31/03: 7 working days left in February after the 20th + 21 in March.
    assert task.worst_days_late == 28
    assert task.median_days_late == 28.0
    # Q1 monthly radio items (district radio, 30 districts x Jan, Feb, Mar) are all overdue,
    # except March: its 31/03 deadline moves to Monday 01/04, so at 31/03 it is on track.
    radio = rows["truyen-thanh-cap-xa"]
    assert radio.counts[Status.OVERDUE] == 60 and radio.counts[Status.ON_TRACK] == 30
    assert by_agency[-1].key in leads[:10]  # the most complete agencies rank last
    assert by_agency[0].counts[Status.OVERDUE] >= by_agency[-1].counts[Status.OVERDUE]


def test_status_listing_reports_days_late_progress_and_blocked(store: Store) -> None:
    register(store)
    script_q1_completions(store)
    as_of = local(2024, 3, 31, 23)
    with store.transaction() as tx:
        rows = {r.id: r for r in instance_statuses(tx, plan=PLAN, as_of=as_of)}
    late = [r for r in rows.values() if r.task == "ban-hanh-ke-hoach"
            and r.status is Status.DONE_LATE]
    assert {r.days_late for r in late} == {4}
    waived_lead = next(r for r in rows.values() if r.task == "ban-hanh-ke-hoach"
                       and r.status is Status.WAIVED).agency
    # A lead that has not written its plan blocks its own annual posts; a waived one does not.
    open_plan = next(r for r in rows.values() if r.task == "ban-hanh-ke-hoach"
                     and r.status is Status.OVERDUE).agency
    assert rows[iid("tin-bai-trang-ttdt", open_plan)].blocked
    assert not rows[iid("tin-bai-trang-ttdt", waived_lead)].blocked
    counts = count_by_status(list(rows.values()))
    assert sum(counts.values()) == len(rows)


def test_sqlite_and_postgresql_give_identical_results(tmp_path: Path, pg_store: Store) -> None:
    from engine.store.database import open_store
    from tests.conftest import TABLES

    lite = open_store(url=f"sqlite:///{tmp_path / 'k.db'}")
    results = []
    try:
        for s in (lite, pg_store):
            register(s)
            script_q1_completions(s)
            with s.transaction() as tx:
                metrics = [m.to_json() for m in rollup(tx, plan=PLAN, period="2024-H1",
                                                       by="agency")]
                listing = [r.to_json() for r in instance_statuses(tx, plan=PLAN, as_of=NOW)]
            results.append((metrics, listing))
    finally:
        lite.close()
        from sqlalchemy import text
        with pg_store.engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
    assert results[0] == results[1]


@pytest.mark.parametrize("at", [
    dt.datetime(1, 1, 1, tzinfo=HN),
    dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=14))),  # year 0 in UTC
    dt.datetime(1900, 1, 1, tzinfo=HN),
    dt.datetime(2004, 2, 19, 9, 30, tzinfo=HN),  # 2004 typed for 2024: not "on time"
    dt.datetime(2022, 12, 31, 23, 59, tzinfo=HN),
], ids=["year 1", "year 1 at +14:00", "1900", "a typo for 2024", "just before the bound"])
@pytest.mark.parametrize("kind", [EventKind.COMPLETED, EventKind.PROGRESS])
def test_work_before_the_year_before_the_period_is_refused_and_writes_nothing(
        store: Store, at: dt.datetime, kind: EventKind) -> None:
    register(store)
    target = iid("tin-bai-trang-ttdt", "so-y-te")  # period 2024, target 12
    with pytest.raises(EventValueError, match="01/01/2023") as refused:
        record(store, event(target, kind, at, count=1 if kind is EventKind.PROGRESS else None))
    assert (refused.value.field, refused.value.kind) == ("at", "too-early")
    with store.transaction() as tx:
        assert events_of(tx, target) == []
        assert get_instance(tx, target).state == InstanceState()


def test_the_earliest_accepted_time_is_new_year_of_the_year_before_any_period(
        store: Store) -> None:
    register(store)
    quarterly = iid("bao-cao-dinh-ky", "so-y-te", "2024-Q1")
    yearly = iid("ban-hanh-ke-hoach", "so-y-te")
    with store.transaction() as tx:
        assert get_instance(tx, quarterly).period == "2024-Q1"
    for instance in (quarterly, yearly):
        record(store, event(instance, EventKind.COMPLETED, dt.datetime(2023, 1, 1, tzinfo=HN)))
    assert earliest_work_time("2025-W01", HN) == dt.datetime(2024, 1, 1, tzinfo=HN)
    assert earliest_work_time("2024-03", HN) == dt.datetime(2023, 1, 1, tzinfo=HN)


def test_progress_needs_a_target_and_stays_within_the_count_column(store: Store) -> None:
    register(store)
    plain = iid("ban-hanh-ke-hoach", "so-y-te")  # no target
    with pytest.raises(EventValueError, match="không có chỉ tiêu") as refused:
        record(store, event(plain, EventKind.PROGRESS, local(2024, 2, 1), count=2))
    assert (refused.value.field, refused.value.kind) == ("count", "no-target")
    record(store, event(plain, EventKind.COMPLETED, local(2024, 2, 1)))
    with pytest.raises(EventValueError, match="không có chỉ tiêu"):  # nor once it is done
        record(store, event(plain, EventKind.PROGRESS, local(2024, 2, 2), count=2))
    posts = iid("tin-bai-trang-ttdt", "so-y-te")
    with pytest.raises(EventValueError, match=r"1\.000\.000"):
        record(store, event(posts, EventKind.PROGRESS, local(2024, 2, 1), count=1_000_001))
    with store.transaction() as tx:
        assert [e.kind for e in events_of(tx, plain)] == [EventKind.COMPLETED]
        assert events_of(tx, posts) == []


def test_completing_twice_names_the_first_completion_in_the_plans_local_time(
        store: Store) -> None:
    register(store)
    target = iid("ban-hanh-ke-hoach", "so-y-te")
    # 03:00 on 10/02 in Hà Nội is 20:00 on 09/02 in UTC.
    record(store, event(target, EventKind.COMPLETED, dt.datetime(2024, 2, 10, 3, 0, tzinfo=HN)))
    with pytest.raises(TransitionError, match="already completed at 10/02/2024 03:00"):
        record(store, event(target, EventKind.COMPLETED, local(2024, 2, 11)))


def test_a_waiver_without_a_reason_is_refused_without_empty_brackets(store: Store) -> None:
    register(store)
    target = iid("ban-hanh-ke-hoach", "so-y-te")
    record(store, event(target, EventKind.WAIVED, local(2024, 2, 1), reason=""))  # old data
    with pytest.raises(TransitionError) as refused:
        record(store, event(target, EventKind.COMPLETED, local(2024, 2, 2)))
    assert str(refused.value).endswith("is waived; restore it first")
