"""Notifiers: SMTP, outgoing webhook and .eml folder, behind notifiers.base.Notifier."""

from __future__ import annotations

from typing import Literal

from engine.settings import Settings
from notifiers.base import Attachment, DeliveryError, Notifier, OutgoingMessage, close_notifier

Via = Literal["smtp", "folder", "both"]


def notifier_from_settings(settings: Settings, *, via: Via | None = None) -> Notifier:
    """The notifier the settings describe.

    Args:
        settings: KEHOACH_SMTP_*, KEHOACH_MAIL_FROM, KEHOACH_MAIL_FOLDER.
        via: "smtp", "folder", or "both" (SMTP, then an .eml copy in the folder); default:
            the folder if KEHOACH_MAIL_FOLDER is set, else SMTP.
    """
    from notifiers.folder import FolderNotifier
    from notifiers.smtp import SmtpNotifier

    choice = via or ("folder" if settings.mail_folder else "smtp")
    if choice == "both":
        from notifiers.fanout import FanOut

        return FanOut(notifier_from_settings(settings, via="smtp"),
                      notifier_from_settings(settings, via="folder"))
    if choice not in ("smtp", "folder"):
        raise ValueError(f"via must be smtp, folder or both, not {choice!r}")
    if choice == "folder":
        folder = settings.mail_folder or settings.home / "outbox-mail"
        return FolderNotifier(folder, sender=settings.mail_from)
    return SmtpNotifier(host=settings.smtp_host, port=settings.smtp_port,
                        security=settings.smtp_security, user=settings.smtp_user,
                        password=settings.smtp_password, sender=settings.mail_from)


__all__ = ["Attachment", "DeliveryError", "Notifier", "OutgoingMessage", "Via",
           "close_notifier", "notifier_from_settings"]
