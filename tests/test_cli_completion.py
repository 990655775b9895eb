"""`kehoach complete` and `waive` refuse what the API refuses, naming the option; nothing is
written and the exit code is the usual input error (1), never the internal-error one."""

from __future__ import annotations

import pytest

from tests.test_cli import HN24, PLAN, changed_count, home, run

__all__ = ["home"]
MINE = f"{PLAN}:ban-hanh-ke-hoach:so-y-te:2024"        # no target
POSTS = f"{PLAN}:tin-bai-trang-ttdt:so-y-te:2024"      # target: 12 tin/bài


@pytest.fixture(autouse=True)
def registered(home: object, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "register", str(HN24))[0] == 0


@pytest.mark.parametrize(("argv", "words"), [
    (["complete", MINE, "--at", "0001-01-01T00:00"], ["--at '0001-01-01T00:00'", "01/01/2023"]),
    (["complete", MINE, "--at", "0001-01-01T00:00+14:00"], ["--at", "01/01/2023"]),
    (["complete", MINE, "--at", "1900-01-01T00:00"], ["--at", "quá sớm", "01/01/2023"]),
    (["complete", MINE, "--at", "2004-02-19"], ["--at", "01/01/2023"]),
    (["complete", POSTS, "--count", "2", "--at", "2022-12-31T23:59"], ["--at", "01/01/2023"]),
    (["complete", MINE, "--at", "9999-12-31T23:59-12:00"], ["--at", "in the future"]),
    (["complete", MINE, "--at", "2999-01-01"], ["--at", "in the future"]),
    (["complete", MINE, "--count", "2"], ["--count 2", "không có chỉ tiêu"]),
    (["complete", POSTS, "--count", "3000000000"], ["--count 3000000000", "1,000,000"]),
    (["waive", MINE, "--reason", ""], ["--reason", "empty"]),
    (["waive", MINE, "--reason", "  \t"], ["--reason", "empty"]),
], ids=["year 1", "year 1 at +14:00", "1900", "2004 for 2024", "progress too early",
        "overflowing future", "future", "a count without a target", "a count too large",
        "an empty reason", "a blank reason"])
def test_values_the_api_refuses_are_input_errors_naming_the_option(
        capsys: pytest.CaptureFixture[str], argv: list[str], words: list[str]) -> None:
    before = changed_count(capsys)
    code, out, err = run(capsys, *argv)
    assert code == 1, err
    assert "internal error" not in err and "Traceback" not in err and not out
    for word in words:
        assert word in err, err
    assert changed_count(capsys) == before


def test_the_earliest_accepted_time_is_accepted(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "complete", MINE, "--at", "2023-01-01T00:00")
    assert code == 0 and "01/01/2023 00:00 (đúng hạn)" in out
    code, out, _ = run(capsys, "complete", POSTS, "--count", "2", "--at", "2024-03-01")
    assert code == 0 and out.strip().endswith(": 2/12")


def test_completing_twice_names_the_first_completion_in_local_time(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "complete", MINE, "--at", "2024-02-10T03:00")[0] == 0  # 09/02 in UTC
    code, _, err = run(capsys, "complete", MINE, "--at", "2024-02-10T03:00")
    assert code == 1 and "is already completed at 10/02/2024 03:00" in err


def test_a_waiver_keeps_its_reason_trimmed(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "waive", MINE, "--reason", "  sáp nhập ")[0] == 0
    code, _, err = run(capsys, "complete", MINE)
    assert code == 1 and "is waived (sáp nhập); restore it first" in err
