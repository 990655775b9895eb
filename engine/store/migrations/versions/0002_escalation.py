"""Escalation: sweeps, escalations (instance, level) told once, and the outbox of digests.

Revision ID: 0002_escalation
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from engine.store.tables import UTCDateTime

revision = "0002_escalation"
down_revision = "0001"
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "sweeps",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("as_of", UTCDateTime(), nullable=False),
        sa.Column("plan_id", sa.String(80), nullable=True),
        sa.Column("escalations", sa.Integer(), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
    )
    op.create_index("ix_sweeps_plan_as_of", "sweeps", ["plan_id", "as_of"])
    op.create_table(
        "escalations",
        sa.Column("instance_id", sa.String(255), primary_key=True),
        sa.Column("level", sa.String(80), primary_key=True),
        sa.Column("plan_id", sa.String(80), nullable=False),
        sa.Column("sweep_id", _ID, sa.ForeignKey("sweeps.id"), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("notified", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_escalations_sweep", "escalations", ["sweep_id", "instance_id"])
    op.create_table(
        "outbox",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("sweep_id", _ID, sa.ForeignKey("sweeps.id"), nullable=False),
        sa.Column("message_id", sa.String(255), nullable=False),
        sa.Column("recipient", sa.String(80), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("to_addrs", sa.JSON(), nullable=False),
        sa.Column("cc_addrs", sa.JSON(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("queued_at", UTCDateTime(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("claim_token", sa.String(32), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ux_outbox_message_id", "outbox", ["message_id"], unique=True)
    op.create_index("ix_outbox_status", "outbox", ["status", "next_attempt_at"])
    op.create_index("ix_outbox_sweep", "outbox", ["sweep_id"])
    open_ = sa.text("completed_at IS NULL AND waived_at IS NULL")
    op.create_index("ix_instances_open_due", "instances", ["plan_id", "due_date"],
                    sqlite_where=open_, postgresql_where=open_)


def downgrade() -> None:
    op.drop_index("ix_instances_open_due", table_name="instances")
    for name in ("outbox", "escalations", "sweeps"):
        op.drop_table(name)
