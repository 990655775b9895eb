"""Many machines: a Prefect server on PostgreSQL, a process work pool and worker, the engine on
PostgreSQL — all started for real on loopback; a deployment run changes the engine's database."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from flows.server import PREFECT, ManagedProcess, start_prefect_server, start_worker
from tests.conftest import PG_ADMIN, ROOT

SPEC = ROOT / "plan_specs/hanoi/2024-tt-cchc.yaml"


@pytest.fixture
def databases() -> Iterator[tuple[str, str]]:
    """Two fresh PostgreSQL databases: Prefect's and the engine's."""
    names = [f"kh_prefect_{uuid.uuid4().hex[:8]}", f"kh_engine_{uuid.uuid4().hex[:8]}"]
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        for name in names:
            admin.execute(f'CREATE DATABASE "{name}"')
        base = PG_ADMIN.rsplit("/", 1)[0]
        yield (f"{base}/{names[0]}".replace("postgresql://", "postgresql+asyncpg://"),
               f"{base}/{names[1]}")
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_deployment_run_by_a_process_worker_registers_the_plan_in_postgresql(
        databases: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    prefect_db, engine_db = databases
    started: list[ManagedProcess] = []
    try:
        server = start_prefect_server(home=tmp_path / "server", database_url=prefect_db, ui=False)
        started.append(server)
        assert server.url
        # Subprocesses read the environment; this process's Prefect settings were fixed
        # at import, so they are overridden in-process too.
        monkeypatch.setenv("PREFECT_API_URL", server.url)
        created = subprocess.run([PREFECT, "work-pool", "create", "kehoach-pool", "--type",
                                  "process"], env={**os.environ}, capture_output=True, text=True)
        assert created.returncode == 0, created.stderr
        started.append(start_worker(pool="kehoach-pool", api_url=server.url,
                                    home=tmp_path / "worker",
                                    env={"KEHOACH_DATABASE_URL": engine_db}))
        run = _deploy_and_run(server.url)
        assert run.state is not None and run.state.is_completed(), started[-1].tail()
    finally:
        for process in reversed(started):
            process.stop()
    with psycopg.connect(engine_db) as engine:
        plan = engine.execute("SELECT id, revision FROM plans").fetchall()
        instances = engine.execute("SELECT count(*) FROM instances").fetchone()
    assert plan == [("hn-2024-tt-cchc", 1)]
    assert instances == (1009,)


def _deploy_and_run(api_url: str) -> Any:
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.register import register_flow

    with temporary_settings({PREFECT_API_URL: api_url}):
        register_flow.from_source(source=str(ROOT), entrypoint="flows/register.py:register_flow"
                                  ).deploy(name="register", work_pool_name="kehoach-pool",
                                           build=False, push=False, print_next_steps=False,
                                           ignore_warnings=True)
        return run_deployment("kehoach-register/register", parameters={"spec_path": str(SPEC)},
                              timeout=240)
