"""E-mails: rendering digests as messages, and sending the outbox through a notifier."""
