"""The main job as a user runs it: `kehoach demo` in a fresh folder, then its outputs open."""

from __future__ import annotations

import email
import shutil
import subprocess
import sys
from email.policy import default as default_policy
from pathlib import Path

import pytest
from openpyxl import load_workbook

KEHOACH = str(Path(sys.executable).parent / "kehoach")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "headless Chromium is needed to check the HTML report (.ci/run installs it)"
    return found


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    cwd = tmp_path_factory.mktemp("fresh")
    done = subprocess.run([KEHOACH, "demo"], cwd=cwd, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return cwd / "demo-output", done.stdout


def test_the_demo_plays_the_year_and_says_where_everything_is(demo: tuple[Path, str]) -> None:
    folder, output = demo
    for line in ("database:", "e-mails:", "reports:", "webhook calls by agencies",
                 "morning sweeps", "Kết quả thực hiện", "Hoàn thành đúng hạn"):
        assert line in output
    assert (folder / "kehoach.db").is_file()
    # The periods are named as the reports name them, not by their labels.
    assert "Quý I" in output and "2024-Q1" not in output
    assert "0 refused" in output  # every agency call was accepted by the API
    # Some agencies ask for time and the issuer decides; the standing unit returns reports.
    assert ("8 requests for more time (6 approved, 2 refused); 10 reports returned by the "
            "standing unit and sent again; 0 review calls refused") in output


def test_the_demo_mails_name_extension_requests_and_returned_reports(
        demo: tuple[Path, str]) -> None:
    folder, _ = demo
    subjects = [str(email.message_from_bytes(m.read_bytes(), policy=default_policy)["Subject"])
                for m in (folder / "smtp-sink").glob("*.eml")]
    assert any(s.startswith("[Đề nghị gia hạn chờ quyết định] Ủy ban nhân dân thành phố")
               for s in subjects)
    assert any("Đề nghị gia hạn được chấp thuận" in s for s in subjects)
    assert sum("Báo cáo hoàn thành bị trả lại" in s for s in subjects) >= 5


def test_the_demo_mails_are_vietnamese_digests_received_over_smtp(
        demo: tuple[Path, str]) -> None:
    folder, _ = demo
    mails = sorted((folder / "smtp-sink").glob("*.eml"))
    assert len(mails) > 100
    first = email.message_from_bytes(mails[0].read_bytes(), policy=default_policy)
    assert "Kế hoạch" in str(first["Subject"]) and first["Message-ID"]
    body = first.get_body(preferencelist=("plain",))
    assert body is not None and "/api/v1/instances/" in body.get_content()
    reports = [m for m in mails if "Báo cáo kỳ" in str(email.message_from_bytes(
        m.read_bytes(), policy=default_policy)["Subject"])]
    assert len(reports) == 4  # Q1, H1, 9M and the year, to the monitor with the issuer cc'd


def test_the_xlsx_reports_load_with_vietnamese_headers(demo: tuple[Path, str]) -> None:
    folder, _ = demo
    books = {b.stem.rsplit("-", 1)[-1]: b for b in (folder / "reports").glob("*.xlsx")}
    assert set(books) == {"Q1", "H1", "9M", "2024"}
    sheet = load_workbook(books["2024"])["Nhiệm vụ"]
    assert [c.value for c in sheet[3]][:5] == ["STT", "Nhiệm vụ", "Cơ quan chủ trì",
                                               "Cơ quan phối hợp", "Thời hạn"]


def test_the_html_report_renders_in_headless_chromium(demo: tuple[Path, str],
                                                      tmp_path: Path) -> None:
    folder, _ = demo
    page = folder / "reports" / "bao-cao-hn-2024-tt-cchc-2024.html"
    browser = [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    shot = tmp_path / "report.png"
    done = subprocess.run([*browser, "--window-size=1200,2000", f"--screenshot={shot}",
                           page.as_uri()], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and shot.stat().st_size > 50_000, done.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    dom = subprocess.run([*browser, "--dump-dom", page.as_uri()], capture_output=True,
                         text=True, timeout=120)
    assert 'id="burnup"' in dom.stdout and "Bản đồ nhiệt" in dom.stdout
    assert "Xếp hạng cơ quan chậm tiến độ" in dom.stdout
    assert "Uncaught" not in dom.stderr  # no script error on the page
