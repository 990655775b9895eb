"""Values that pass YAML but not the libraries behind them: refused at validation, with a line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.cli.main import main
from engine.store.database import open_store
from engine.store.tables import PlanRow
from tests.conftest import PLAN_SPECS

HN24 = PLAN_SPECS / "hanoi/2024-tt-cchc.yaml"
DIRECTORY = PLAN_SPECS / "directories/hanoi-2024.yaml"
Edit = Callable[[str], str]


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KEHOACH_HOME", str(tmp_path))
    monkeypatch.delenv("KEHOACH_DATABASE_URL", raising=False)
    return tmp_path


def copies(tmp_path: Path, plan: Edit, directory: Edit) -> tuple[Path, Path]:
    """The 2024 plan and its directory, edited as text, side by side in tmp_path."""
    directory_path = tmp_path / "hanoi-2024.yaml"
    directory_path.write_text(directory(DIRECTORY.read_text("utf-8")), "utf-8")
    plan_path = tmp_path / "plan.yaml"
    plan_path.write_text(plan(HN24.read_text("utf-8").replace(
        "directory: ../directories/hanoi-2024.yaml", "directory: hanoi-2024.yaml")), "utf-8")
    return plan_path, directory_path


def line_of(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text("utf-8").splitlines(), 1)
                if needle in line)


def keep(text: str) -> str:
    return text


CASES = [
    (lambda t: t.replace("timezone: Asia/Ho_Chi_Minh", "timezone: Mars/Olympus"), keep,
     "plan", "Mars/Olympus",
     "field 'plan.timezone': unknown time zone 'Mars/Olympus': use an IANA name such as "
     "'Asia/Ho_Chi_Minh'"),
    (lambda t: t.replace("timezone: Asia/Ho_Chi_Minh", "timezone: asia/ho_chi_minh"), keep,
     "plan", "asia/ho_chi_minh", "field 'plan.timezone': unknown time zone 'asia/ho_chi_minh'"),
    (lambda t: t.replace("  calendar: VN\n", "  calendar: VN\n  issued: 2024-02-30\n"), keep,
     "plan", "2024-02-30",
     "field 'plan.issued': '2024-02-30' is not a valid date (day is out of range for month)"),
    (lambda t: t.replace("  calendar: VN\n", "  calendar: VN\n  issued: 0000-01-01\n"), keep,
     "plan", "0000-01-01", "field 'plan.issued': '0000-01-01' is not a valid date"),
    (lambda t: t.replace("  calendar: VN\n", "  calendar: VN\n  source: !!int abc\n"), keep,
     "plan", "!!int abc", "field 'plan.source': 'abc' is not readable"),
    (keep, lambda t: t.replace("working_days: [2024-05-04]", "working_days: [2024-05-04, "
                                                             "2024-13-04]"),
     "directory", "2024-13-04",
     "field 'calendar.working_days[1]': '2024-13-04' is not a valid date (month must be in "
     "1..12)"),
    (keep, lambda t: t.replace("valid_until: 2025-02-28", "valid_until: 2025-02-29"),
     "directory", "2025-02-29", "field 'directory.valid_until': '2025-02-29' is not a valid date"),
    (keep, lambda t: t.replace("emails: [so-noi-vu@hanoi.example.org]",
                               'emails: ["Sở Nội vụ <so-noi-vu@hanoi.example.org>"]'),
     "directory", "Sở Nội vụ <",
     "'Sở Nội vụ <so-noi-vu@hanoi.example.org>' is not an e-mail address: write one bare "
     "address per item (user@example.org), without a name or '<>'"),
    (keep, lambda t: t.replace("emails: [so-noi-vu@hanoi.example.org]",
                               "emails: [so-noi-vu@hanoi, khong-phai-thu]"),
     "directory", "so-noi-vu@hanoi,", "'so-noi-vu@hanoi' is not an e-mail address"),
]
IDS = ["a time zone that does not exist", "a time zone in the wrong case",
       "30 February as the issue date", "year 0 as the issue date",
       "a YAML tag that does not fit the value",
       "month 13 in the directory's calendar", "29 February of a common year in the directory",
       "an e-mail written with the agency's name", "an e-mail without a domain"]


@pytest.mark.parametrize(("plan", "directory", "where", "needle", "message"), CASES, ids=IDS)
@pytest.mark.parametrize("command", ["validate", "register"])
def test_a_bad_value_is_a_spec_error_with_file_line_and_field_and_writes_nothing(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str, plan: Edit,
        directory: Edit, where: str, needle: str, message: str) -> None:
    plan_path, directory_path = copies(tmp_path, plan, directory)
    bad = plan_path if where == "plan" else directory_path
    code = main([command, str(plan_path)])
    err = capsys.readouterr().err
    assert code == 1, err
    assert f"{bad}:{line_of(bad, needle)}: " in err and message in err
    assert "internal error" not in err and "Traceback" not in err
    assert registered_plans(tmp_path) == 0


def registered_plans(home: Path) -> int:
    """How many plans the CLI's SQLite store in `home` holds (none if it made no store)."""
    if not (home / "kehoach.db").exists():
        return 0
    store = open_store(url=f"sqlite:///{home / 'kehoach.db'}")
    try:
        with store.transaction() as tx:
            return tx.scalar(select(func.count()).select_from(PlanRow)) or 0
    finally:
        store.close()


def test_the_unedited_copies_validate_and_register(capsys: pytest.CaptureFixture[str],
                                                   tmp_path: Path) -> None:
    plan_path, _ = copies(tmp_path, keep, keep)
    assert main(["validate", str(plan_path)]) == 0, capsys.readouterr().err
    assert main(["register", str(plan_path)]) == 0, capsys.readouterr().err
    assert registered_plans(tmp_path) == 1
