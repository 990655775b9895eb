"""Start and stop the processes kehoach runs beside itself: a Prefect server, a worker."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

log = logging.getLogger(__name__)
PREFECT = str(Path(sys.executable).parent / "prefect")
QUIET = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",  # avoids a sqlite "database is locked"
    "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
}


class ProcessFailed(RuntimeError):
    """A managed process exited or did not become ready; the message has its log's tail."""


@dataclass
class ManagedProcess:
    """A child process with its log file; `stop()` ends it (TERM, then KILL)."""

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    url: str | None = None
    env: dict[str, str] = field(default_factory=dict)

    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text("utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 15) -> None:
        """TERM, then KILL after `timeout` s, the process and whatever it started in its
        session (spawn gives each its own), so no grandchild outlives it."""
        if not self.alive():
            return
        self._signal_group(signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self._signal_group(signal.SIGKILL)
            self.popen.wait(5)

    def _signal_group(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signum)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def spawn(name: str, argv: list[str], *, env: dict[str, str], log_path: Path) -> ManagedProcess:
    """Start `argv` with `env` added to this process's environment, output to `log_path`."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as sink:
        popen = subprocess.Popen(argv, env={**os.environ, **env}, stdout=sink,
                                 stderr=subprocess.STDOUT, start_new_session=True)
    log.info("started %s (pid %s), log %s", name, popen.pid, log_path)
    return ManagedProcess(name, popen, log_path, env=env)


def prefect_server_command(*, home: Path, port: int, host: str = "127.0.0.1",
                           database_url: str | None = None, ui: bool = True,
                           ) -> tuple[list[str], dict[str, str], str]:
    """The argv, environment and API URL of `prefect server start` with PREFECT_HOME `home`
    (its SQLite database lives there unless `database_url`, e.g. postgresql+asyncpg://...)."""
    env = {**QUIET, "PREFECT_HOME": str(home), "PREFECT_UI_ENABLED": str(ui).lower()}
    if database_url:
        env["PREFECT_API_DATABASE_CONNECTION_URL"] = database_url
    env.pop("PREFECT_API_URL", None)
    argv = [PREFECT, "server", "start", "--host", host, "--port", str(port)]
    return argv, env, f"http://{host}:{port}/api"


def start_prefect_server(*, home: Path, port: int | None = None, host: str = "127.0.0.1",
                         database_url: str | None = None, ui: bool = True,
                         timeout: float = 180) -> ManagedProcess:
    """Start `prefect server start` and wait until its API answers; if it does not (or the
    wait is interrupted), stop it rather than leave it running.

    Args:
        home: PREFECT_HOME of the server (its SQLite database lives there by default).
        port: the port; a free one if None.
        host: the interface to bind.
        database_url: e.g. postgresql+asyncpg://... for a server on PostgreSQL.
        ui: serve the Prefect UI too.
        timeout: seconds to wait for the first migration and startup.
    """
    argv, env, url = prefect_server_command(home=home, port=port or free_port(), host=host,
                                            database_url=database_url, ui=ui)
    server = spawn("prefect server", argv, env=env, log_path=home / "server.log")
    server.url = url
    try:
        wait_healthy(server, timeout=timeout)
    except BaseException:
        server.stop()
        raise
    return server


def wait_healthy(server: ManagedProcess, *, timeout: float) -> None:
    """Poll the server's /health until it answers 200, it dies, or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not server.alive():
            raise ProcessFailed(f"{server.name} exited with {server.popen.returncode}:\n"
                                f"{server.tail()}")
        try:
            if httpx.get(f"{server.url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    server.stop()
    raise ProcessFailed(f"{server.name} did not answer within {timeout:.0f} s:\n{server.tail()}")


def start_worker(*, pool: str, api_url: str, home: Path, env: dict[str, str] | None = None,
                 ) -> ManagedProcess:
    """Start a Prefect process worker polling `pool` on the server at `api_url`."""
    worker_env = {**QUIET, "PREFECT_API_URL": api_url, "PREFECT_HOME": str(home), **(env or {})}
    return spawn(f"prefect worker ({pool})",
                 [PREFECT, "worker", "start", "--pool", pool, "--type", "process"],
                 env=worker_env, log_path=home / f"worker-{pool}.log")
