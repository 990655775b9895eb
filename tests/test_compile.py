"""Compiling the real plans: exact instance counts, stable ids, edges, warnings and errors."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from engine.core.compile import CompiledPlan, compile_plan
from engine.core.errors import CycleError, DuePhraseError, SpecError, UnknownReferenceError
from engine.core.spec import parse_plan_spec
from engine.loader import compile_file, load_directory
from tests.conftest import PLAN_SPECS

HN24 = PLAN_SPECS / "hanoi/2024-tt-cchc.yaml"
# Expected instance counts, worked out by hand from the documents (lead agencies x periods;
# Hà Nội has 21 sở/ban/ngành and 30 districts; Hải Phòng 19 sở and 15 districts).
EXPECTED = {
    "hanoi/2024-tt-cchc.yaml": 1009,
    "hanoi/2024-84-kstthc.yaml": 221,
    "hanoi/2019-89-tt-cchc.yaml": 312,
    "hanoi/2020-tt-cchc.yaml": 56,
    "haiphong/2019-42-tt-cchc.yaml": 202,
}
SPECS = sorted(str(p.relative_to(PLAN_SPECS)) for p in PLAN_SPECS.glob("*/*.yaml")
               if p.parent.name != "directories")


def test_every_plan_in_plan_specs_has_an_expected_count() -> None:
    assert set(SPECS) == set(EXPECTED)


@pytest.mark.parametrize("name", SPECS)
def test_every_plan_spec_compiles_to_its_hand_counted_instances(name: str) -> None:
    plan = compile_file(PLAN_SPECS / name)
    assert len(plan.instances) == EXPECTED[name]
    assert len({i.id for i in plan.instances}) == len(plan.instances)
    assert all(plan.graph.has_node(a) and plan.graph.has_node(b) for a, b in plan.edges())


@pytest.fixture(scope="module")
def hn24() -> CompiledPlan:
    return compile_file(HN24)


def by_task(plan: CompiledPlan, task: str) -> list[Any]:
    return [i for i in plan.instances if i.task == task]


@pytest.mark.parametrize(("task", "leads", "periods"), [
    ("ban-hanh-ke-hoach", 51, ["2024"]),
    ("truyen-thanh-cap-xa", 30, [f"2024-{m:02d}" for m in range(1, 13)]),
    ("tin-bai-chuyen-trang-cchc", 51, ["2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4"]),
    ("bao-cao-dinh-ky", 51, ["2024-Q1", "2024-H1", "2024-9M", "2024"]),
    ("chuyen-muc-phat-thanh-truyen-hinh", 1, [f"2024-W{w:02d}" for w in range(1, 53)]),
    ("tap-huan-cchc", 1, ["2024-06"]),
    ("pho-bien-phap-luat", 1, ["2024"]),
], ids=["a one-off deadline gives one instance per lead",
        "a monthly task gives 12 instances per district",
        "a quarterly task gives 4 instances per lead",
        "the report cadence gives 4 cumulative periods per lead",
        "a weekly broadcast gives 52 instances in 2024",
        "a month deadline gives one instance in that month",
        "a continuous duty gives one instance"])
def test_cadences_expand_per_lead_and_period(hn24: CompiledPlan, task: str, leads: int,
                                             periods: list[str]) -> None:
    instances = by_task(hn24, task)
    assert Counter(i.period for i in instances) == dict.fromkeys(periods, leads)


def test_continuous_task_has_no_due_and_one_offs_keep_printed_and_effective(
        hn24: CompiledPlan) -> None:
    (continuous,) = by_task(hn24, "pho-bien-phap-luat")
    assert continuous.due is None and continuous.printed_due is None
    report = {i.period: i for i in by_task(hn24, "bao-cao-dinh-ky") if i.agency == "so-y-te"}
    assert report["2024-Q1"].printed_due == dt.date(2024, 3, 31)  # a Sunday
    assert report["2024-Q1"].due_date == dt.date(2024, 4, 1)
    assert report["2024-Q1"].due.isoformat() == "2024-04-01T23:59:59+07:00"
    plan = next(i for i in by_task(hn24, "ban-hanh-ke-hoach") if i.agency == "so-y-te")
    assert plan.due_date == plan.printed_due == dt.date(2024, 2, 20)  # working day after Tết


def test_instance_ids_are_stable_across_compiles(hn24: CompiledPlan) -> None:
    again = compile_file(HN24)
    assert [i.id for i in again.instances] == [i.id for i in hn24.instances]
    assert "hn-2024-tt-cchc:truyen-thanh-cap-xa:huyen-ung-hoa:2024-03" in again.graph


def test_dependencies_link_the_same_agency_and_the_right_period(hn24: CompiledPlan) -> None:
    plan_first = "hn-2024-tt-cchc:ban-hanh-ke-hoach:so-y-te:2024"
    assert hn24.graph.has_edge(plan_first, "hn-2024-tt-cchc:tin-bai-trang-ttdt:so-y-te:2024")
    assert hn24.graph.has_edge(plan_first, "hn-2024-tt-cchc:bao-cao-dinh-ky:so-y-te:2024-Q1")
    assert not hn24.graph.has_edge(plan_first,
                                   "hn-2024-tt-cchc:tin-bai-trang-ttdt:so-tu-phap:2024")
    # A task that uses the CCHC page waits for it only once the page is due (September).
    page = "hn-2024-tt-cchc:xay-dung-chuyen-trang-cchc:vp-ubnd-tp:2024-09"
    successors = {hn24.graph.nodes[s]["instance"].period for s in hn24.graph.successors(page)
                  if s.startswith("hn-2024-tt-cchc:tin-bai-dau-tu")}
    assert successors == {"2024-Q3", "2024-Q4"}


def test_warnings_on_the_2024_plan_are_the_real_ones(hn24: CompiledPlan) -> None:
    codes = Counter((w.code, w.task) for w in hn24.warnings)
    assert codes[("output-later", "tin-bai-chuyen-trang-cchc")] == 1
    assert codes[("due-moved", "tap-huan-cchc")] == 1
    message = next(w.message for w in hn24.warnings if w.code == "due-moved"
                   and w.task == "tap-huan-cchc")
    assert "30/06 (Chủ nhật) -> 01/07/2024" in message
    assert all(w.location and w.location.line for w in hn24.warnings)


def variant(tmp_path: Path, change: Any) -> Path:
    """A copy of the 2024 plan with `change(data)` applied, beside a copy of its directory."""
    data = yaml.safe_load(HN24.read_text("utf-8"))
    change(data)
    (tmp_path / "directories").mkdir()
    (tmp_path / "directories/hanoi-2024.yaml").write_text(
        (PLAN_SPECS / "directories/hanoi-2024.yaml").read_text("utf-8"), "utf-8")
    (tmp_path / "plans").mkdir()
    path = tmp_path / "plans/plan.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def task_named(data: dict[str, Any], task_id: str) -> dict[str, Any]:
    return next(t for t in data["tasks"] if t["id"] == task_id)


def line_of(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text("utf-8").splitlines(), 1)
                if needle in line)


def test_a_cycle_is_refused_and_printed_as_task_ids(tmp_path: Path) -> None:
    path = variant(tmp_path, lambda d: task_named(d, "ban-hanh-ke-hoach").update(
        depends_on=["bao-cao-dinh-ky"]))
    with pytest.raises(CycleError) as caught:
        compile_file(path)
    assert set(caught.value.cycle) == {"ban-hanh-ke-hoach", "bao-cao-dinh-ky"}
    assert "dependency cycle: " in str(caught.value) and str(path) in str(caught.value)


def test_an_unknown_agency_names_file_line_task_and_a_suggestion(tmp_path: Path) -> None:
    path = variant(tmp_path, lambda d: task_named(d, "tap-huan-cchc").update(
        lead=["so-noi-vuu"]))
    with pytest.raises(UnknownReferenceError) as caught:
        compile_file(path)
    line = line_of(path, "so-noi-vuu")
    assert str(caught.value) == (
        f"{path}:{line}: task 'tap-huan-cchc', field 'lead': unknown agency 'so-noi-vuu'; "
        "did you mean 'so-noi-vu', 'so-ngoai-vu'?")


def test_an_unreadable_deadline_quotes_the_phrase(tmp_path: Path) -> None:
    path = variant(tmp_path, lambda d: task_named(d, "tap-huan-cchc").update(
        due="khi nào xong thì thôi"))
    with pytest.raises(DuePhraseError) as caught:
        compile_file(path)
    message = str(caught.value)
    assert f"{path}:{line_of(path, 'khi nào xong')}:" in message
    assert "task 'tap-huan-cchc'" in message and "'khi nào xong thì thôi'" in message


def test_an_unknown_dependency_and_a_plan_year_outside_the_directory(tmp_path: Path) -> None:
    path = variant(tmp_path, lambda d: task_named(d, "tin-bai-trang-ttdt").update(
        depends_on=["ban-hanh-ke-hoac"]))
    with pytest.raises(UnknownReferenceError, match="did you mean 'ban-hanh-ke-hoach'"):
        compile_file(path)
    spec, source = parse_plan_spec(HN24.read_text("utf-8").replace("year: 2024", "year: 2026"),
                                   file="x.yaml")
    directory = load_directory(PLAN_SPECS / "directories/hanoi-2024.yaml")
    with pytest.raises(ValueError, match="valid from 01/01/2024 to 28/02/2025"):
        compile_plan(spec, directory, source=source)


LEVEL = {"name": "nhac", "offset_working_days": 2, "to": ["lead"]}


@pytest.mark.parametrize(("levels", "message"), [
    ([{**LEVEL, "cc": ["agency:so-noi-vuu"]}],
     "field 'escalation': unknown agency 'so-noi-vuu'; did you mean 'so-noi-vu'"),
    ([LEVEL, {**LEVEL, "offset_working_days": 5}],
     "field 'escalation': escalation level 'nhac': the same level name twice in one policy"),
    ([{**LEVEL, "to": ["monitor", "Sở Nội vụ"]}], "field 'escalation': unknown audience"),
    ([{**LEVEL, "offset_working_days": 50000}],
     "field 'tasks[0].escalation[0].offset_working_days': Input should be less than or equal "
     "to 366"),
], ids=["an agency that is not in the directory", "two levels with one name",
        "an audience that is neither a role nor an id", "an offset far past any calendar"])
def test_a_task_escalation_the_sweep_could_not_use_is_refused_at_compile(
        tmp_path: Path, levels: list[dict[str, Any]], message: str) -> None:
    path = variant(tmp_path, lambda d: task_named(d, "ban-hanh-ke-hoach").update(
        escalation=levels))
    with pytest.raises(SpecError) as caught:
        compile_file(path)
    text = str(caught.value)
    needle = "50000" if "offset" in message else "escalation:"
    assert text.startswith(f"{path}:{line_of(path, needle)}: task 'ban-hanh-ke-hoach', ")
    assert message in text
