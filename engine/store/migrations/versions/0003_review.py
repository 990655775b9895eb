"""Completion review and deadline extensions: review state and original due on instances,
an extension's date on events, extension requests, and the outcomes to tell agencies.

Revision ID: 0003_review
Revises: 0002_api, 0002_escalation
"""

import sqlalchemy as sa
from alembic import op

from engine.store.tables import UTCDateTime

revision = "0003_review"
down_revision = ("0002_api", "0002_escalation")
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("instances") as batch:
        batch.add_column(sa.Column("review", sa.String(12), nullable=True))
        batch.add_column(sa.Column("original_due_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("original_due_at", UTCDateTime(), nullable=True))
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("due_on", sa.Date(), nullable=True))
    op.create_table(
        "extension_requests",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("plan_id", sa.String(80), nullable=False),
        sa.Column("instance_id", sa.String(255), nullable=False),
        sa.Column("agency_id", sa.String(80), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("requested_by", sa.String(120), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("previous_due", sa.Date(), nullable=False),
        sa.Column("requested_due", sa.Date(), nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("decided_by", sa.String(120), nullable=True),
        sa.Column("granted_due", sa.Date(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("told_on", sa.Date(), nullable=True),
        sa.Column("reminded_on", sa.Date(), nullable=True),
    )
    op.create_index("ix_extension_requests_plan_state", "extension_requests",
                    ["plan_id", "state"])
    op.create_index("ix_extension_requests_instance", "extension_requests",
                    ["instance_id", "id"])
    op.create_table(
        "review_notices",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("plan_id", sa.String(80), nullable=False),
        sa.Column("agency_id", sa.String(80), nullable=False),
        sa.Column("instance_id", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("previous_due", sa.Date(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("sweep_id", _ID, nullable=True),
    )
    op.create_index("ix_review_notices_pending", "review_notices", ["plan_id", "sweep_id"])


def downgrade() -> None:
    op.drop_table("review_notices")
    op.drop_table("extension_requests")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("due_on")
    with op.batch_alter_table("instances") as batch:
        for column in ("original_due_at", "original_due_date", "review"):
            batch.drop_column(column)
