"""Notifiers: webhook (signed JSON), folder (.eml), settings, MIME with attachments."""

from __future__ import annotations

import hashlib
import hmac
import json
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import httpx
import pytest

from engine.settings import Settings
from notifiers import notifier_from_settings
from notifiers.base import Attachment, DeliveryError, OutgoingMessage
from notifiers.folder import FolderNotifier
from notifiers.smtp import SmtpNotifier
from notifiers.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookNotifier
from tests.test_sweep_support import Sink, free_port, smtp_server

MESSAGE = OutgoingMessage(
    message_id="<sweep1.so-y-te@example.org>", to=("Sở Y tế <so-y-te@hanoi.example.org>",),
    cc=("so-noi-vu@hanoi.example.org",), subject="[Quá hạn] Sở Y tế: 1 nhiệm vụ",
    text="Kính gửi: Sở Y tế", html="<p>Kính gửi: Sở Y tế</p>",
    attachments=(Attachment("bao-cao-quy-1.xlsx", b"PK\x03\x04xlsx",
                            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),),
    data={"recipient": "so-y-te"})


def test_webhook_posts_signed_json() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(202)

    notifier = WebhookNotifier("https://agency.example.org/hook", secret="s3cret",
                               transport=httpx.MockTransport(handler), clock=lambda: 1_700_000_000)
    notifier.send(MESSAGE)
    request = seen[0]
    stamp = request.headers[TIMESTAMP_HEADER]
    expected = hmac.new(b"s3cret", f"{stamp}.".encode() + request.content, hashlib.sha256)
    assert request.headers[SIGNATURE_HEADER] == f"sha256={expected.hexdigest()}"
    assert request.headers["Idempotency-Key"] == MESSAGE.message_id
    body = json.loads(request.content)
    assert body["subject"] == "[Quá hạn] Sở Y tế: 1 nhiệm vụ" and body["data"] == {
        "recipient": "so-y-te"}
    assert body["attachments"][0]["filename"] == "bao-cao-quy-1.xlsx"


@pytest.mark.parametrize(("status", "permanent"), [(500, False), (429, False), (410, True)],
                         ids=["a server error is retried", "too many requests is retried",
                              "gone is permanent"])
def test_webhook_failures(status: int, permanent: bool) -> None:
    notifier = WebhookNotifier("https://agency.example.org/hook", secret="s",
                               transport=httpx.MockTransport(lambda r: httpx.Response(status)))
    with pytest.raises(DeliveryError) as caught:
        notifier.send(MESSAGE)
    assert caught.value.permanent is permanent


def test_folder_writes_one_eml_per_message_id(tmp_path: Path) -> None:
    notifier = FolderNotifier(tmp_path / "mail", sender="kehoach@example.org")
    notifier.send(MESSAGE)
    notifier.send(MESSAGE)  # a resend replaces the file: the folder de-duplicates
    files = list((tmp_path / "mail").iterdir())
    assert [f.name for f in files] == ["sweep1.so-y-te_example.org.eml"]
    mail = message_from_bytes(files[0].read_bytes(), policy=default_policy)
    assert str(mail["Subject"]) == MESSAGE.subject
    assert mail.get_body(("html",)) is not None
    attachment = next(mail.iter_attachments())
    assert attachment.get_filename() == "bao-cao-quy-1.xlsx"
    assert attachment.get_content() == b"PK\x03\x04xlsx"


def test_smtp_with_an_attachment_over_a_real_server() -> None:
    port = free_port()
    for _controller, sink in smtp_server(port):
        SmtpNotifier(host="127.0.0.1", port=port, sender="kehoach@example.org").send(MESSAGE)
        _, rcpts, mail = sink.envelopes[0]
        assert rcpts == ["so-y-te@hanoi.example.org", "so-noi-vu@hanoi.example.org"]
        assert str(mail["Message-ID"]) == MESSAGE.message_id
        assert next(mail.iter_attachments()).get_filename() == "bao-cao-quy-1.xlsx"


class _CountingSink(Sink):
    """Also records the client address of each message: one per SMTP connection."""

    def __init__(self) -> None:
        super().__init__()
        self.peers: list[object] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.peers.append(session.peer)
        return await super().handle_DATA(server, session, envelope)


def _message(n: int) -> OutgoingMessage:
    return OutgoingMessage(message_id=f"<m{n}@example.org>", to=MESSAGE.to, cc=(),
                           subject=f"thư {n}", text="Kính gửi", html=None)


def test_smtp_sends_back_to_back_messages_over_one_connection() -> None:
    from aiosmtpd.controller import Controller

    sink, port = _CountingSink(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    notifier = SmtpNotifier(host="127.0.0.1", port=port, sender="kehoach@example.org")
    try:
        for n in range(3):
            notifier.send(_message(n))
        notifier.close()
        notifier.send(_message(3))  # after close(): a new connection
        notifier.close()
    finally:
        controller.stop()
    assert sink.message_ids() == [f"<m{n}@example.org>" for n in range(4)]
    assert len(set(sink.peers[:3])) == 1 and sink.peers[3] != sink.peers[0]


def test_smtp_reconnects_when_the_server_dropped_the_connection() -> None:
    from aiosmtpd.controller import Controller

    port = free_port()
    notifier = SmtpNotifier(host="127.0.0.1", port=port, sender="kehoach@example.org")
    first, second = _CountingSink(), _CountingSink()
    controller = Controller(first, hostname="127.0.0.1", port=port)
    controller.start()
    notifier.send(_message(1))
    controller.stop()  # the server restarts: the open connection is dead
    controller = Controller(second, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        notifier.send(_message(2))  # not an error: the notifier notices and reconnects
        notifier.close()
    finally:
        controller.stop()
    assert first.message_ids() == ["<m1@example.org>"]
    assert second.message_ids() == ["<m2@example.org>"]


def test_smtp_down_is_a_transient_error() -> None:
    notifier = SmtpNotifier(host="127.0.0.1", port=free_port(), sender="kehoach@example.org")
    with pytest.raises(DeliveryError) as caught:
        notifier.send(MESSAGE)
    assert not caught.value.permanent


def test_notifier_from_settings(tmp_path: Path) -> None:
    smtp = notifier_from_settings(Settings(smtp_host="mail.example.org", smtp_port=587,
                                           smtp_security="starttls", smtp_user="u"))
    assert isinstance(smtp, SmtpNotifier)
    assert (smtp.host, smtp.port, smtp.security, smtp.user) == ("mail.example.org", 587,
                                                                "starttls", "u")
    folder = notifier_from_settings(Settings(mail_folder=tmp_path))
    assert isinstance(folder, FolderNotifier) and folder.folder == tmp_path
    assert isinstance(notifier_from_settings(Settings(mail_folder=tmp_path), via="smtp"),
                      SmtpNotifier)


def test_a_message_id_must_look_like_one() -> None:
    with pytest.raises(ValueError, match="not of the form"):
        OutgoingMessage(message_id="42", to=("a@example.org",), subject="s", text="t")
