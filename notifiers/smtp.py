"""SMTP notifier (smtplib): plain, STARTTLS or implicit TLS, with optional login."""

from __future__ import annotations

import smtplib
import ssl
from email.utils import formatdate
from typing import Literal

from engine.message import InvalidAddressError, to_mime
from notifiers.base import DeliveryError, OutgoingMessage

Security = Literal["none", "starttls", "ssl"]


class SmtpNotifier:
    """Sends each message over its own SMTP connection (robust to servers that drop idle ones)."""

    def __init__(self, *, host: str, port: int, sender: str, security: Security = "none",
                 user: str | None = None, password: str | None = None,
                 timeout: float = 30.0, ssl_context: ssl.SSLContext | None = None) -> None:
        self.host, self.port, self.sender, self.security = host, port, sender, security
        self.user, self.password, self.timeout = user, password, timeout
        self.ssl_context = ssl_context or ssl.create_default_context()

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
            with self._connect() as client:
                refused = client.send_message(mail, from_addr=self.sender, to_addrs=recipients)
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
