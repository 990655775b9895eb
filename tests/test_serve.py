"""One machine: `kehoach serve` runs the API, a local Prefect server and the scheduled
deployments in one command, and Ctrl-C stops everything it started."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from flows.server import free_port
from tests.conftest import PLAN_SPECS

KEHOACH = str(Path(sys.executable).parent / "kehoach")


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_serve_starts_api_prefect_and_schedules_and_ctrl_c_stops_them(tmp_path: Path) -> None:
    env = {**os.environ, "KEHOACH_HOME": str(tmp_path)}
    env.pop("PREFECT_API_URL", None)
    env.pop("KEHOACH_DATABASE_URL", None)
    register = subprocess.run([KEHOACH, "register", str(PLAN_SPECS / "hanoi/2024-tt-cchc.yaml")],
                              env=env, capture_output=True, text=True)
    assert register.returncode == 0, register.stderr
    api, prefect = free_port(), free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as sink:
        serve = subprocess.Popen([KEHOACH, "serve", "--port", str(api), "--prefect-port",
                                  str(prefect)], env=env, stdout=sink, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 240
        while "press Ctrl-C" not in log.read_text() and time.monotonic() < deadline:
            assert serve.poll() is None, log.read_text()
            time.sleep(1)
        assert httpx.get(f"http://127.0.0.1:{api}/health").json()["status"] == "ok"
        names: dict[str, list[str]] = {}
        while len(names) < 2 and time.monotonic() < deadline:
            found = httpx.post(f"http://127.0.0.1:{prefect}/api/deployments/filter", json={})
            names = {d["name"]: [s["schedule"]["cron"] for s in d["schedules"]]
                     for d in found.json()}
            time.sleep(1)
        assert names["daily-sweep"] == ["0 8 * * *"]
        assert sorted(names["period-report-hn-2024-tt-cchc"]) == [
            "0 17 30 6 *", "0 17 30 9 *", "0 17 31 12 *", "0 17 31 3 *"]
    finally:
        serve.send_signal(signal.SIGINT)
        code = serve.wait(60)
    assert code == 0, log.read_text()
    assert "stopped webhook API, prefect server" in log.read_text()
    assert not _listening(api) and not _listening(prefect)


def _children(pid: int) -> dict[int, str]:
    """The live child processes of `pid`: pid -> command line."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found[int(stat.parent.name)] = cmdline
    return found


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state == "Z"


@pytest.mark.parametrize(("signum", "code", "during"), [
    (signal.SIGINT, 130, "prefect server start"),
    (signal.SIGTERM, 143, "prefect server start"),
    (signal.SIGINT, 130, "engine.cli.main serve api"),
], ids=["Ctrl-C while Prefect starts", "SIGTERM while Prefect starts",
        "Ctrl-C while the API starts"])
def test_a_signal_during_startup_stops_every_child_started(
        tmp_path: Path, signum: signal.Signals, code: int, during: str) -> None:
    env = {**os.environ, "KEHOACH_HOME": str(tmp_path)}
    env.pop("PREFECT_API_URL", None)
    env.pop("KEHOACH_DATABASE_URL", None)
    api, prefect = free_port(), free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as sink:
        serve = subprocess.Popen(
            [KEHOACH, "serve", "--port", str(api), "--prefect-port", str(prefect)], env=env,
            stdout=sink, stderr=subprocess.STDOUT,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    children: dict[int, str] = {}
    try:
        deadline = time.monotonic() + 120
        while not any(during in c for c in children.values()):
            assert serve.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            children = _children(serve.pid)
            time.sleep(0.05)
        # The child exists and is not answering yet: the moment the orphan was left behind.
        assert not _listening(prefect)
    finally:
        serve.send_signal(signum)
        assert serve.wait(60) == code, log.read_text()
    text = log.read_text()
    assert text.endswith("interrupted\n"), text
    started = "webhook API, prefect server" if "prefect" in during else "webhook API"
    assert f"stopped {started}\n" in text
    assert children and all(_gone(pid) for pid in children), children
    assert not _listening(api) and not _listening(prefect)
