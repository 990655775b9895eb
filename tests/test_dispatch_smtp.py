"""Sweep the seed plan and deliver the digests to a real SMTP server (aiosmtpd on loopback)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import update

from engine.mail.dispatch import FAILED, QUEUED, SENT, backoff, dispatch, list_outbox
from engine.settings import Settings
from engine.store.database import Store
from engine.store.tables import AgencyRow
from engine.sweep.run import run_sweep
from notifiers.smtp import SmtpNotifier
from tests.test_sweep_support import (
    PLAN,
    Sink,
    at,
    clean_escalation_tables,
    free_port,
    outbox,
    register_seed,
    smtp_server,
)

SETTINGS = Settings(public_url="https://kehoach.example.org", mail_from="kehoach@example.org")
Y_TE = "so-y-te@hanoi.example.org"
NOI_VU = "so-noi-vu@hanoi.example.org"


@pytest.fixture
def seeded(store: Store) -> Iterator[Store]:
    register_seed(store)
    yield store
    clean_escalation_tables(store)


@pytest.fixture
def smtp() -> Iterator[tuple[Controller, Sink]]:
    yield from smtp_server(free_port())


def notifier(port: int) -> SmtpNotifier:
    return SmtpNotifier(host="127.0.0.1", port=port, sender="kehoach@example.org", timeout=5)


def sweep_and_send(store: Store, port: int, day: tuple[int, int, int]) -> None:
    with store.transaction() as tx:
        run_sweep(tx, now=at(*day))
    dispatch(store, notifier=notifier(port), now=at(*day, hour=9), settings=SETTINGS)


def body(mail: EmailMessage, subtype: str = "plain") -> str:
    part = mail.get_body(preferencelist=(subtype,))
    assert part is not None
    return str(part.get_content())


def test_the_reminder_mail_says_what_when_who_and_how(seeded: Store,
                                                      smtp: tuple[Controller, Sink]) -> None:
    controller, sink = smtp
    sweep_and_send(seeded, controller.port, (2024, 2, 6))
    mail = sink.by_recipient()[Y_TE]
    assert str(mail["Subject"]) == (
        "[Nhắc việc] Sở Y tế: 1 nhiệm vụ — Kế hoạch (chưa có số) «Thông tin, tuyên truyền về "
        "cải cách hành chính nhà nước của thành phố Hà Nội năm 2024»")
    assert mail["To"].addresses[0].display_name == "Sở Y tế"
    assert [a.addr_spec for a in mail["Cc"].addresses] == [NOI_VU]
    text = body(mail)
    for expected in ("Kính gửi: Sở Y tế", "Thời hạn ghi trong kế hoạch: 20/02/2024",
                     "hạn thực tế: 20/02/2024", "còn 5 ngày làm việc đến hạn",
                     "Sở Nội vụ (so-noi-vu@hanoi.example.org): cơ quan phối hợp",
                     "https://kehoach.example.org/api/v1/instances/"
                     f"{PLAN}:ban-hanh-ke-hoach:so-y-te:2024/complete",
                     "Authorization: Bearer", "Cách 2 — liên hệ đơn vị theo dõi",
                     str(mail["Message-ID"])):
        assert expected in text, expected
    assert "Ban hành Kế hoạch tuyên truyền CCHC" in body(mail, "html")
    assert b"=?utf-8?" in bytes(mail)  # RFC 2047 on the wire


def test_each_recipient_gets_one_digest_per_sweep(seeded: Store,
                                                  smtp: tuple[Controller, Sink]) -> None:
    controller, sink = smtp
    sweep_and_send(seeded, controller.port, (2024, 3, 12))
    to_counts = Counter(a.addr_spec for _, _, m in sink.envelopes for a in m["To"].addresses)
    assert to_counts and max(to_counts.values()) == 1
    assert len(sink.envelopes) == len(outbox(seeded))
    radio = sink.by_recipient()["dai-ptth-hn@hanoi.example.org"]
    assert str(radio["Subject"]).startswith("[Đôn đốc, Quá hạn, Nhắc việc] Đài Phát thanh")
    text = body(radio)
    headings = [line for line in text.splitlines() if line.startswith("== ")]
    assert [h.split(" — ")[0] for h in headings] == [
        "== ĐÔN ĐỐC", "== QUÁ HẠN", "== NHẮC VIỆC"]
    issuer = sink.by_recipient()["ubnd-tp@hanoi.example.org"]
    assert "Báo cáo lãnh đạo" in str(issuer["Subject"])
    assert "đơn vị chủ trì: Sở Y tế" in body(issuer)
    assert [a.addr_spec for a in issuer["Cc"].addresses] == [NOI_VU]


def test_rerunning_the_sweep_sends_nothing_new(seeded: Store,
                                               smtp: tuple[Controller, Sink]) -> None:
    controller, sink = smtp
    sweep_and_send(seeded, controller.port, (2024, 2, 21))
    first = len(sink.envelopes)
    sweep_and_send(seeded, controller.port, (2024, 2, 21))
    sweep_and_send(seeded, controller.port, (2024, 2, 13))
    assert len(sink.envelopes) == first > 0


def test_smtp_down_then_back_up_delivers_every_message_once(seeded: Store) -> None:
    port = free_port()
    with seeded.transaction() as tx:
        run_sweep(tx, now=at(2024, 2, 21))
    total = len(outbox(seeded))
    down = dispatch(seeded, notifier=notifier(port), now=at(2024, 2, 21, 9), settings=SETTINGS)
    assert down.sent == 0 and down.stopped_early and down.retrying == 5
    waiting = [r for r in outbox(seeded) if r.attempts]
    assert all(r.status == QUEUED and "unreachable" in (r.last_error or "") for r in waiting)
    assert all(r.next_attempt_at == at(2024, 2, 21, 9) + backoff(1) for r in waiting)
    early = dispatch(seeded, notifier=notifier(port), now=at(2024, 2, 21, 9),
                     settings=SETTINGS)
    assert early.sent == 0  # the first five wait for their backoff; the channel is still down
    for _controller, sink in smtp_server(port):
        up = dispatch(seeded, notifier=notifier(port), now=at(2024, 2, 21, 9, ) +
                      dt.timedelta(minutes=2), settings=SETTINGS)
        assert up.sent == total
        assert Counter(sink.message_ids()) == Counter({r.message_id: 1 for r in outbox(seeded)})
    assert {r.status for r in outbox(seeded)} == {SENT}


def test_retry_now_skips_the_backoff(seeded: Store, smtp: tuple[Controller, Sink]) -> None:
    controller, sink = smtp
    with seeded.transaction() as tx:
        run_sweep(tx, now=at(2024, 2, 6))
    dispatch(seeded, notifier=notifier(free_port()), now=at(2024, 2, 6, 9), settings=SETTINGS)
    waiting = dispatch(seeded, notifier=notifier(controller.port), now=at(2024, 2, 6, 9),
                       settings=SETTINGS)
    now = dispatch(seeded, notifier=notifier(controller.port), now=at(2024, 2, 6, 9),
                   retry_now=True, settings=SETTINGS)
    assert now.sent == 5 and len(sink.envelopes) == len(outbox(seeded)) == waiting.sent + 5


def test_an_invalid_or_refused_address_fails_that_message_only(
        seeded: Store, smtp: tuple[Controller, Sink]) -> None:
    controller, _ = smtp
    with seeded.transaction() as tx:
        tx.execute(update(AgencyRow).where(AgencyRow.id == "so-y-te")
                   .values(emails=["not an address"]))
        tx.execute(update(AgencyRow).where(AgencyRow.id == "so-tu-phap")
                   .values(emails=["refuse-me@hanoi.example.org"]))
        run_sweep(tx, now=at(2024, 2, 6))
    result = dispatch(seeded, notifier=notifier(controller.port), now=at(2024, 2, 6, 9),
                      settings=SETTINGS)
    assert result.failed == 1 and result.sent == len(outbox(seeded)) - 1
    with seeded.transaction() as tx:
        failed = list_outbox(tx, status=FAILED)
        sent = {e.recipient: e for e in list_outbox(tx, status=SENT)}
    assert [e.recipient for e in failed] == ["so-y-te"]
    assert "invalid e-mail address 'not an address'" in (failed[0].last_error or "")
    # The Cc (Sở Nội vụ) accepted it: delivered, not to be sent again, the refusal on record.
    assert "refuse-me@hanoi.example.org (550" in (sent["so-tu-phap"].last_error or "")
    again = dispatch(seeded, notifier=notifier(controller.port), now=at(2024, 2, 7),
                     retry_now=True, settings=SETTINGS)
    assert (again.sent, again.failed) == (0, 0)  # failed for good: not retried, still listed
