"""The daily sweep: escalation decisions recorded set-wise in SQL, digests queued in the outbox."""
