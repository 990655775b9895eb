"""`kehoach review ...` and `kehoach extension ...`: the steps, and bad input refused with a
clear message, exit 1 and nothing written."""

from __future__ import annotations

import json

import pytest

from tests.test_cli import HN24, PLAN, home, run

__all__ = ["home"]
HEALTH = f"{PLAN}:ban-hanh-ke-hoach:so-y-te:2024"
FINANCE = f"{PLAN}:ban-hanh-ke-hoach:so-tai-chinh:2024"


@pytest.fixture(autouse=True)
def registered(home: object, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "register", str(HN24))[0] == 0


def audit_size(capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """(extension requests of any state, the plan's status JSON): what a write would move."""
    code, out, _ = run(capsys, "extension", "list", "--state", "all", "--json")
    assert code == 0
    status = run(capsys, "status", "--plan", PLAN, "--json", "--as-of", "2024-03-31")[1]
    return len(json.loads(out)), status


def test_a_request_approved_with_another_date_and_a_returned_report(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "extension", "request", FINANCE, "--due", "2024-03-05",
                         "--reason", "Chờ ý kiến Bộ", "--as", "so-tai-chinh",
                         "--at", "2024-02-16T09:00")
    assert code == 0, err
    assert "số 1" in out and "20/02/2024 đến 05/03/2024" in out
    code, out, _ = run(capsys, "extension", "list")
    assert "đang chờ duyệt" in out
    code, out, err = run(capsys, "extension", "approve", "1", "--due", "2024-03-01",
                         "--as", "ubnd-tp", "--at", "2024-02-18")
    assert code == 0, err
    assert "thời hạn mới 01/03/2024 (hạn cũ 20/02/2024)" in out
    assert run(capsys, "complete", HEALTH, "--at", "2024-02-15T10:00")[0] == 0
    code, out, _ = run(capsys, "review", "list", "--json")
    assert [r["instance_id"] for r in json.loads(out)] == [HEALTH]
    code, out, err = run(capsys, "review", "return", HEALTH, "--reason", "Thiếu chữ ký",
                         "--as", "so-noi-vu", "--at", "2024-02-19")
    assert code == 0, err
    assert "tính là chưa hoàn thành" in out
    status = json.loads(run(capsys, "status", "--plan", PLAN, "--json", "--as-of",
                            "2024-02-22")[1])
    rows = {r["id"]: r for r in status["instances"]}
    assert (rows[HEALTH]["status"], rows[HEALTH]["review"]) == ("overdue", "returned")
    assert rows[FINANCE]["status"] == "on_track"
    assert rows[FINANCE]["original_due"].startswith("2024-02-20")
    assert rows[FINANCE]["due"].startswith("2024-03-01")
    assert run(capsys, "db", "verify")[0] == 0


@pytest.mark.parametrize(("setup", "argv", "words"), [
    ([], ["extension", "request", FINANCE, "--due", "2024-02-19", "--reason", "x", "--at",
          "2024-02-16"], ["phải sau thời hạn hiện tại 20/02/2024"]),
    ([], ["extension", "request", FINANCE, "--due", "2025-01-15", "--reason", "x", "--at",
          "2024-02-16"], ["vượt quá năm kế hoạch 2024"]),
    ([], ["extension", "request", FINANCE, "--due", "05/03/2024", "--reason", "x"],
     ["--due '05/03/2024' is not a date"]),
    ([], ["extension", "request", FINANCE, "--due", "2024-03-05", "--reason", "x", "--as",
          "so-y-te", "--at", "2024-02-16"], ["chỉ cơ quan chủ trì 'so-tai-chinh'"]),
    ([["complete", FINANCE, "--at", "2024-02-10"]],
     ["extension", "request", FINANCE, "--due", "2024-03-05", "--reason", "x", "--at",
      "2024-02-16"], ["đã báo hoàn thành"]),
    ([["waive", FINANCE, "--reason", "sáp nhập"]],
     ["extension", "request", FINANCE, "--due", "2024-03-05", "--reason", "x", "--at",
      "2024-02-16"], ["đã được miễn/hủy"]),
    ([["extension", "request", FINANCE, "--due", "2024-03-05", "--reason", "x", "--at",
       "2024-02-16"], ["extension", "refuse", "1", "--reason", "không", "--at", "2024-02-17"]],
     ["extension", "approve", "1", "--at", "2024-02-18"], ["mỗi đề nghị chỉ có một quyết định"]),
    ([], ["extension", "approve", "7"], ["no extension request with id '7'"]),
    ([], ["extension", "approve", "99999999999999999999"], ["no extension request"]),
    ([], ["extension", "request", FINANCE, "--due", "2024-03-05", "--reason", "x", "--at",
          "2004-02-16"], ["thời điểm quá sớm", "01/01/2023"]),
    ([], ["review", "return", HEALTH, "--reason", "x"], ["không có báo cáo hoàn thành"]),
    ([["complete", HEALTH, "--at", "2024-02-10"]],
     ["review", "accept", HEALTH, "--as", "ubnd-tp"], ["chỉ cơ quan 'so-noi-vu' xem xét"]),
], ids=["a date before the current due", "a date after the plan year", "a date not ISO",
        "by another agency", "on a done instance", "on a waived instance",
        "a second decision", "an unknown request", "a request id past 64 bits",
        "a mistyped year", "returning what was not reported",
        "reviewed by the issuer"])
def test_bad_input_is_refused_with_a_clear_message_and_nothing_written(
        capsys: pytest.CaptureFixture[str], setup: list[list[str]], argv: list[str],
        words: list[str]) -> None:
    for step in setup:
        assert run(capsys, *step)[0] == 0
    before = audit_size(capsys)
    code, out, err = run(capsys, *argv)
    assert code == 1, err
    assert "internal error" not in err and "Traceback" not in err and not out
    for word in words:
        assert word in err, err
    assert audit_size(capsys) == before


@pytest.mark.parametrize(("policy", "words"), [
    ("    reviewer: chairman\n", ["review.reviewer", "'issuer' or 'monitor'"]),
    ("    max_extensions: -1\n", ["review.max_extensions", "greater than or equal to 0"]),
    ("    extension_approvers: []\n", ["review.extension_approvers"]),
], ids=["an unknown reviewer", "a negative maximum", "no approver"])
def test_a_bad_review_policy_is_a_spec_error_naming_its_line(
        capsys: pytest.CaptureFixture[str], tmp_path: object, policy: str,
        words: list[str]) -> None:
    from pathlib import Path

    spec = Path(str(tmp_path)) / "plan.yaml"
    text = HN24.read_text("utf-8").replace("../directories/", f"{HN24.parent.parent}/directories/")
    spec.write_text(text.replace("  calendar: VN\n", f"  calendar: VN\n  review:\n{policy}", 1),
                    "utf-8")
    code, _, err = run(capsys, "validate", str(spec))
    assert code == 1
    assert f"{spec}:" in err
    for word in words:
        assert word in err, err


def test_the_monitor_may_approve_when_the_spec_says_so(
        capsys: pytest.CaptureFixture[str], tmp_path: object) -> None:
    from pathlib import Path

    spec = Path(str(tmp_path)) / "plan.yaml"
    text = HN24.read_text("utf-8").replace("../directories/", f"{HN24.parent.parent}/directories/")
    spec.write_text(text.replace("  calendar: VN\n", "  calendar: VN\n  review:\n"
                                 "    extension_approvers: [issuer, monitor]\n"
                                 "    completions_reviewed: false\n", 1), "utf-8")
    assert run(capsys, "register", str(spec))[0] == 0
    assert run(capsys, "extension", "request", FINANCE, "--due", "2024-03-05", "--reason",
               "x", "--at", "2024-02-16")[0] == 0
    code, _, err = run(capsys, "extension", "approve", "1", "--as", "so-noi-vu", "--at",
                         "2024-02-17")
    assert code == 0, err
    assert run(capsys, "complete", HEALTH, "--at", "2024-02-15")[0] == 0
    code, _, err = run(capsys, "review", "return", HEALTH, "--reason", "x")
    assert code == 1 and "không yêu cầu xem xét" in err
    assert json.loads(run(capsys, "review", "list", "--json")[1]) == []
