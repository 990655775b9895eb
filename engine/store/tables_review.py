"""SQLAlchemy models of completion review and deadline extensions (engine.core.review)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Date, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.tables import Base

_ID = BigInteger().with_variant(Integer, "sqlite")


class ExtensionRow(Base):
    """One extension request and its decision: requested -> approved | refused.

    The decision is written by one conditional UPDATE (WHERE state = 'requested'), so two
    approvers answering at once record exactly one decision.
    """

    __tablename__ = "extension_requests"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    plan_id: Mapped[str] = mapped_column(String(80))
    instance_id: Mapped[str] = mapped_column(String(255))
    agency_id: Mapped[str] = mapped_column(String(80))      # the lead it is asked for
    state: Mapped[str] = mapped_column(String(12))
    requested_at: Mapped[dt.datetime]
    requested_by: Mapped[str] = mapped_column(String(120))
    reason: Mapped[str] = mapped_column(Text)
    previous_due: Mapped[dt.date] = mapped_column(Date)     # the due in force when asked
    requested_due: Mapped[dt.date] = mapped_column(Date)
    decided_at: Mapped[dt.datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(120))
    granted_due: Mapped[dt.date | None] = mapped_column(Date)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    # When the approvers were told of it in a digest, and reminded (engine.sweep).
    told_on: Mapped[dt.date | None] = mapped_column(Date)
    reminded_on: Mapped[dt.date | None] = mapped_column(Date)

    __table_args__ = (
        Index("ix_extension_requests_plan_state", "plan_id", "state"),
        Index("ix_extension_requests_instance", "instance_id", "id"),
    )


class ReviewNoticeRow(Base):
    """An outcome to tell an agency in its next digest: a returned completion, an approved
    or refused extension. `sweep_id` is set by the sweep that lists it (NULL: not yet)."""

    __tablename__ = "review_notices"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    plan_id: Mapped[str] = mapped_column(String(80))
    agency_id: Mapped[str] = mapped_column(String(80))      # whom to tell
    instance_id: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(24))
    at: Mapped[dt.datetime]
    actor: Mapped[str] = mapped_column(String(120))
    reason: Mapped[str | None] = mapped_column(Text)
    previous_due: Mapped[dt.date | None] = mapped_column(Date)  # the due before the step
    due_on: Mapped[dt.date | None] = mapped_column(Date)        # the date granted
    sweep_id: Mapped[int | None] = mapped_column(_ID)

    __table_args__ = (Index("ix_review_notices_pending", "plan_id", "sweep_id"),)
