"""kehoach rollover: next year's spec and directory, with last year's open work carried over."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.cli.main import main
from engine.core.compile import compile_plan
from engine.core.errors import UnknownReferenceError
from engine.core.spec import parse_directory, parse_plan_spec
from engine.importer.rollover import roll_over
from engine.loader import LoadedPlan, load_plan

SPECS = Path(__file__).resolve().parent.parent / "plan_specs"
HAIPHONG = SPECS / "haiphong" / "2019-42-tt-cchc.yaml"
HANOI = SPECS / "hanoi" / "2024-tt-cchc.yaml"

# Instances a store would list as open on 31/12/2019: Thành đoàn never held its 04 đợt, two
# units missed the Q4 report (one also Q3).
OPEN_2019 = [
    ("thu-bay-tinh-nguyen", "thanh-doan", "2019"),
    ("bao-cao-quy", "so-noi-vu", "2019-Q3"),
    ("bao-cao-quy", "so-noi-vu", "2019-Q4"),
    ("bao-cao-quy", "quan-le-chan", "2019-Q4"),
]


def _load(path: Path) -> LoadedPlan:
    return load_plan(path)


def _compile(text: str, directory_text: str) -> object:
    spec, source = parse_plan_spec(text, file="rolled.yaml")
    directory, _ = parse_directory(directory_text, file="dir.yaml")
    return compile_plan(spec, directory, source=source)


def test_open_instances_become_carried_over_tasks_noted_as_the_haiphong_plan_does():
    loaded = _load(HAIPHONG)
    result = roll_over(loaded.spec, loaded.directory, to_year=2020, open_instances=OPEN_2019)
    carried = {t.id: t for t in result.spec.tasks if t.note == "Nhiệm vụ chuyển tiếp năm 2019"}
    assert set(carried) == {"thu-bay-tinh-nguyen-chuyen-tiep-2019",
                            "bao-cao-quy-chuyen-tiep-2019"}
    report = carried["bao-cao-quy-chuyen-tiep-2019"]
    assert report.lead == ("so-noi-vu", "quan-le-chan")
    assert report.due == "Trong năm 2020"
    assert carried["thu-bay-tinh-nguyen-chuyen-tiep-2019"].target is not None
    assert "2019-Q3, 2019-Q4" in result.spec_yaml()


def test_dates_move_to_the_new_year_and_last_years_carry_over_notes_go():
    loaded = _load(HAIPHONG)
    result = roll_over(loaded.spec, loaded.directory, to_year=2020)
    assert {t.due for t in result.spec.tasks} == {"Cả năm 2020", "Định kỳ hằng quý",
                                                  "trước ngày 02/11"}
    assert not any(t.note and "2018" in t.note for t in result.spec.tasks)
    assert result.spec.plan.year == 2020 and result.spec.plan.number == ""
    assert result.spec.plan.title.endswith("năm 2020")
    assert len(result.spec.tasks) == len(loaded.spec.tasks)


def test_the_rolled_spec_and_its_new_directory_compile():
    loaded = _load(HAIPHONG)
    result = roll_over(loaded.spec, loaded.directory, to_year=2020, open_instances=OPEN_2019)
    directory_text = result.directory_yaml()
    assert directory_text is not None and "haiphong-2020" in directory_text
    assert result.directory_ref == "../directories/haiphong-2020.yaml"
    plan = _compile(result.spec_yaml(), directory_text)
    annual = [i for i in plan.instances if i.task == "bao-cao-nam"]  # type: ignore[attr-defined]
    # "trước ngày 02/11" is the eve, 01/11/2020: a Sunday, so due the Monday after.
    assert annual and {(str(i.printed_due), str(i.due_date)) for i in annual} == {
        ("2020-11-01", "2020-11-02")}


def test_a_directory_that_ends_before_the_new_year_ends_is_copied_for_that_year():
    loaded = _load(HANOI)  # hanoi-2024 is valid until 28/02/2025 (the district mergers)
    result = roll_over(loaded.spec, loaded.directory, to_year=2025)
    assert result.directory is not None
    assert result.directory.directory.id == "hanoi-2025"
    assert str(result.directory.directory.valid_until) == "2025-12-31"
    assert result.directory.calendar.working_days == ()
    first = result.spec.task("ban-hanh-ke-hoach")
    assert first is not None and first.due == "Chậm nhất ngày 20/02/2025"


def _tiny(due: str, title: str = "Báo cáo năm 2024") -> tuple[str, str]:
    directory = ("directory: {id: t, city: X, valid_from: 2020-01-01, valid_until: 2030-12-31}\n"
                 "agencies:\n  - {id: ubnd-tp, name: UBND, kind: issuer}\n"
                 "  - {id: so-noi-vu, name: Sở Nội vụ, kind: department}\n")
    spec = (f"plan: {{id: t-2024, title: 'Kế hoạch năm 2024', year: 2024, issuer: ubnd-tp, "
            f"monitor: so-noi-vu, directory: t.yaml}}\n"
            f"tasks:\n  - {{id: a, title: '{title}', lead: [so-noi-vu], due: '{due}'}}\n")
    return spec, directory


def test_a_leap_day_moves_to_the_28th_and_says_so():
    spec_text, directory_text = _tiny("29/02/2024")
    spec, _ = parse_plan_spec(spec_text, file="t.yaml")
    directory, _ = parse_directory(directory_text, file="d.yaml")
    result = roll_over(spec, directory, to_year=2025)
    assert result.spec.tasks[0].due == "28/02/2025"
    assert "no date in 2025" in result.spec_yaml()


def test_document_numbers_keep_their_year_and_a_long_directory_is_kept():
    spec_text, directory_text = _tiny("Quý II/2024", "Theo Nghị định 61/2024/NĐ-CP, năm 2024")
    spec, _ = parse_plan_spec(spec_text, file="t.yaml")
    directory, _ = parse_directory(directory_text, file="d.yaml")
    result = roll_over(spec, directory, to_year=2025)
    assert result.spec.tasks[0].title == "Theo Nghị định 61/2024/NĐ-CP, năm 2025"
    assert result.spec.tasks[0].due == "Quý II/2025"
    assert result.directory is None and result.directory_ref == "t.yaml"


@pytest.mark.parametrize(("open_instance", "kind"), [
    (("khong-co", "so-noi-vu", "2024"), "task"),
    (("a", "so-khong-co", "2024"), "agency"),
], ids=["an unknown task", "an unknown agency"])
def test_open_instances_naming_nothing_are_refused(open_instance, kind):
    spec_text, directory_text = _tiny("Quý II/2024")
    spec, _ = parse_plan_spec(spec_text, file="t.yaml")
    directory, _ = parse_directory(directory_text, file="d.yaml")
    with pytest.raises(UnknownReferenceError) as caught:
        roll_over(spec, directory, to_year=2025, open_instances=[open_instance])
    assert caught.value.kind == kind


def test_rolling_back_in_time_is_refused():
    spec_text, directory_text = _tiny("Quý II/2024")
    spec, _ = parse_plan_spec(spec_text, file="t.yaml")
    directory, _ = parse_directory(directory_text, file="d.yaml")
    with pytest.raises(ValueError, match="cannot roll over to 2023"):
        roll_over(spec, directory, to_year=2023)


def test_the_rollover_command_writes_a_spec_that_validates(tmp_path, capsys):
    loaded = _load(HAIPHONG)
    (tmp_path / "plans").mkdir()
    (tmp_path / "directories").mkdir()
    spec = tmp_path / "plans" / "2019.yaml"
    spec.write_text(HAIPHONG.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "directories" / "haiphong-2019.yaml").write_text(
        loaded.directory_path.read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "plans" / "2020.yaml"
    assert main(["rollover", str(spec), "--to", "2020", "-o", str(out)]) == 0
    assert (tmp_path / "directories" / "haiphong-2020.yaml").exists()
    assert main(["validate", str(out)]) == 0
    assert main(["rollover", str(spec), "--to", "2020", "-o", str(out)]) == 0
    assert "exists: kept" in capsys.readouterr().err
    assert main(["rollover", str(spec), "--to", "2018"]) == 1


def test_rollover_from_the_database_carries_over_what_is_open_at_year_end(
        tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("KEHOACH_HOME", str(tmp_path))
    monkeypatch.delenv("KEHOACH_DATABASE_URL", raising=False)
    loaded = _load(HAIPHONG)
    assert main(["register", str(HAIPHONG)]) == 0
    dated = [i for i in compile_plan(loaded.spec, loaded.directory).instances if i.due_date]
    one_offs = [i for i in dated if i.period == "2019"]
    # Every one-off done except the first; every quarterly report done except Sở Nội vụ's.
    for inst in one_offs[1:] + [i for i in dated if "-Q" in i.period and i.agency != "so-noi-vu"]:
        assert main(["complete", inst.id, "--at", "2019-06-01"]) == 0
    (tmp_path / "plans").mkdir()
    (tmp_path / "directories").mkdir()
    out = tmp_path / "plans" / "2020.yaml"
    capsys.readouterr()
    assert main(["rollover", str(HAIPHONG), "--to", "2020", "--from-db", "-o", str(out)]) == 0
    rolled = out.read_text("utf-8")
    assert f"{one_offs[0].task}-chuyen-tiep-2019" in rolled
    assert "Nhiệm vụ chuyển tiếp năm 2019" in rolled
    carried = rolled.split("bao-cao-quy-chuyen-tiep-2019", 1)[1].split("- id:", 1)[0]
    assert "so-noi-vu" in carried and "quan-le-chan" not in carried
    assert f"{one_offs[1].task}-chuyen-tiep-2019" not in rolled


def test_rollover_into_a_new_folder_creates_the_directory_beside_it(tmp_path):
    out = tmp_path / "plans" / "2020.yaml"
    assert main(["rollover", str(HAIPHONG), "--to", "2020", "-o", str(out)]) == 0
    assert (tmp_path / "directories" / "haiphong-2020.yaml").is_file()
    assert main(["validate", str(out)]) == 0
