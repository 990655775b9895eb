"""SMTP notifier (smtplib): plain, STARTTLS or implicit TLS, with optional login."""

from __future__ import annotations

import smtplib
import ssl
import time
from email.utils import formatdate
from typing import Literal

from engine.mail.render import InvalidAddressError, to_mime
from notifiers.base import DeliveryError, OutgoingMessage

Security = Literal["none", "starttls", "ssl"]


# A connection idle for longer than this is not reused (RFC 5321 servers wait at least five
# minutes for the next command; many relays drop idle clients sooner).
REUSE_WITHIN_SECONDS = 20.0


class SmtpNotifier:
    """Sends messages over SMTP, reusing one connection for messages sent back to back.

    A dispatch run sends its messages over one connection instead of opening (and greeting,
    and quitting) one per message; `close()` ends it. Before reuse the connection must have
    been used within REUSE_WITHIN_SECONDS and answer NOOP, else a new one is opened; any
    error drops it.
    """

    def __init__(self, *, host: str, port: int, sender: str, security: Security = "none",
                 user: str | None = None, password: str | None = None,
                 timeout: float = 30.0, ssl_context: ssl.SSLContext | None = None) -> None:
        self.host, self.port, self.sender, self.security = host, port, sender, security
        self.user, self.password, self.timeout = user, password, timeout
        self._ssl_context = ssl_context
        self._client: smtplib.SMTP | None = None
        self._last_used = 0.0

    @property
    def ssl_context(self) -> ssl.SSLContext:
        # Built on first use: loading the system's CA bundle takes ~0.1 s, and a plain
        # loopback relay (security "none") never needs it.
        if self._ssl_context is None:
            self._ssl_context = ssl.create_default_context()
        return self._ssl_context

    def send(self, message: OutgoingMessage) -> None:
        """Deliver `message` to its To and Cc addresses.

        Raises:
            DeliveryError: permanent for an invalid or refused address or a rejected
                message (5xx); transient for a server that is down, slow or answers 4xx.
        """
        try:
            mail = to_mime(message, sender=self.sender)
        except InvalidAddressError as exc:
            raise DeliveryError(str(exc), permanent=True) from None
        mail["Date"] = formatdate(localtime=True)
        recipients = [a.addr_spec for header in ("To", "Cc") if mail[header]
                      for a in mail[header].addresses]
        try:
            client = self._connection()
            try:
                refused = client.send_message(mail, from_addr=self.sender, to_addrs=recipients)
            except BaseException:
                self._drop()
                raise
            self._last_used = time.monotonic()
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(f"every recipient refused: {_codes(exc.recipients)}",
                                permanent=_all_permanent(exc.recipients)) from None
        except smtplib.SMTPResponseException as exc:
            reason = f"SMTP {exc.smtp_code}: {_text(exc.smtp_error)}"
            raise DeliveryError(reason, permanent=500 <= exc.smtp_code < 600
                                and not isinstance(exc, smtplib.SMTPAuthenticationError)) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"SMTP server {self.host}:{self.port} unreachable: {exc}",
                                permanent=False) from None
        if refused:
            raise DeliveryError(f"some recipients refused: {_codes(refused)}",
                                permanent=True, delivered=True)

    def close(self) -> None:
        """End the open connection, if any, politely (QUIT)."""
        client, self._client = self._client, None
        if client is not None:
            try:
                client.quit()
            except (OSError, smtplib.SMTPException):
                client.close()

    def _connection(self) -> smtplib.SMTP:
        if self._client is not None and not self._still_open():
            self._drop()
        if self._client is None:
            self._client = self._connect()
        return self._client

    def _still_open(self) -> bool:
        """Whether the open connection can carry the next message: recently used, and
        answering NOOP (a server may have closed it; one round trip instead of a message
        failing on a dead connection)."""
        if self._client is None or time.monotonic() - self._last_used > REUSE_WITHIN_SECONDS:
            return False
        try:
            code, _ = self._client.noop()
        except (OSError, smtplib.SMTPException):
            return False
        return code == 250

    def _drop(self) -> None:
        # After an error the session's state is unknown: never reuse it.
        client, self._client = self._client, None
        if client is not None:
            client.close()

    def _connect(self) -> smtplib.SMTP:
        if self.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                                    context=self.ssl_context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.security == "starttls":
            client.starttls(context=self.ssl_context)
        if self.user:
            client.login(self.user, self.password or "")
        return client


def _text(raw: bytes | str) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw


def _codes(refused: dict[str, tuple[int, bytes]]) -> str:
    return ", ".join(f"{addr} ({code} {_text(msg)})"
                     for addr, (code, msg) in sorted(refused.items()))


def _all_permanent(refused: dict[str, tuple[int, bytes]]) -> bool:
    return all(500 <= code < 600 for code, _ in refused.values())
