"""Outgoing-webhook notifier: the message as JSON, POSTed with an HMAC-SHA256 signature.

The receiver checks `X-Kehoach-Signature: sha256=<hex>`, the HMAC of
`<X-Kehoach-Timestamp>.<raw body>` under the shared secret, and refuses stale timestamps.
`X-Kehoach-Message-Id` (also sent as `Idempotency-Key`) is stable across resends.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import httpx

from notifiers.base import DeliveryError, OutgoingMessage

SIGNATURE_HEADER = "X-Kehoach-Signature"
TIMESTAMP_HEADER = "X-Kehoach-Timestamp"


def payload(message: OutgoingMessage) -> dict[str, Any]:
    """The JSON document sent for `message` (pure)."""
    return {"message_id": message.message_id, "to": list(message.to), "cc": list(message.cc),
            "subject": message.subject, "text": message.text, "html": message.html,
            "data": dict(message.data) if message.data is not None else None,
            "attachments": [{"filename": a.filename, "mime_type": a.mime_type,
                             "content_base64": base64.b64encode(a.content).decode()}
                            for a in message.files()]}


def sign(body: bytes, *, secret: str, timestamp: int) -> str:
    """The signature header value of `body` sent at `timestamp` (Unix seconds)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


class WebhookNotifier:
    """POSTs each message to one URL (an agency's own system)."""

    def __init__(self, url: str, *, secret: str, timeout: float = 10.0,
                 transport: httpx.BaseTransport | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.url, self.secret, self.timeout = url, secret, timeout
        self.transport, self.clock = transport, clock

    def send(self, message: OutgoingMessage) -> None:
        """POST the message.

        Raises:
            DeliveryError: transient for network errors, 408, 429 and 5xx; permanent for
                other 4xx answers.
        """
        body = json.dumps(payload(message), ensure_ascii=False).encode()
        stamp = int(self.clock())
        headers = {"Content-Type": "application/json; charset=utf-8",
                   TIMESTAMP_HEADER: str(stamp), SIGNATURE_HEADER: sign(
                       body, secret=self.secret, timestamp=stamp),
                   "X-Kehoach-Message-Id": message.message_id,
                   "Idempotency-Key": message.message_id}
        try:
            with httpx.Client(transport=self.transport, timeout=self.timeout) as client:
                answer = client.post(self.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"webhook {self.url} unreachable: {exc}", permanent=False) from None
        if answer.is_success:
            return
        code = answer.status_code
        raise DeliveryError(f"webhook {self.url} answered {code}: {answer.text[:200]}",
                            permanent=400 <= code < 500 and code not in (408, 429))
