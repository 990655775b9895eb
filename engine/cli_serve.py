"""`kehoach serve`: the webhook API, a local Prefect server and the scheduled deployments."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from typing import Any

from engine.cli import EXIT_OK, err, out
from engine.settings import Settings


def register_cli(sub: Any) -> None:
    p = sub.add_parser(
        "serve", help="run everything on one machine: API, Prefect server, scheduled flows",
        description="Start the webhook API and, unless PREFECT_API_URL names a Prefect server, "
                    "a local Prefect server (the temporary one never fires schedules); then "
                    "serve the daily sweep (08:00 Asia/Ho_Chi_Minh) and the period reports. "
                    "Ctrl-C stops everything this command started.")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000, help="port of the webhook API")
    p.add_argument("--prefect-port", type=int, default=4200,
                   help="port of the local Prefect server")
    p.add_argument("--plan", action="append", dest="plans", metavar="PLAN",
                   help="schedule period reports for this plan (default: every registered plan)")
    p.set_defaults(command=cmd_serve)
    serve_sub = p.add_subparsers(metavar="PART")
    api = serve_sub.add_parser("api", help="only the webhook API (uvicorn)")
    api.add_argument("--host", default="127.0.0.1")
    api.add_argument("--port", type=int, default=8000)
    api.add_argument("--workers", type=int, default=1)
    api.set_defaults(command=cmd_serve_api)


def cmd_serve_api(args: argparse.Namespace) -> int:
    from engine.api import run_api

    out.print(f"webhook API on http://{args.host}:{args.port} (OpenAPI at /docs)")
    run_api(host=args.host, port=args.port, workers=args.workers)
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from flows.server import ManagedProcess, spawn, start_prefect_server, wait_healthy

    settings = Settings()
    home = settings.home / ".kehoach"
    started: list[ManagedProcess] = []
    try:
        api = spawn("webhook API", [sys.executable, "-m", "engine.cli", "serve", "api",
                                    "--host", args.host, "--port", str(args.port)],
                    env={}, log_path=home / "api.log")
        api.url = f"http://{args.host}:{args.port}"
        started.append(api)
        wait_healthy(api, timeout=60)
        out.print(f"webhook API:     {api.url}  (OpenAPI {api.url}/docs, log {api.log_path})")
        if not os.environ.get("PREFECT_API_URL"):
            err.print("starting a local Prefect server (the first start migrates its database)")
            server = start_prefect_server(home=home / "prefect", host=args.host,
                                          port=args.prefect_port)
            started.append(server)
            assert server.url is not None
            os.environ["PREFECT_API_URL"] = server.url
            out.print(f"Prefect server:  {server.url.removesuffix('/api')}  "
                      f"(log {server.log_path})")
        return _serve_deployments(args.plans or _registered_plans(settings))
    finally:
        for process in reversed(started):
            process.stop()
        err.print(f"stopped {', '.join(p.name for p in started) or 'nothing'}")


def _registered_plans(settings: Settings) -> list[str]:
    from sqlalchemy import select

    from engine.store import open_store
    from engine.tables import PlanRow

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

