"""SQLAlchemy 2 table models of the engine's state: plans, tasks, instances, events, calendars."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware datetimes stored as naive UTC, identically on SQLite and PostgreSQL."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: kehoach stores only aware times")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        return value.replace(tzinfo=dt.UTC) if value is not None else None


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dt.datetime: UTCDateTime, dict[str, Any]: JSON,
                           list[Any]: JSON}


class PlanRow(Base):
    __tablename__ = "plans"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    number: Mapped[str] = mapped_column(String(80), default="")
    title: Mapped[str] = mapped_column(Text)
    year: Mapped[int] = mapped_column(Integer)
    issuer: Mapped[str] = mapped_column(String(80))
    monitor: Mapped[str] = mapped_column(String(80))
    timezone: Mapped[str] = mapped_column(String(64))
    revision: Mapped[int] = mapped_column(Integer)
    spec_hash: Mapped[str] = mapped_column(String(64))
    registered_at: Mapped[dt.datetime]


class RevisionRow(Base):
    __tablename__ = "plan_revisions"

    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id"), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, primary_key=True)
    spec_hash: Mapped[str] = mapped_column(String(64))
    spec_yaml: Mapped[str] = mapped_column(Text)
    directory_yaml: Mapped[str] = mapped_column(Text)
    registered_at: Mapped[dt.datetime]
    actor: Mapped[str] = mapped_column(String(120))
    diff: Mapped[dict[str, Any]]


class AgencyRow(Base):
    __tablename__ = "agencies"

    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id"), primary_key=True)
    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    short: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20))
    emails: Mapped[list[Any]]


class TaskRow(Base):
    __tablename__ = "tasks"

    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id"), primary_key=True)
    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    due_phrase: Mapped[str] = mapped_column(Text)
    lead: Mapped[list[Any]]
    coordinators: Mapped[list[Any]]
    target_count: Mapped[int | None] = mapped_column(Integer)
    target_unit: Mapped[str | None] = mapped_column(Text)
    removed_in: Mapped[int | None] = mapped_column(Integer)


# What a rollup reads of an instance besides its keys: the window's dates, the status
# columns, the working-day ordinals, the target and progress.
FIGURE_COLUMNS = ("printed_due", "due_date", "due_at", "completed_at", "waived_at", "due_wd",
                  "completed_wd", "target", "progress")

FIGURE_INDEXES = ("ix_instances_agency_figures", "ix_instances_task_figures")


class InstanceRow(Base):
    __tablename__ = "instances"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    plan_id: Mapped[str] = mapped_column(String(80))
    task_id: Mapped[str] = mapped_column(String(80))
    agency_id: Mapped[str] = mapped_column(String(80))
    period: Mapped[str] = mapped_column(String(16))
    printed_due: Mapped[dt.date | None] = mapped_column(Date)
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    due_at: Mapped[dt.datetime | None]
    target: Mapped[int | None] = mapped_column(Integer)
    # Working-day ordinals (table workdays) of the due date and of the completion date:
    # days late is their difference, which SQL can compute without a calendar.
    due_wd: Mapped[int | None] = mapped_column(Integer)
    # Projection of the events (engine.core.status.fold_events); `kehoach db verify` checks it.
    completed_at: Mapped[dt.datetime | None]
    completed_on: Mapped[dt.date | None] = mapped_column(Date)  # local date of completion
    completed_wd: Mapped[int | None] = mapped_column(Integer)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    waived_at: Mapped[dt.datetime | None]
    waived_reason: Mapped[str | None] = mapped_column(Text)
    # Completion review (engine.core.review): "accepted" or "returned", else None; and the
    # due as compiled, kept when an approved extension moves due_* (NULL: never extended).
    review: Mapped[str | None] = mapped_column(String(12))
    original_due_date: Mapped[dt.date | None] = mapped_column(Date)
    original_due_at: Mapped[dt.datetime | None]

    # The rollups' two groupings (engine.store.metrics) read these indexes alone, in key
    # order: each holds every column a figure needs (FIGURE_COLUMNS), so SQLite groups by
    # agency, or by task and period, with neither a table lookup per instance nor a sort
    # (a national plan's dashboard: 0.59 s -> 0.22 s by task and period). They also serve
    # every lookup by (plan, agency) or (plan, task). The burn-up counts deadlines and
    # completions per day from the two (plan, day) indexes, the second holding only the
    # completed instances.
    __table_args__ = (
        Index("ix_instances_agency_figures", "plan_id", "agency_id", *FIGURE_COLUMNS),
        Index("ix_instances_task_figures", "plan_id", "task_id", "period", *FIGURE_COLUMNS),
        Index("ix_instances_plan_due", "plan_id", "due_date"),
        Index("ix_instances_plan_done", "plan_id", "completed_on",
              sqlite_where=text("completed_on IS NOT NULL"),
              postgresql_where=text("completed_on IS NOT NULL")),
    )


class EdgeRow(Base):
    __tablename__ = "edges"

    src: Mapped[str] = mapped_column(String(255), primary_key=True)
    dst: Mapped[str] = mapped_column(String(255), primary_key=True)
    plan_id: Mapped[str] = mapped_column(String(80))

    __table_args__ = (Index("ix_edges_dst", "dst"), Index("ix_edges_plan", "plan_id"))


class EventRow(Base):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    plan_id: Mapped[str] = mapped_column(String(80))
    instance_id: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(20))
    at: Mapped[dt.datetime]
    recorded_at: Mapped[dt.datetime]
    actor: Mapped[str] = mapped_column(String(120))
    source: Mapped[str] = mapped_column(String(40))
    count: Mapped[int | None] = mapped_column(Integer)
    evidence_url: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    due_on: Mapped[dt.date | None] = mapped_column(Date)  # an extension's date

    __table_args__ = (Index("ix_events_instance", "instance_id", "id"),)


class WorkdayRow(Base):
    """Working-day ordinals of a plan's calendar, so SQL can count working days late."""

    __tablename__ = "workdays"

    plan_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    ordinal: Mapped[int] = mapped_column(Integer)  # working days from the table's start to day
