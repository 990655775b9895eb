"""The Prefect flows under one test harness: register, daily sweep (with real SMTP), report."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from docx import Document
from openpyxl import load_workbook
from prefect.client.orchestration import get_client
from prefect.testing.utilities import prefect_test_harness
from sqlalchemy import func, select

from engine.core.status import Event, EventKind
from engine.settings import Settings
from engine.store.database import open_store
from engine.store.events import record_event
from engine.store.tables import InstanceRow
from engine.store.tables_escalation import OutboxRow
from flows.register import register_flow
from flows.report import period_report_flow
from flows.sweep import daily_sweep_flow
from tests.conftest import PLAN_SPECS
from tests.test_sweep_support import free_port, smtp_server

SPEC = PLAN_SPECS / "hanoi/2024-tt-cchc.yaml"
PLAN = "hn-2024-tt-cchc"
HN = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture(scope="module", autouse=True)
def harness() -> Iterator[None]:
    # One temporary Prefect server for this module (about 20 s to start), torn down after it
    # so other modules (the multi-machine test) talk to servers of their own.
    with prefect_test_harness(server_startup_timeout=None):
        yield


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    port = free_port()
    monkeypatch.setenv("KEHOACH_HOME", str(tmp_path))
    monkeypatch.delenv("KEHOACH_DATABASE_URL", raising=False)
    monkeypatch.delenv("KEHOACH_MAIL_FOLDER", raising=False)
    monkeypatch.setenv("KEHOACH_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("KEHOACH_SMTP_PORT", str(port))
    return tmp_path


def smtp_port() -> int:
    return Settings().smtp_port


def artifact_keys() -> set[str]:
    with get_client(sync_client=True) as client:
        return {a.key for a in client.read_artifacts() if a.key}


def test_register_flow_stores_the_plan_and_publishes_the_diff(home: Path) -> None:
    counts = register_flow(str(SPEC))
    assert counts["added"] == 1009 and counts["revision"] == 1
    assert register_flow(str(SPEC))["added"] == 0  # the same spec again changes nothing
    store = open_store()
    with store.transaction() as tx:
        assert tx.scalar(select(func.count()).select_from(InstanceRow)) == 1009
    assert f"register-{PLAN}" in artifact_keys()


def test_daily_sweep_mails_each_lagging_unit_once_and_publishes_figures(home: Path) -> None:
    register_flow(str(SPEC))
    morning = dt.datetime(2024, 2, 26, 8, 0, tzinfo=HN)  # 4 working days after 20/02
    for controller_sink in smtp_server(smtp_port()):
        _, sink = controller_sink
        first = daily_sweep_flow(as_of=morning.isoformat(), via="smtp")
        assert first["escalations"] > 0 and first["sent"] == first["queued"] > 0
        assert len(sink.envelopes) == first["sent"]
        subjects = [str(mail["Subject"]) for _, _, mail in sink.envelopes]
        assert all("Kế hoạch" in s or "kế hoạch" in s for s in subjects)
        again = daily_sweep_flow(as_of=morning.isoformat(), via="smtp")
        assert again["escalations"] == 0 and again["sent"] == 0
        assert len(sink.envelopes) == first["sent"]
    assert first["events"]["escalated"] > 0 and first["events"]["overdue"] > 0
    keys = artifact_keys()
    assert "daily-sweep" in keys and f"status-{PLAN}" in keys


def test_a_sweep_while_smtp_is_down_fails_keeps_the_mail_and_the_next_one_sends_it(
        home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import flows.sweep

    # The same task, retried just as often, without the production delays (5, 30, 120 s).
    monkeypatch.setattr(flows.sweep, "dispatch_task", flows.sweep.dispatch_task.with_options(
        retry_delay_seconds=0))
    register_flow(str(SPEC))
    morning = dt.datetime(2024, 2, 26, 8, 0, tzinfo=HN)
    state = daily_sweep_flow(as_of=morning.isoformat(), via="smtp", return_state=True)
    assert state.is_failed()
    store = open_store()
    with store.transaction() as tx:
        queued = tx.scalar(select(func.count()).select_from(OutboxRow)
                           .where(OutboxRow.status != "sent"))
    assert queued and queued > 0
    later = (morning + dt.timedelta(days=1)).isoformat()
    for _, sink in smtp_server(smtp_port()):
        result = daily_sweep_flow(as_of=later, via="smtp")
        assert result["sent"] >= queued
        ids = sink.message_ids()
        assert len(ids) == len(set(ids))  # nothing sent twice


def test_period_report_flow_builds_the_files_and_mails_monitor_and_issuer(home: Path) -> None:
    register_flow(str(SPEC))
    store = open_store()
    with store.transaction() as tx:
        record_event(tx, Event(f"{PLAN}:ban-hanh-ke-hoach:so-y-te:2024", EventKind.COMPLETED,
                               dt.datetime(2024, 2, 19, 9, tzinfo=HN), "so-y-te", "test"))
    for _, sink in smtp_server(smtp_port()):
        result = period_report_flow(PLAN, window="Q1")
        (mail,) = [m for _, _, m in sink.envelopes]
    assert result["period"] == "2024-Q1"
    xlsx, html, document = (Path(f) for f in result["files"])
    assert load_workbook(xlsx)["Nhiệm vụ"]["A3"].value == "STT"
    assert "Bản đồ nhiệt" in html.read_text("utf-8")
    paragraphs = [p.text for p in Document(str(document)).paragraphs if p.text]
    assert paragraphs[0] == "BÁO CÁO" and "quý I năm 2024" in paragraphs[1]
    assert "so-noi-vu@" in str(mail["To"]) and "ubnd-tp@" in str(mail["Cc"])
    assert "Báo cáo kỳ 2024-Q1" in str(mail["Subject"])
    names = sorted(part.get_filename() for part in mail.iter_attachments())
    assert names == [document.name, html.name, xlsx.name]
    (attached,) = [p for p in mail.iter_attachments() if p.get_filename() == document.name]
    assert attached.get_content_type() == ("application/vnd.openxmlformats-officedocument."
                                           "wordprocessingml.document")
    assert attached.get_content() == document.read_bytes()
    assert f"report-{PLAN}-2024-q1" in artifact_keys()
