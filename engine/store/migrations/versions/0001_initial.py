"""Initial schema: plans, revisions, agencies, tasks, instances, edges, events, workdays.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

from engine.store.tables import UTCDateTime

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "plans",
        sa.Column("id", sa.String(80), primary_key=True),
        sa.Column("number", sa.String(80), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("issuer", sa.String(80), nullable=False),
        sa.Column("monitor", sa.String(80), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("spec_hash", sa.String(64), nullable=False),
        sa.Column("registered_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "plan_revisions",
        sa.Column("plan_id", sa.String(80), sa.ForeignKey("plans.id"), primary_key=True),
        sa.Column("revision", sa.Integer(), primary_key=True),
        sa.Column("spec_hash", sa.String(64), nullable=False),
        sa.Column("spec_yaml", sa.Text(), nullable=False),
        sa.Column("directory_yaml", sa.Text(), nullable=False),
        sa.Column("registered_at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("diff", sa.JSON(), nullable=False),
    )
    op.create_table(
        "agencies",
        sa.Column("plan_id", sa.String(80), sa.ForeignKey("plans.id"), primary_key=True),
        sa.Column("id", sa.String(80), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("short", sa.Text(), nullable=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("emails", sa.JSON(), nullable=False),
    )
    op.create_table(
        "tasks",
        sa.Column("plan_id", sa.String(80), sa.ForeignKey("plans.id"), primary_key=True),
        sa.Column("id", sa.String(80), primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("due_phrase", sa.Text(), nullable=False),
        sa.Column("lead", sa.JSON(), nullable=False),
        sa.Column("coordinators", sa.JSON(), nullable=False),
        sa.Column("target_count", sa.Integer(), nullable=True),
        sa.Column("target_unit", sa.Text(), nullable=True),
        sa.Column("removed_in", sa.Integer(), nullable=True),
    )
    op.create_table(
        "instances",
        sa.Column("id", sa.String(255), primary_key=True),
        sa.Column("plan_id", sa.String(80), nullable=False),
        sa.Column("task_id", sa.String(80), nullable=False),
        sa.Column("agency_id", sa.String(80), nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("printed_due", sa.Date(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("due_at", UTCDateTime(), nullable=True),
        sa.Column("target", sa.Integer(), nullable=True),
        sa.Column("due_wd", sa.Integer(), nullable=True),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("completed_wd", sa.Integer(), nullable=True),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("waived_at", UTCDateTime(), nullable=True),
        sa.Column("waived_reason", sa.Text(), nullable=True),
    )
    op.create_index("ix_instances_plan_agency", "instances", ["plan_id", "agency_id"])
    op.create_index("ix_instances_plan_task", "instances", ["plan_id", "task_id"])
    op.create_index("ix_instances_plan_due", "instances", ["plan_id", "due_date"])
    op.create_table(
        "edges",
        sa.Column("src", sa.String(255), primary_key=True),
        sa.Column("dst", sa.String(255), primary_key=True),
        sa.Column("plan_id", sa.String(80), nullable=False),
    )
    op.create_index("ix_edges_dst", "edges", ["dst"])
    op.create_index("ix_edges_plan", "edges", ["plan_id"])
    op.create_table(
        "events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True,
                  autoincrement=True),
        sa.Column("plan_id", sa.String(80), nullable=False),
        sa.Column("instance_id", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("count", sa.Integer(), nullable=True),
        sa.Column("evidence_url", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
    )
    op.create_index("ix_events_instance", "events", ["instance_id", "id"])
    op.create_table(
        "workdays",
        sa.Column("plan_id", sa.String(80), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("ordinal", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    for table in ("workdays", "events", "edges", "instances", "tasks", "agencies",
                  "plan_revisions", "plans"):
        op.drop_table(table)
