"""Folder notifier: each message becomes an .eml file (the demo, and offline use)."""

from __future__ import annotations

import os
import re
import tempfile
from email.utils import formatdate
from pathlib import Path

from engine.mail.render import InvalidAddressError, to_mime
from notifiers.base import DeliveryError, OutgoingMessage


class FolderNotifier:
    """Writes `<folder>/<message id>.eml`; sending one message again replaces its file."""

    def __init__(self, folder: Path, *, sender: str) -> None:
        self.folder = folder
        self.sender = sender

    def path_of(self, message: OutgoingMessage) -> Path:
        """The file a message is written to: named after its Message-ID."""
        stem = re.sub(r"[^A-Za-z0-9._-]+", "_", message.message_id.strip("<>"))
        return self.folder / f"{stem}.eml"

    def send(self, message: OutgoingMessage) -> None:
        """Write the message atomically (temporary file, then rename).

        Raises:
            DeliveryError: permanent for an invalid address; transient when the folder
                cannot be written.
        """
        try:
            mail = to_mime(message, sender=self.sender)
        except InvalidAddressError as exc:
            raise DeliveryError(str(exc), permanent=True) from None
        mail["Date"] = formatdate(localtime=True)
        target = self.path_of(message)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
            with os.fdopen(fd, "wb") as handle:
                handle.write(mail.as_bytes())
            os.replace(temp, target)
        except OSError as exc:
            raise DeliveryError(f"cannot write {target}: {exc}", permanent=False) from None
