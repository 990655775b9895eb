"""`kehoach sweep`, `kehoach dispatch --via folder` and `kehoach outbox list`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import PLAN_SPECS
from tests.test_cli import run

HN24 = PLAN_SPECS / "hanoi/2024-tt-cchc.yaml"


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KEHOACH_HOME", str(tmp_path))
    monkeypatch.setenv("KEHOACH_MAIL_FOLDER", str(tmp_path / "mail"))
    monkeypatch.delenv("KEHOACH_DATABASE_URL", raising=False)
    return tmp_path



def test_sweep_dispatch_and_list(capsys: pytest.CaptureFixture[str], home: Path) -> None:
    assert run(capsys, "register", str(HN24))[0] == 0
    code, out, _ = run(capsys, "sweep", "--as-of", "2024-02-06")
    assert code == 0 and "Quét nhắc việc tính đến 06/02/2024" in out and "Nhắc việc" in out
    code, out, _ = run(capsys, "outbox", "list", "--status", "queued")
    assert code == 0 and "chờ gửi" in out and "[Nhắc việc] Sở Y tế" in out
    code, out, _ = run(capsys, "dispatch", "--via", "folder")
    assert code == 0 and "lỗi 0" in out
    sent = len(list((home / "mail").glob("*.eml")))
    assert sent > 0 and f"Đã gửi {sent};" in out
    code, out, _ = run(capsys, "sweep", "--as-of", "2024-02-06")
    assert "không có gì mới" in out
    code, out, _ = run(capsys, "outbox", "list", "--status", "sent")
    assert f"{sent} thư" in out


def test_the_sweep_summary_names_levels_in_vietnamese_in_the_order_reached(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "register", str(HN24))[0] == 0
    code, out, _ = run(capsys, "sweep", "--as-of", "2024-05-06")
    assert code == 0 and "Số đầu việc" in out
    rows = [line for line in out.splitlines() if line.startswith("│")]
    levels = [row.split("│")[1].strip() for row in rows]
    assert levels == ["Nhắc việc", "Quá hạn", "Đôn đốc", "Báo cáo lãnh đạo"]
    assert not any(word in out for word in ("reminder", "overdue", "urge", "leadership"))


def test_an_unknown_plan_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "sweep", "--plan", "khong-co")
    assert code == 1 and "no plan with id 'khong-co'" in err and "Traceback" not in err


def test_a_bad_date_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "sweep", "--as-of", "06/02/2024")
    assert code == 1 and "--as-of '06/02/2024' is not a date" in err
