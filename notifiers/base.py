"""The notifier interface: an outgoing message value, the Notifier protocol, DeliveryError."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol, runtime_checkable

from engine.core.errors import KehoachError


class Attachment(NamedTuple):
    """A file attached to a message (an XLSX or HTML report); a plain 3-tuple also does."""

    filename: str
    content: bytes
    mime_type: str = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """A rendered message, ready for any notifier.

    `message_id` is stable for one outbox row ("<...@...>"): a message sent again after a
    crash carries the same id, so receivers can recognise the repeat. `data` is the
    structured content (the digest), for notifiers that send JSON rather than mail.
    """

    message_id: str
    to: tuple[str, ...]
    subject: str
    text: str
    html: str | None = None
    cc: tuple[str, ...] = ()
    attachments: tuple[Attachment | tuple[str, bytes, str], ...] = ()
    data: Mapping[str, Any] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not (self.message_id.startswith("<") and self.message_id.endswith(">")
                and "@" in self.message_id):
            raise ValueError(f"message id {self.message_id!r} is not of the form <left@right>")

    def files(self) -> tuple[Attachment, ...]:
        """The attachments as Attachment values (filename, content, MIME type)."""
        return tuple(Attachment(*a) for a in self.attachments)


class DeliveryError(KehoachError, RuntimeError):
    """A message was not delivered.

    Attributes:
        permanent: True when sending again cannot succeed (a refused or invalid address);
            False for outages (server down, timeout), which are retried with backoff.
        delivered: True when some recipients got the message and others were refused:
            it must not be sent again, but the refusal stays on record.
    """

    def __init__(self, reason: str, *, permanent: bool, delivered: bool = False) -> None:
        self.reason = reason
        self.permanent = permanent
        self.delivered = delivered
        super().__init__(reason)


@runtime_checkable
class Notifier(Protocol):
    """Delivers one message, or raises DeliveryError; it never retries on its own."""

    def send(self, message: OutgoingMessage) -> None:
        """Deliver `message`.

        Raises:
            DeliveryError: the message was not (fully) delivered; `permanent` says whether
                a retry may help.
        """


def close_notifier(notifier: object) -> None:
    """Release what a notifier holds open between sends (an SMTP connection), if anything.

    Closing is optional in the Notifier protocol: most notifiers hold nothing.
    """
    close = getattr(notifier, "close", None)
    if callable(close):
        close()
