"""Table models of the web pages: evidence files uploaded with a completion."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.tables import Base


class EvidenceFileRow(Base):
    """A file an agency attached to an instance's completion (kept in the database, so every
    machine serving the pages has it)."""

    __tablename__ = "evidence_files"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    instance_id: Mapped[str] = mapped_column(String(255))
    plan_id: Mapped[str] = mapped_column(String(80))
    filename: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_at: Mapped[dt.datetime]
    actor: Mapped[str] = mapped_column(String(120))

    __table_args__ = (Index("ix_evidence_files_instance", "instance_id"),)
