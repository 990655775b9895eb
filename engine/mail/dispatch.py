"""Dispatch: send the queued outbox through notifiers, with retries and exponential backoff.

Each message goes through three steps, each its own transaction or none:

1. claim: queued (and due) -> sending, with a claim token and a lease; committed.
2. send: render the digest and hand it to the notifier, outside any transaction.
3. settle: sending -> sent, or back to queued with a backoff and the error, or failed
   for good (a refused or invalid address); only if the claim token is still ours.

A SIGKILL before 1 commits leaves the row queued; between 1 and 3 it leaves the row
"sending" until its lease runs out, then the next dispatch claims and sends it again. If the
kill fell after the notifier accepted the message but before 3 committed, the receiver gets
it twice: that window is unavoidable without a two-phase commit with the mail server, so the
repeat carries the identical Message-ID (fixed in the outbox row when the sweep queued it)
and receivers can drop it. Dispatch never inserts rows, so no crash can duplicate one.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, and_, func, or_, select, true, update
from sqlalchemy.orm import Session

from engine.core.digest import Digest
from engine.mail.render import render_digest
from engine.settings import Settings
from engine.store.database import Store
from engine.store.tables_escalation import OutboxRow
from engine.web.signin import sign_in_links
from notifiers.base import DeliveryError, Notifier

log = logging.getLogger(__name__)

QUEUED, SENDING, SENT, FAILED = "queued", "sending", "sent", "failed"
STATUSES = (QUEUED, SENDING, SENT, FAILED)
LEASE = dt.timedelta(minutes=10)      # far above a notifier's own timeout (30 s for SMTP)
BACKOFF_BASE = dt.timedelta(minutes=1)
BACKOFF_MAX = dt.timedelta(hours=6)
# After this many transient failures in a row the channel is taken to be down: stop, so
# the remaining messages keep their attempt count and are not all pushed back.
BREAKER = 5
# The recipient's name as the digest (the row's payload, engine.core.digest) addressed it.
RECIPIENT_NAME = OutboxRow.payload[("recipient", "name")].as_string()


@dataclass(frozen=True, slots=True)
class Problem:
    """A message that was not delivered this time, and why."""

    outbox_id: int
    recipient: str
    error: str
    permanent: bool


@dataclass
class DispatchResult:
    """What one dispatch run did."""

    sent: int = 0
    retrying: int = 0             # back in the queue, with backoff
    failed: int = 0               # failed for good (stay visible, status "failed")
    stopped_early: bool = False   # the breaker tripped: the channel looks down
    problems: list[Problem] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Claim:
    id: int
    message_id: str
    recipient: str
    payload: dict[str, Any]
    attempts: int


def backoff(attempts: int) -> dt.timedelta:
    """The wait before attempt `attempts + 1`: 1, 2, 4, 8... minutes, at most 6 hours."""
    wait: dt.timedelta = BACKOFF_BASE * 2 ** max(attempts - 1, 0)
    return min(wait, BACKOFF_MAX)


def dispatch(store: Store, *, notifier: Notifier, now: dt.datetime,
             retry_now: bool = False, limit: int | None = None,
             settings: Settings | None = None) -> DispatchResult:
    """Send the due messages of the outbox, oldest first, each at most once per run.

    Args:
        store: the database; dispatch commits per message (claim, then settle).
        notifier: the channel every message goes through (SMTP, a folder, or both).
        now: the moment of this run: backoff and leases are counted from it.
        retry_now: ignore the backoff wait of queued messages (not the lease of claimed ones).
        limit: send at most this many messages.
        settings: for public_url in the mails (default: from the environment).
    """
    settings = settings or Settings()
    token, result, last_id, streak = secrets.token_hex(8), DispatchResult(), 0, 0
    while limit is None or result.sent + result.retrying + result.failed < limit:
        claim = _claim(store, after=last_id, token=token, now=now, retry_now=retry_now)
        if claim is None:
            break
        last_id = claim.id
        error = _deliver(store, claim, notifier, public_url=settings.public_url, now=now)
        _settle(store, claim, error, token=token, now=now)
        _count(result, claim, error)
        streak = streak + 1 if error is not None and not error.permanent else 0
        if streak >= BREAKER:
            result.stopped_early = True
            log.warning("dispatch stopped after %d transient failures in a row", streak)
            break
    return result


def _claim(store: Store, *, after: int, token: str, now: dt.datetime,
           retry_now: bool) -> _Claim | None:
    o = OutboxRow
    due = true() if retry_now else or_(o.next_attempt_at.is_(None), o.next_attempt_at <= now)
    ready = or_(and_(o.status == QUEUED, due), and_(o.status == SENDING, o.lease_until <= now))
    with store.transaction() as tx:
        row = tx.scalars(select(o).where(o.id > after, ready).order_by(o.id).limit(1)
                         .with_for_update(skip_locked=True)).first()
        if row is None:
            return None
        row.status, row.claim_token, row.lease_until = SENDING, token, now + LEASE
        row.attempts += 1
        return _Claim(row.id, row.message_id, row.recipient, dict(row.payload), row.attempts)


def _deliver(store: Store, claim: _Claim, notifier: Notifier, *, public_url: str,
             now: dt.datetime) -> DeliveryError | None:
    try:
        digest = Digest.from_json(claim.payload)
        links = sign_in_links(store, digest, public_url=public_url, now=now)  # engine.web
        message = render_digest(digest, message_id=claim.message_id, public_url=public_url,
                                links=links)
        notifier.send(message)
    except DeliveryError as exc:
        return exc
    except Exception as exc:  # a bug in rendering or a notifier: keep the message queued
        log.exception("outbox %d: unexpected error", claim.id)
        return DeliveryError(f"{type(exc).__name__}: {exc}", permanent=False)
    return None


def _settle(store: Store, claim: _Claim, error: DeliveryError | None, *, token: str,
            now: dt.datetime) -> None:
    with store.transaction() as tx:
        _write_outcome(tx, claim, error, token=token, now=now)


def _write_outcome(session: Session, claim: _Claim, error: DeliveryError | None, *,
                   token: str, now: dt.datetime) -> None:
    values: dict[str, Any] = {"claim_token": None, "lease_until": None}
    if error is None or error.delivered:
        values.update(status=SENT, sent_at=now, last_error=error.reason if error else None)
    elif error.permanent:
        values.update(status=FAILED, last_error=error.reason)
    else:
        values.update(status=QUEUED, last_error=error.reason,
                      next_attempt_at=now + backoff(claim.attempts))
    # Only the holder of the claim settles it: a dispatcher whose lease ran out and whose
    # message was claimed again by another must not overwrite the other's outcome.
    session.execute(update(OutboxRow).where(OutboxRow.id == claim.id,
                                            OutboxRow.claim_token == token).values(**values))


def _count(result: DispatchResult, claim: _Claim, error: DeliveryError | None) -> None:
    if error is None or error.delivered:
        result.sent += 1
    elif error.permanent:
        result.failed += 1
    else:
        result.retrying += 1
    if error is not None:
        result.problems.append(Problem(claim.id, claim.recipient, error.reason,
                                       error.permanent))
        log.warning("outbox %d to %s: %s", claim.id, claim.recipient, error.reason)


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One outbox message as `kehoach outbox list` shows it."""

    id: int
    message_id: str
    recipient: str
    to: tuple[str, ...]
    subject: str
    status: str
    attempts: int
    queued_at: dt.datetime
    next_attempt_at: dt.datetime | None
    sent_at: dt.datetime | None
    last_error: str | None
    recipient_name: str = ""      # as its digest addressed it ("Sở Tài chính")


def list_outbox(session: Session, *, status: str | None = None, recipient: str | None = None,
                limit: int | None = None, offset: int = 0,
                newest_first: bool = False) -> list[OutboxEntry]:
    """Outbox messages, oldest first (or newest), optionally of one status and recipient;
    `offset` and `limit` page them in SQL."""
    o = OutboxRow
    query = _outbox_query(select(o, RECIPIENT_NAME), status=status, recipient=recipient)
    query = query.order_by(o.id.desc() if newest_first else o.id).offset(offset or None)
    if limit is not None:
        query = query.limit(limit)
    return [OutboxEntry(r.id, r.message_id, r.recipient, tuple(r.to_addrs), r.subject,
                        r.status, r.attempts, r.queued_at, r.next_attempt_at, r.sent_at,
                        r.last_error, name or r.recipient)
            for r, name in session.execute(query).tuples()]


def count_outbox(session: Session, *, status: str | None = None,
                 recipient: str | None = None) -> int:
    """How many outbox messages `list_outbox` would list with these filters."""
    query = _outbox_query(select(func.count()).select_from(OutboxRow), status=status,
                          recipient=recipient)
    return session.scalar(query) or 0


def outbox_recipients(session: Session) -> dict[str, str]:
    """Every recipient in the outbox, id -> the name its latest digest addressed."""
    o = OutboxRow
    latest = select(func.max(o.id)).group_by(o.recipient).scalar_subquery()
    rows = session.execute(select(o.recipient, RECIPIENT_NAME).where(o.id.in_(latest)))
    return dict(sorted(((r, n or r) for r, n in rows), key=lambda pair: pair[1]))


def _outbox_query(query: Select[Any], *, status: str | None,
                  recipient: str | None) -> Select[Any]:
    if status is not None:
        query = query.where(OutboxRow.status == status)
    if recipient is not None:
        query = query.where(OutboxRow.recipient == recipient)
    return query
