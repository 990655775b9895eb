"""The `kehoach` command as an operator uses it: output, exit codes, nothing half-written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from engine.cli.main import main
from tests.conftest import PLAN_SPECS, ROOT

HN24 = PLAN_SPECS / "hanoi/2024-tt-cchc.yaml"
PLAN = "hn-2024-tt-cchc"


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KEHOACH_HOME", str(tmp_path))
    monkeypatch.delenv("KEHOACH_DATABASE_URL", raising=False)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_validate_all_plan_specs_and_directories(capsys: pytest.CaptureFixture[str]) -> None:
    files = sorted(str(p) for p in PLAN_SPECS.glob("*/*.yaml"))
    code, out, _ = run(capsys, "validate", *files)
    assert code == 0
    assert out.count("ok ") == len(files)
    assert "1,009 instances" in out and "[output-later]" in out


def test_validate_fails_with_the_file_and_line_of_a_bad_spec(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("plan:\n  id: x\n  title: T\n  year: 2024\n  issuer: a\n  monitor: b\n"
                   "  directory: nowhere.yaml\ntasks:\n  - id: t\n    title: T\n"
                   "    lead: [a]\n    due: Trong năm\n    colour: red\n", "utf-8")
    code, out, err = run(capsys, "validate", str(HN24), str(bad))
    assert code == 1
    assert f"{bad}:13: task 't', field 'tasks[0].colour': unknown field" in err
    assert "1 of 2 spec(s) failed validation" in err and f"ok {HN24}" in out


def test_compile_json_is_exactly_the_contract(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "compile", str(HN24), "--json")
    doc = json.loads(out)
    assert code == 0 and set(doc) == {"plan", "instances", "edges", "warnings"}
    assert doc["plan"] == {"id": PLAN, "year": 2024, "title": doc["plan"]["title"]}
    assert set(doc["instances"][0]) == {"id", "task", "agency", "period", "due", "printed_due",
                                        "target"}
    first = next(i for i in doc["instances"] if i["id"].endswith("ban-hanh-ke-hoach:so-y-te:2024"))
    assert first["due"] == "2024-02-20T23:59:59+07:00" and first["printed_due"] == "2024-02-20"
    continuous = next(i for i in doc["instances"] if i["task"] == "pho-bien-phap-luat")
    assert continuous["due"] is None
    assert all(len(e) == 2 for e in doc["edges"]) and len(doc["instances"]) == 1009
    assert set(doc["warnings"][0]) == {"code", "message", "task"}


@pytest.mark.parametrize(("fmt", "start", "edge"), [
    ("mermaid", "flowchart LR", " --> "), ("dot", 'digraph "hn-2024-tt-cchc" {', " -> ")],
    ids=["mermaid", "dot"])
def test_graph_prints_the_task_dependencies(capsys: pytest.CaptureFixture[str], fmt: str,
                                            start: str, edge: str) -> None:
    code, out, _ = run(capsys, "graph", str(HN24), "--format", fmt)
    assert code == 0 and out.startswith(start)
    assert "ban-hanh-ke-hoach" in out and edge in out


def test_show_prints_the_task_table_in_vietnamese(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "show", str(HN24))
    assert code == 0
    for text in ("Chủ trì", "Hạn thực tế", "Chậm nhất ngày 20/02/2024", "01/04/2024 *",
                 "không hạn (thường xuyên)", "UBND các quận, huyện, thị xã (30)"):
        assert text in out


def test_register_complete_status_and_report(capsys: pytest.CaptureFixture[str],
                                             tmp_path: Path) -> None:
    assert run(capsys, "register", str(HN24))[0] == 0
    code, out, _ = run(capsys, "complete", f"{PLAN}:ban-hanh-ke-hoach:so-y-te:2024",
                       "--at", "2024-02-21T09:00", "--evidence", "https://example.org/kh")
    assert code == 0 and "(quá hạn)" in out
    code, out, _ = run(capsys, "status", "--plan", PLAN, "--agency", "so-y-te",
                       "--as-of", "2024-03-31", "--json")
    doc = json.loads(out)
    assert set(doc) == {"plan", "as_of", "counts", "instances"}
    assert doc["counts"]["done_late"] == 1
    done = next(i for i in doc["instances"] if i["task"] == "ban-hanh-ke-hoach")
    assert done["status"] == "done_late" and done["days_late"] == 1
    xlsx = tmp_path / "q1.xlsx"
    assert run(capsys, "report", "--plan", PLAN, "--period", "2024-Q1", "--format", "xlsx",
               "-o", str(xlsx))[0] == 0
    from openpyxl import load_workbook
    sheet = load_workbook(xlsx)["Nhiệm vụ"]
    assert [c.value for c in sheet[3]][:5] == ["STT", "Nhiệm vụ", "Cơ quan chủ trì",
                                               "Cơ quan phối hợp", "Thời hạn"]
    code, out, _ = run(capsys, "report", "--plan", PLAN, "--period", "2024-Q1", "--format",
                       "csv")
    assert code == 0 and out.splitlines()[0].startswith("STT,Nhiệm vụ,Cơ quan chủ trì")


def changed_count(capsys: pytest.CaptureFixture[str]) -> int:
    """How many instances are done or waived (a write would change this)."""
    code, out, _ = run(capsys, "status", "--plan", PLAN, "--json")
    assert code == 0
    counts = json.loads(out)["counts"]
    return int(counts["done_on_time"] + counts["done_late"] + counts["waived"])


@pytest.mark.parametrize(("argv", "message"), [
    (["complete", "hn-2024-tt-cchc:khong-co:so-y-te:2024"],
     "no instance with id 'hn-2024-tt-cchc:khong-co:so-y-te:2024'"),
    (["complete", f"{PLAN}:tin-bai-trang-ttdt:so-y-te:2024", "--count", "-2"],
     "--count must be a positive number, got -2"),
    (["complete", f"{PLAN}:ban-hanh-ke-hoach:so-tu-phap:2024"], "is waived (sáp nhập)"),
    (["complete", f"{PLAN}:ban-hanh-ke-hoach:so-y-te:2024", "--at", "hôm qua"],
     "--at 'hôm qua' is not a date"),
    (["report", "--plan", PLAN, "--period", "2024-Q5"], "2024-Q5"),
    (["status", "--plan", "khong-co"], "no plan with id 'khong-co'"),
], ids=["unknown instance id", "negative count", "completing a waived instance",
        "a time that is not ISO", "a period that does not exist", "unknown plan"])
def test_bad_input_is_refused_with_a_clear_message_and_writes_nothing(
        capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    run(capsys, "register", str(HN24))
    run(capsys, "waive", f"{PLAN}:ban-hanh-ke-hoach:so-tu-phap:2024", "--reason", "sáp nhập")
    before = changed_count(capsys)
    code, _, err = run(capsys, *argv)
    assert code == 1 and message in err and "Traceback" not in err
    assert changed_count(capsys) == before


def test_another_plan_under_the_same_number_is_refused(capsys: pytest.CaptureFixture[str],
                                                      tmp_path: Path) -> None:
    data = yaml.safe_load(HN24.read_text("utf-8"))
    data["plan"]["number"] = "99/KH-UBND"
    data["plan"]["directory"] = str(PLAN_SPECS / "directories/hanoi-2024.yaml")
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    data["plan"]["id"] = "hn-2024-ban-sao"
    second.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    assert run(capsys, "register", str(first))[0] == 0
    code, _, err = run(capsys, "register", str(second))
    assert code == 1 and "already registered as plan 'hn-2024-tt-cchc'" in err
    assert run(capsys, "status", "--plan", "hn-2024-ban-sao")[0] == 1


def test_the_installed_command_exits_non_zero_without_a_traceback(tmp_path: Path) -> None:
    done = subprocess.run([str(Path(sys.executable).parent / "kehoach"), "validate",
                           str(tmp_path / "missing.yaml")], capture_output=True, text=True,
                          cwd=ROOT)
    assert done.returncode == 1
    assert "missing.yaml: file not found" in done.stderr and "Traceback" not in done.stderr


HP19 = PLAN_SPECS / "haiphong/2019-42-tt-cchc.yaml"


def _copy_spec(source: Path, target: Path, **plan: object) -> Path:
    """`source` written to `target` with its directory made absolute and `plan` fields set."""
    data = yaml.safe_load(source.read_text("utf-8"))
    data["plan"]["directory"] = str((source.parent / data["plan"]["directory"]).resolve())
    data["plan"].update(plan)
    target.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return target


def _bad_spec(tmp_path: Path) -> Path:
    bad = _copy_spec(HP19, tmp_path / "bad.yaml", id="hp-bad")
    bad.write_text(bad.read_text("utf-8").replace("lead:\n", "lead:\n  - so-khong-co\n", 1),
                   "utf-8")
    return bad


@pytest.mark.parametrize("order", ["good first", "bad first"])
def test_a_batch_with_a_bad_spec_registers_nothing_and_names_every_error(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, order: str) -> None:
    good, bad = HP19, _bad_spec(tmp_path)
    other_bad = _copy_spec(HN24, tmp_path / "bad2.yaml", year="hai nghìn")
    files = [good, bad, other_bad] if order == "good first" else [bad, other_bad, good]
    code, out, err = run(capsys, "register", *map(str, files))
    assert code == 1 and out == ""
    assert f"{bad}" in err and "so-khong-co" in err and f"{other_bad}" in err
    assert "2 of 3 spec(s) have errors: nothing registered" in err
    assert not (tmp_path / "kehoach.db").exists()  # nothing compiled, nothing opened
    code, out, _ = run(capsys, "register", str(good))
    assert code == 0 and "registered revision 1" in out


def test_a_batch_the_database_refuses_in_part_is_rolled_back_whole(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    first = _copy_spec(HN24, tmp_path / "a.yaml", number="99/KH-UBND")
    second = _copy_spec(HN24, tmp_path / "b.yaml", number="99/KH-UBND", id="hn-2024-ban-sao")
    code, out, err = run(capsys, "register", str(first), str(second))
    assert code == 1 and out == ""
    assert f"{second}: " in err and "already registered as plan" in err
    assert "nothing registered" in err
    assert run(capsys, "status", "--plan", PLAN)[0] == 1  # the first was rolled back too


def test_report_output_goes_into_a_new_folder_or_names_the_path_it_cannot_write(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    run(capsys, "register", str(HN24))
    target = tmp_path / "reports" / "2024" / "q1.csv"
    code, out, _ = run(capsys, "report", "--plan", PLAN, "--period", "2024-Q1", "--format",
                       "csv", "-o", str(target))
    assert code == 0 and f"wrote {target}" in out
    assert target.read_text("utf-8").startswith("STT,")
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", "utf-8")
    for fmt in ("csv", "xlsx", "html"):
        code, _, err = run(capsys, "report", "--plan", PLAN, "--period", "2024-Q1", "--format",
                           fmt, "-o", str(blocker / f"q1.{fmt}"))
        assert code == 1, err
        assert f"cannot write {blocker / f'q1.{fmt}'}: " in err and "bug" not in err


@pytest.mark.parametrize("period", ["2025-Q1", "2023", "2025"])
def test_a_report_period_outside_the_plan_year_is_refused(
        capsys: pytest.CaptureFixture[str], period: str) -> None:
    run(capsys, "register", str(HN24))
    code, out, err = run(capsys, "report", "--plan", PLAN, "--period", period)
    assert code == 1 and out == ""
    assert f"--period {period} is outside plan '{PLAN}' (year 2024)" in err


def _tokens(capsys: pytest.CaptureFixture[str]) -> str:
    code, out, _ = run(capsys, "token", "list")
    assert code == 0
    return out


@pytest.mark.parametrize(("argv", "message"), [
    (["--agency", "so-xyz", "--directory", "hanoi-2024"],
     "unknown agency 'so-xyz': not in directory 'hanoi-2024' (did you mean 'so-y-te'?)"),
    (["--agency", "so-y-te", "--directory", "hanoi-2099"],
     "unknown directory 'hanoi-2099': no registered plan uses it (known: hanoi-2024) "
     "(did you mean 'hanoi-2024'?)"),
    (["--agency", "so-y-te", "--directory", "hanoi-2099", "--calendar"],
     "unknown directory 'hanoi-2099'"),
], ids=["unknown agency", "unknown directory", "calendar token of an unknown directory"])
def test_token_create_refuses_an_unknown_agency_or_directory(
        capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    run(capsys, "register", str(HN24))
    code, out, err = run(capsys, "token", "create", *argv)
    assert code == 1 and out == ""
    assert message in err and "no token created" in err
    assert "0 token(s)" in _tokens(capsys)


def test_token_messages_list_notes_and_revoking_twice(capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "register", str(HN24))
    code, out, _ = run(capsys, "token", "create", "--agency", "so-y-te", "--directory",
                       "hanoi-2024", "--calendar", "--note", "lịch của Sở Y tế")
    assert code == 0
    assert "loại lịch (chỉ đọc) cho so-y-te (hanoi-2024)" in out and "agency" not in out
    assert "Lưu ngay: token chỉ hiện một lần này." in out and "khóa ký" not in out
    assert "signing secret" not in out
    code, out, _ = run(capsys, "token", "create", "--agency", "so-y-te", "--directory",
                       "hanoi-2024")
    assert code == 0 and "loại cơ quan" in out and "token và khóa ký" in out
    assert "signing secret: khsig_" in out
    listing = _tokens(capsys)
    assert "Note" in listing and "lịch của Sở Y tế" in listing
    token_id = listing.split("tok_", 1)[1].split()[0]
    code, out, _ = run(capsys, "token", "revoke", f"tok_{token_id}")
    assert code == 0 and out.startswith(f"Đã thu hồi token tok_{token_id}.")
    code, out, _ = run(capsys, "token", "revoke", f"tok_{token_id}")
    assert code == 0 and "đã bị thu hồi từ trước" in out and "Đã thu hồi" not in out


def test_import_of_a_folder_asks_for_the_document(capsys: pytest.CaptureFixture[str],
                                                  tmp_path: Path) -> None:
    code, _, err = run(capsys, "import", str(tmp_path), "--directory",
                       str(PLAN_SPECS / "directories/hanoi-2024.yaml"))
    assert code == 1
    assert f"{tmp_path}: is a folder: give the plan document itself (a .txt" in err
    assert "YAML" not in err


def test_serve_usage_shows_the_api_part_as_optional(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    usage = capsys.readouterr().out.split("\n\n", 1)[0]
    assert "PART" not in usage
    assert "kehoach serve [-h] [--host HOST] [--port PORT] [--prefect-port PORT]" in usage
    assert "kehoach serve api [-h]" in usage


def test_a_period_of_another_year_holding_some_instances_is_reported_with_a_warning(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    spec = _copy_spec(HP19, tmp_path / "late.yaml")
    spec.write_text(spec.read_text("utf-8").replace("due: Cả năm 2019",
                                                    "due: Chậm nhất ngày 15/01/2020", 1),
                    "utf-8")
    assert run(capsys, "register", str(spec))[0] == 0
    code, out, err = run(capsys, "report", "--plan", "hp-2019-42-tt-cchc", "--period", "2020-Q1",
                         "--format", "json")
    assert code == 0, err
    assert "warning: --period 2020-Q1 is outside plan 'hp-2019-42-tt-cchc' (year 2019): only " \
           "the 1 instance(s) due in it are counted" in err
    assert json.loads(out)["period"] == "2020-Q1"


def test_a_waiver_dated_within_a_past_quarter_shows_in_its_report(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "register", str(HN24))[0] == 0
    iid = f"{PLAN}:ban-hanh-ke-hoach:so-y-te:2024"

    def q1_waived() -> int:
        code, out, _ = run(capsys, "report", "--plan", PLAN, "--period", "2024-Q1",
                           "--format", "json")
        assert code == 0
        return int(json.loads(out)["total"]["counts"]["waived"])

    code, _, err = run(capsys, "waive", iid, "--reason", "gộp vào kế hoạch khác",
                       "--at", "2099-01-01T08:00")
    assert code == 1 and "--at" in err and "future" in err
    assert q1_waived() == 0  # nothing written
    code, out, _ = run(capsys, "waive", iid, "--reason", "gộp vào kế hoạch khác",
                       "--at", "2024-03-15T09:00")
    assert code == 0 and "từ 09:00 15/03/2024" in out
    assert q1_waived() == 1


def test_an_operator_token_with_an_agency_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "register", str(HN24))
    code, out, err = run(capsys, "token", "create", "--operator", "--agency", "so-y-te",
                         "--directory", "hanoi-2024")
    assert code == 1 and out == "" and "drop --agency and --directory" in err
    assert "0 token(s)" in _tokens(capsys)


def test_a_leadership_token_is_made_listed_and_revoked_like_the_others(
        capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "register", str(HN24))
    code, out, _ = run(capsys, "token", "create", "--leadership", "--directory", "hanoi-2024",
                       "--note", "Chủ tịch UBND thành phố")
    assert code == 0
    assert "loại lãnh đạo cho danh mục hanoi-2024" in out and "signing secret" not in out
    assert "token: kh_" in out and "/dang-nhap?ma=tok_" in out and "tiep=%2Flanh-dao" in out
    listing = _tokens(capsys)
    assert "leadership" in listing and "Chủ tịch UBND thành phố" in listing
    token_id = "tok_" + listing.split("tok_", 1)[1].split()[0]
    code, out, _ = run(capsys, "token", "revoke", token_id)
    assert code == 0 and out.startswith(f"Đã thu hồi token {token_id}.")


@pytest.mark.parametrize(("argv", "message"), [
    (["--leadership"], "a leadership token reads one directory's plans: give --directory"),
    (["--leadership", "--directory", "hanoi-2024", "--agency", "so-y-te"],
     "give --directory and no --agency"),
    (["--leadership", "--directory", "hanoi-2099"], "unknown directory 'hanoi-2099'"),
    (["--leadership", "--operator"], "not allowed with argument"),
], ids=["no directory", "with an agency", "unknown directory", "and operator"])
def test_a_leadership_token_needs_one_known_directory(
        capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    run(capsys, "register", str(HN24))
    try:
        code, _, err = run(capsys, "token", "create", *argv)
    except SystemExit as exc:  # argparse's own refusal (mutually exclusive options)
        code, err = int(exc.code or 0), capsys.readouterr().err
    assert code in (1, 2) and message in err
    assert "0 token(s)" in _tokens(capsys)
