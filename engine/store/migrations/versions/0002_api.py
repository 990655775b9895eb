"""Webhook API: plan directories, tokens, agency policies, idempotency, signatures, security log.

Revision ID: 0002_api
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from engine.store.tables import UTCDateTime

revision = "0002_api"
down_revision = "0001"
TABLES = ("api_security_events", "api_signatures", "api_idempotency", "api_agency_policies",
          "api_tokens", "plan_directories")


def upgrade() -> None:
    op.create_table(
        "plan_directories",
        sa.Column("plan_id", sa.String(80), sa.ForeignKey("plans.id"), primary_key=True),
        sa.Column("directory_id", sa.String(80), nullable=False),
    )
    op.create_index("ix_plan_directories_directory", "plan_directories", ["directory_id"])
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("directory_id", sa.String(80), nullable=True),
        sa.Column("agency_id", sa.String(80), nullable=True),
        sa.Column("signing_secret", sa.String(80), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
    )
    op.create_index("ux_api_tokens_secret_hash", "api_tokens", ["secret_hash"], unique=True)
    op.create_table(
        "api_agency_policies",
        sa.Column("directory_id", sa.String(80), primary_key=True),
        sa.Column("agency_id", sa.String(80), primary_key=True),
        sa.Column("require_signature", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "api_idempotency",
        sa.Column("token_id", sa.String(32), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "api_signatures",
        sa.Column("token_id", sa.String(32), primary_key=True),
        sa.Column("signature", sa.String(64), primary_key=True),
        sa.Column("seen_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "api_security_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True,
                  autoincrement=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(60), nullable=False),
        sa.Column("token_id", sa.String(32), nullable=True),
        sa.Column("directory_id", sa.String(80), nullable=True),
        sa.Column("agency_id", sa.String(80), nullable=True),
        sa.Column("source_address", sa.String(64), nullable=True),
        sa.Column("method", sa.String(10), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
    )
    op.create_index("ix_api_security_events_at", "api_security_events", ["at"])


def downgrade() -> None:
    for table in TABLES:
        op.drop_table(table)
