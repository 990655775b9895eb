"""Shared fixtures of the API tests: the app under uvicorn on loopback, a plan, and tokens."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select, text

from engine.api.app import create_app
from engine.api.auth import (
    IssuedToken,
    Role,
    issue_token,
    revoke_token,
    set_signature_policy,
    sign,
)
from engine.api.routes import ApiState
from engine.api.service import PlanDirectories
from engine.core.compile import CompiledPlan
from engine.core.status import Event, EventKind
from engine.settings import Settings
from engine.store.database import Store, open_store
from engine.store.events import record_event
from engine.store.registry import register_plan
from engine.store.tables import EventRow
from engine.store.tables_api import ApiSecurityEventRow
from tests.test_store import NOW, compiled

PLAN = "hn-2024-tt-cchc"
API_TABLES = ("api_tokens", "api_agency_policies", "api_idempotency", "api_signatures",
              "api_security_events", "plan_directories")
BODY_LIMIT = 4096


def iid(task: str, agency: str, period: str = "2024") -> str:
    return f"{PLAN}:{task}:{agency}:{period}"


@functools.cache
def hanoi_plan() -> tuple[CompiledPlan, str, str]:
    return compiled()


def register_hanoi(store: Store) -> None:
    plan, spec_text, directory_text = hanoi_plan()
    with store.transaction() as tx:
        register_plan(tx, plan, spec_text=spec_text, directory_text=directory_text, now=NOW)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class LiveServer:
    """The API app served by uvicorn in a background thread on a free loopback port."""

    def __init__(self, store: Store, *, body_limit: int = BODY_LIMIT) -> None:
        settings = Settings(api_body_limit=body_limit)
        app = create_app(settings, store=store)
        self.state: ApiState = app.state.kehoach
        config = uvicorn.Config(app, host="127.0.0.1",
                                port=free_port(), log_level="warning", access_log=False)
        self.server = uvicorn.Server(config)
        self.url = f"http://127.0.0.1:{config.port}"
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.005)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@dataclass
class Api:
    """A running API over a store with the Hà Nội 2024 plan and a set of tokens."""

    store: Store
    url: str
    client: httpx.Client
    tokens: dict[str, IssuedToken] = field(default_factory=dict)

    def post(self, path: str, body: Any = None, *, token: str | None = "so-y-te",
             headers: dict[str, str] | None = None, raw: bytes | None = None) -> httpx.Response:
        sent = dict(headers or {})
        if token:
            sent.setdefault("Authorization", f"Bearer {self.tokens[token].token}")
        content = raw if raw is not None else (
            json.dumps(body).encode() if body is not None else b"")
        if content and raw is None:
            sent.setdefault("Content-Type", "application/json")
        return self.client.post(path, content=content, headers=sent)

    def get(self, path: str, *, token: str | None = "so-y-te",
            params: dict[str, str] | None = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[token].token}"} if token else {}
        return self.client.get(path, params=params, headers=headers)

    def signed(self, token: str, body: bytes, *, at: float | None = None) -> dict[str, str]:
        stamp = int(time.time() if at is None else at)
        return {"Authorization": f"Bearer {self.tokens[token].token}",
                "Content-Type": "application/json",
                "Kehoach-Signature": sign(self.tokens[token].signing_secret, body,
                                          timestamp=stamp)}

    def event_count(self, instance: str | None = None) -> int:
        query = select(func.count()).select_from(EventRow)
        if instance is not None:
            query = query.where(EventRow.instance_id == instance)
        with self.store.transaction() as tx:
            return int(tx.scalar(query) or 0)

    def security_events(self) -> list[ApiSecurityEventRow]:
        with self.store.transaction() as tx:
            return list(tx.scalars(select(ApiSecurityEventRow).order_by(ApiSecurityEventRow.id)))

    def waive(self, instance: str, reason: str = "không còn phù hợp") -> None:
        with self.store.transaction() as tx:
            record_event(tx, Event(instance, EventKind.WAIVED, NOW, "operator", "test",
                                   reason=reason))


TOKENS: dict[str, tuple[Role, str | None, str | None]] = {
    "so-y-te": (Role.AGENCY, "hanoi-2024", "so-y-te"),
    "so-noi-vu": (Role.AGENCY, "hanoi-2024", "so-noi-vu"),
    "hp-so-noi-vu": (Role.AGENCY, "haiphong-2019", "so-noi-vu"),
    "so-tu-phap": (Role.AGENCY, "hanoi-2024", "so-tu-phap"),  # must sign every request
    "operator": (Role.OPERATOR, None, None),
    "calendar": (Role.CALENDAR, "hanoi-2024", "so-y-te"),
    "revoked": (Role.AGENCY, "hanoi-2024", "so-y-te"),
}


def issue_tokens(store: Store) -> dict[str, IssuedToken]:
    now = dt.datetime.now(dt.UTC)
    with store.transaction() as tx:
        issued = {name: issue_token(tx, role=role, directory_id=d, agency_id=a, now=now)
                  for name, (role, d, a) in TOKENS.items()}
        set_signature_policy(tx, directory_id="hanoi-2024", agency_id="so-tu-phap",
                             required=True)
    return issued


def clear_api_tables(store: Store) -> None:
    if store.dialect == "postgresql":
        with store.engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {', '.join(API_TABLES)} RESTART IDENTITY"))


@contextlib.contextmanager
def serving(store: Store, server: LiveServer) -> Iterator[Api]:
    """Point the running app at `store`, with the plan registered and the tokens issued."""
    register_hanoi(store)
    tokens = issue_tokens(store)
    with store.transaction() as tx:
        revoke_token(tx, tokens["revoked"].id, now=dt.datetime.now(dt.UTC))
    server.state.attach(store)
    server.state.directories = PlanDirectories()
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            yield Api(store, server.url, client, tokens)
    finally:
        clear_api_tables(store)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One uvicorn server for the session; each test attaches its own store to the app."""
    first = open_store(url=f"sqlite:///{tmp_path_factory.mktemp('api') / 'first.db'}")
    interval = sys.getswitchinterval()
    sys.setswitchinterval(0.0002)  # client and server threads share the GIL: switch often
    try:
        with LiveServer(first) as server:
            yield server
    finally:
        sys.setswitchinterval(interval)
        first.close()


@pytest.fixture
def api(store: Store, live_server: LiveServer) -> Iterator[Api]:
    """The API on SQLite and on PostgreSQL (through the shared `store` fixture)."""
    with serving(store, live_server) as running:
        yield running


@pytest.fixture
def sqlite_api(tmp_path: Path, live_server: LiveServer) -> Iterator[Api]:
    """The API on SQLite only, for what does not depend on the database (parsing, limits)."""
    store = open_store(url=f"sqlite:///{tmp_path / 'kehoach.db'}")
    with serving(store, live_server) as running:
        yield running
    store.close()
