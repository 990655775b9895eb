"""`kehoach serve`: the webhook API, a local Prefect server and the scheduled deployments."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from engine.cli.main import EXIT_OK, err, out
from engine.core.errors import KehoachError
from engine.settings import Settings, parse_as_of

if TYPE_CHECKING:
    from flows.server import ManagedProcess

API_STARTUP_SECONDS = 60
PREFECT_STARTUP_SECONDS = 180  # the first start migrates Prefect's database
# Signals that stop `serve` (besides Ctrl-C): `kill`, and the terminal closing.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class ServeError(KehoachError):
    """A process `serve` starts that exited or did not become ready."""


class Stopped(KeyboardInterrupt):
    """SIGINT, SIGTERM or SIGHUP while `serve` starts or stops its processes."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def register_cli(sub: Any) -> None:
    p = sub.add_parser(
        "serve", help="run everything on one machine: API, Prefect server, scheduled flows",
        usage="%(prog)s [-h] [--host HOST] [--port PORT] [--prefect-port PORT] [--plan PLAN]\n"
              "       %(prog)s api [-h] [--host HOST] [--port PORT] [--workers N] "
              "[--as-of DATE]",
        description="Start the webhook API and, unless PREFECT_API_URL names a Prefect server, "
                    "a local Prefect server (the temporary one never fires schedules); then "
                    "serve the daily sweep (08:00 Asia/Ho_Chi_Minh) and the period reports. "
                    "Ctrl-C (or SIGTERM) stops everything this command started, at any moment.")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000, help="port of the webhook API")
    p.add_argument("--prefect-port", type=int, default=4200, metavar="PORT",
                   help="port of the local Prefect server")
    p.add_argument("--plan", action="append", dest="plans", metavar="PLAN",
                   help="schedule period reports for this plan (default: every registered plan)")
    p.set_defaults(command=cmd_serve)
    serve_sub = p.add_subparsers(title="optional part", metavar="api")
    api = serve_sub.add_parser("api", help="run only the webhook API (uvicorn)")
    api.add_argument("--host", default="127.0.0.1")
    api.add_argument("--port", type=int, default=8000)
    api.add_argument("--workers", type=int, default=1, metavar="N")
    api.add_argument("--as-of", metavar="DATE",
                     help="simulated clock: the API and the pages take 'now' as this moment "
                          "(YYYY-MM-DD means 17:00 that day, Vietnam time; or an ISO 8601 "
                          "time), running on from there; overrides KEHOACH_AS_OF; every page "
                          "then says so")
    api.set_defaults(command=cmd_serve_api)


class AsOfError(KehoachError, ValueError):
    """A `--as-of` value that names no moment."""


def cmd_serve_api(args: argparse.Namespace) -> int:
    from engine.api.app import run_api

    settings = Settings()
    if args.as_of is not None:
        try:
            settings = settings.model_copy(update={"as_of": parse_as_of(args.as_of)})
        except ValueError as exc:
            raise AsOfError(f"--as-of: {exc}") from None
    out.print(f"webhook API on http://{args.host}:{args.port} (OpenAPI at /docs)")
    if settings.as_of is not None:
        out.print(f"simulated clock: 'now' starts at {settings.as_of.isoformat()} "
                  "(every page says so)")
    run_api(host=args.host, port=args.port, workers=args.workers, settings=settings)
    return EXIT_OK


class _Children:
    """The processes `serve` started, and the signal handling that guarantees their end.

    Used as `with _Children() as children:`. Until every child is started, SIGINT, SIGTERM
    and SIGHUP raise `Stopped` (a KeyboardInterrupt), and leaving the block, however it is
    left (a signal, a child that fails its health check or times out, an error), stops
    every child started. While a child is being spawned and recorded a signal is held and
    raised just after; while the children are being stopped it is ignored.
    """

    def __init__(self) -> None:
        self.started: list[ManagedProcess] = []
        self._holding = False
        self._pending: int | None = None
        self._original: dict[int, Any] = {}

    def __enter__(self) -> _Children:
        for signum in STOP_SIGNALS:
            self._original[signum] = signal.signal(signum, self._on_signal)
        return self

    def __exit__(self, *exc: object) -> None:
        self._holding = True  # a second Ctrl-C must not cut the stopping short
        for signum in STOP_SIGNALS:
            signal.signal(signum, self._on_signal)
        try:
            for process in reversed(self.started):
                process.stop()
            err.print(f"stopped {', '.join(p.name for p in self.started) or 'nothing'}")
        finally:
            for number, handler in self._original.items():
                signal.signal(number, handler)

    def default_interrupt(self) -> None:
        """Give SIGINT back its usual handler (Python's KeyboardInterrupt)."""
        signal.signal(signal.SIGINT, self._original[signal.SIGINT])

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if self._holding:
            self._pending = self._pending or signum
            return
        raise Stopped(signum)

    @contextlib.contextmanager
    def _held(self) -> Iterator[None]:
        self._holding = True
        try:
            yield
        finally:
            self._holding = False

    def start(self, name: str, argv: list[str], *, env: dict[str, str], log_path: Path,
              url: str, timeout: float) -> ManagedProcess:
        """Spawn a child, record it at once, then wait until its /health answers."""
        from flows.server import ProcessFailed, spawn, wait_healthy

        with self._held():
            process = spawn(name, argv, env=env, log_path=log_path)
            self.started.append(process)
        if self._pending is not None:
            raise Stopped(self._pending)
        process.url = url
        try:
            wait_healthy(process, timeout=timeout)
        except ProcessFailed as exc:
            raise ServeError(f"{name} did not start (log {log_path}): {exc}") from None
        return process


def cmd_serve(args: argparse.Namespace) -> int:
    from flows.server import prefect_server_command

    settings = Settings()
    home = settings.home / ".kehoach"
    with _Children() as children:
        api = children.start(
            "webhook API", [sys.executable, "-m", "engine.cli.main", "serve", "api",
                            "--host", args.host, "--port", str(args.port)],
            env={}, log_path=home / "api.log", url=f"http://{args.host}:{args.port}",
            timeout=API_STARTUP_SECONDS)
        out.print(f"webhook API:     {api.url}  (OpenAPI {api.url}/docs, log {api.log_path})")
        if not os.environ.get("PREFECT_API_URL"):
            err.print("starting a local Prefect server (the first start migrates its database)")
            prefect_home = home / "prefect"
            argv, env, url = prefect_server_command(home=prefect_home, port=args.prefect_port,
                                                    host=args.host)
            server = children.start("prefect server", argv, env=env,
                                    log_path=prefect_home / "server.log", url=url,
                                    timeout=PREFECT_STARTUP_SECONDS)
            assert server.url is not None
            os.environ["PREFECT_API_URL"] = server.url
            out.print(f"Prefect server:  {server.url.removesuffix('/api')}  "
                      f"(log {server.log_path})")
        plans = args.plans or _registered_plans(settings)
        # Every child is recorded: from here Ctrl-C may be Python's own KeyboardInterrupt
        # again (asyncio, under Prefect's serve, cancels its tasks cleanly on it).
        children.default_interrupt()
        return _serve_deployments(plans)


def _registered_plans(settings: Settings) -> list[str]:
    from sqlalchemy import select

    from engine.store.database import open_store
    from engine.store.tables import PlanRow

    store = open_store(settings)
    try:
        with store.transaction() as tx:
            return list(tx.scalars(select(PlanRow.id).order_by(PlanRow.id)))
    finally:
        store.close()


def _serve_deployments(plans: list[str]) -> int:
    from prefect import serve

    from flows.deployments import build_deployments

    deployments = build_deployments(plans)
    out.print(f"serving {len(deployments)} deployment(s): daily sweep at 08:00 "
              f"Asia/Ho_Chi_Minh, period reports for {', '.join(plans) or 'no plan yet'}")
    out.print("press Ctrl-C to stop")
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how an operator stops it
        serve(*deployments, print_starting_message=False)
    return EXIT_OK
