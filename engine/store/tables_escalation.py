"""SQLAlchemy models of escalation: sweeps, the (instance, level) pairs told, the outbox."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.tables import Base, InstanceRow

_ID = BigInteger().with_variant(Integer, "sqlite")


class SweepRow(Base):
    """One run of the sweep: as of when, over which plan (None: all), what it wrote."""

    __tablename__ = "sweeps"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    as_of: Mapped[dt.datetime]
    plan_id: Mapped[str | None] = mapped_column(String(80))
    escalations: Mapped[int] = mapped_column(Integer)
    messages: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("ix_sweeps_plan_as_of", "plan_id", "as_of"),)


class EscalationRow(Base):
    """An (instance, level) pair reached and recorded: it is never told twice."""

    __tablename__ = "escalations"

    instance_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    level: Mapped[str] = mapped_column(String(80), primary_key=True)
    plan_id: Mapped[str] = mapped_column(String(80))
    sweep_id: Mapped[int] = mapped_column(ForeignKey("sweeps.id"))
    rank: Mapped[int] = mapped_column(Integer)
    # False when a higher level of the same instance was reached in the same sweep.
    notified: Mapped[bool] = mapped_column(Boolean)

    __table_args__ = (Index("ix_escalations_sweep", "sweep_id", "instance_id"),)


class OutboxRow(Base):
    """One digest to send: queued -> sending (claimed, leased) -> sent, or failed for good."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    sweep_id: Mapped[int] = mapped_column(ForeignKey("sweeps.id"))
    message_id: Mapped[str] = mapped_column(String(255))
    recipient: Mapped[str] = mapped_column(String(80))
    subject: Mapped[str] = mapped_column(Text)
    to_addrs: Mapped[list[Any]]
    cc_addrs: Mapped[list[Any]]
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(Integer)
    queued_at: Mapped[dt.datetime]
    next_attempt_at: Mapped[dt.datetime | None]
    lease_until: Mapped[dt.datetime | None]
    claim_token: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[dt.datetime | None]

    __table_args__ = (
        Index("ux_outbox_message_id", "message_id", unique=True),
        Index("ix_outbox_status", "status", "next_attempt_at"),
        Index("ix_outbox_sweep", "sweep_id"),
    )


# The sweep reads only open instances past a cutoff date: this partial index holds exactly
# those (an instance leaves it when completed or waived), so a sweep over 10^6 instances
# reads the few percent still open instead of every instance past its due date.
OPEN_INSTANCE = (InstanceRow.completed_at.is_(None)) & (InstanceRow.waived_at.is_(None))
Index("ix_instances_open_due", InstanceRow.plan_id, InstanceRow.due_date,
      sqlite_where=OPEN_INSTANCE, postgresql_where=OPEN_INSTANCE)
