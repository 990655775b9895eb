"""SQLAlchemy models of the webhook API: tokens, signature policy, idempotency, security log."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.tables import Base


class PlanDirectoryRow(Base):
    """The agency directory a plan was compiled against (agency ids are unique only in one)."""

    __tablename__ = "plan_directories"

    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id"), primary_key=True)
    directory_id: Mapped[str] = mapped_column(String(80))

    __table_args__ = (Index("ix_plan_directories_directory", "directory_id"),)


class ApiTokenRow(Base):
    """A bearer token: only the SHA-256 of its secret is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    directory_id: Mapped[str | None] = mapped_column(String(80))
    agency_id: Mapped[str | None] = mapped_column(String(80))
    # HMAC key for request signatures; the server must read it to verify one.
    signing_secret: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]
    note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ux_api_tokens_secret_hash", "secret_hash", unique=True),)


class ApiAgencyPolicyRow(Base):
    """Per-agency API policy: whether every request must carry a valid signature."""

    __tablename__ = "api_agency_policies"

    directory_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    agency_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    require_signature: Mapped[bool] = mapped_column(Boolean)


class ApiIdempotencyRow(Base):
    """The first answer to a request sent with an Idempotency-Key, replayed on retries."""

    __tablename__ = "api_idempotency"

    token_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime]


class ApiSignatureRow(Base):
    """Signatures already accepted, so a captured request cannot be replayed."""

    __tablename__ = "api_signatures"

    token_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    signature: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen_at: Mapped[dt.datetime]


class ApiSecurityEventRow(Base):
    """One refused API request: who (if known), why, from where."""

    __tablename__ = "api_security_events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime]
    status: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(60))
    token_id: Mapped[str | None] = mapped_column(String(32))
    directory_id: Mapped[str | None] = mapped_column(String(80))
    agency_id: Mapped[str | None] = mapped_column(String(80))
    source_address: Mapped[str | None] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_api_security_events_at", "at"),)
