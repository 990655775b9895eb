"""Helpers shared by the escalation tests: the seed plan in a store, an SMTP sink, cleanup."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiosmtpd.controller import Controller
from sqlalchemy import func, select, text

from engine.core.compile import compile_plan
from engine.core.spec import parse_plan_spec
from engine.loader import load_directory
from engine.store.database import Store
from engine.store.registry import register_plan
from engine.store.tables_escalation import EscalationRow, OutboxRow, SweepRow
from flows.server import free_port  # noqa: F401  (re-exported for the tests)
from tests.conftest import spec_path

HN = ZoneInfo("Asia/Ho_Chi_Minh")
SPEC = spec_path("hanoi/2024-tt-cchc.yaml")
PLAN = "hn-2024-tt-cchc"
MY_TABLES = "outbox, escalations, sweeps"


def at(y: int, m: int, d: int, hour: int = 8) -> dt.datetime:
    """A local (Hà Nội) moment."""
    return dt.datetime(y, m, d, hour, tzinfo=HN)


def iid(task: str, agency: str, period: str = "2024") -> str:
    return f"{PLAN}:{task}:{agency}:{period}"


def register_seed(store: Store, spec_text: str | None = None) -> None:
    """Register plan_specs/hanoi/2024-tt-cchc.yaml (or a variant of its text)."""
    register_spec(store, SPEC, now=at(2024, 1, 2), spec_text=spec_text)


def register_spec(store: Store, path: Path, *, now: dt.datetime,
                  spec_text: str | None = None) -> None:
    """Compile and register the plan spec at `path` (or a variant of its text)."""
    text_ = spec_text if spec_text is not None else path.read_text("utf-8")
    spec, source = parse_plan_spec(text_, file=str(path))
    directory_path = (path.parent / spec.plan.directory).resolve()
    plan = compile_plan(spec, load_directory(directory_path), source=source)
    with store.transaction() as tx:
        register_plan(tx, plan, spec_text=text_, directory_text=directory_path.read_text("utf-8"),
                      now=now)


def clean_escalation_tables(store: Store) -> None:
    """PostgreSQL is shared by the session: empty this feature's tables after a test."""
    if store.dialect == "postgresql":
        with store.engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {MY_TABLES} RESTART IDENTITY CASCADE"))


def counts(store: Store) -> tuple[int, int, int]:
    """(sweeps, escalations, outbox rows)."""
    with store.transaction() as tx:
        return tuple(tx.scalar(select(func.count()).select_from(t)) or 0  # type: ignore[return-value]
                     for t in (SweepRow, EscalationRow, OutboxRow))


def outbox(store: Store) -> list[OutboxRow]:
    with store.transaction() as tx:
        return list(tx.scalars(select(OutboxRow).order_by(OutboxRow.id)))


def levels_of(store: Store, instance: str) -> dict[str, bool]:
    """Level name -> notified, for one instance."""
    with store.transaction() as tx:
        rows = tx.execute(select(EscalationRow.level, EscalationRow.notified)
                          .where(EscalationRow.instance_id == instance))
        return {level: notified for level, notified in rows}


@dataclass
class Sink:
    """What a test SMTP server received; RCPT to addresses starting "refuse" get 550."""

    envelopes: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          options: Any) -> str:
        if address.startswith("refuse"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        mail = message_from_bytes(envelope.content, policy=default_policy)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos), mail))  # type: ignore[arg-type]
        return "250 OK"

    def by_recipient(self) -> dict[str, EmailMessage]:
        return {rcpt: mail for _, rcpts, mail in self.envelopes for rcpt in rcpts
                if rcpt in str(mail["To"])}

    def message_ids(self) -> list[str]:
        # A long Message-ID is folded onto its own line (RFC 5322 allows whitespace before "<").
        return [str(mail["Message-ID"]).strip() for _, _, mail in self.envelopes]


def smtp_server(port: int) -> Iterator[tuple[Controller, Sink]]:
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield controller, sink
    finally:
        controller.stop()
