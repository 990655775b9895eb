"""`kehoach demo --serve`: the year is played, then its dashboard stays up until Ctrl-C (or
SIGTERM), which stops every process the demo started."""

from __future__ import annotations

import email
import re
import signal
import socket
import subprocess
import sys
import time
from email.policy import default as default_policy
from pathlib import Path

import httpx
import pytest

KEHOACH = str(Path(sys.executable).parent / "kehoach")
BANNER = "Đồng hồ mô phỏng: số liệu tính đến ngày 31/12/2024"


def last_mailed_link(sink: Path) -> str:
    """The sign-in link of the last digest the demo mailed."""
    for path in sorted(sink.glob("*.eml"), reverse=True):
        mail = email.message_from_bytes(path.read_bytes(), policy=default_policy)
        body = mail.get_body(preferencelist=("plain",))
        assert body is not None
        found = re.search(r"http://127\.0\.0\.1:\d+/dang-nhap\?\S+", str(body.get_content()))
        if found:
            return found.group(0)
    raise AssertionError(f"no digest with a sign-in link in {sink}")


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_the_demo_serves_its_dashboard_until_stopped(tmp_path: Path, stop: signal.Signals) -> None:
    demo = subprocess.Popen([KEHOACH, "demo", "--serve"], cwd=tmp_path, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert demo.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 600
    try:
        while "the pages stay up until Ctrl-C" not in "".join(lines[-1:]):
            line = demo.stdout.readline()
            assert line and time.monotonic() < deadline, "".join(lines)[-3000:]
            lines.append(line)
        output = "".join(lines)
        dashboard = re.search(r"dashboard:\s+(\S+)", output)
        operator = re.search(r"sign in \(standing unit\): (\S+)", output)
        agency = re.search(r"sign in \(the most lagging agency's page\): (\S+)", output)
        leader = re.search(r"sign in \(leadership, read-only\): (\S+)", output)
        assert dashboard and operator and agency and leader, output
        assert "the pages judge time as of 31/12/2024 17:00" in output
        with httpx.Client(follow_redirects=True, timeout=30) as browser:
            page = browser.get(operator.group(1))
            assert page.status_code == 200 and str(page.url) == dashboard.group(1)
            assert "<h1>Bảng theo dõi kế hoạch</h1>" in page.text
            assert "Hoàn thành đúng hạn" in page.text and BANNER in page.text
        with httpx.Client(follow_redirects=True, timeout=30) as browser:
            page = browser.get(agency.group(1))
            assert "<h1>Việc của đơn vị</h1>" in page.text and "Quá hạn (" in page.text
            assert BANNER in page.text
            # late by the working days to the year's end, not to today (2026: ~600 days)
            assert max(int(n) for n in re.findall(r"trễ (\d+) ngày", page.text)) < 260
        with httpx.Client(follow_redirects=True, timeout=30) as browser:
            page = browser.get(leader.group(1))
            assert "<h1>Bảng điều hành kế hoạch</h1>" in page.text and BANNER in page.text
            assert browser.get(str(page.url) + "/bao-cao.xlsx").status_code == 200
            assert browser.get(dashboard.group(1)).status_code == 403
        mailed = last_mailed_link(tmp_path / "demo-output" / "smtp-sink")
        with httpx.Client(follow_redirects=True, timeout=30) as browser:
            page = browser.get(mailed)  # a December digest's link opens the page it names
            assert page.status_code == 200 and BANNER in page.text, mailed
        time.sleep(1)
        assert demo.poll() is None  # still serving
        demo.send_signal(stop)
        assert demo.wait(60) == 0
    finally:
        if demo.poll() is None:
            demo.kill()
    port = int(re.search(r":(\d+)/", dashboard.group(1)).group(1))  # type: ignore[union-attr]
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0  # the pages stopped with it
