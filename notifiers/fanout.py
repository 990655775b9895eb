"""Send each message through several notifiers (SMTP and a folder copy, in the demo)."""

from __future__ import annotations

from notifiers.base import Notifier, OutgoingMessage, close_notifier


class FanOut:
    """A notifier that sends through each of `notifiers` in order.

    The first one is the channel of record: its failure fails the send. Later ones are
    copies (an .eml folder); they run only after the first succeeded.
    """

    def __init__(self, *notifiers: Notifier) -> None:
        if not notifiers:
            raise ValueError("FanOut needs at least one notifier")
        self.notifiers = notifiers

    def send(self, message: OutgoingMessage) -> None:
        for notifier in self.notifiers:
            notifier.send(message)

    def close(self) -> None:
        for notifier in self.notifiers:
            close_notifier(notifier)
