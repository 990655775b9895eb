"""Web pages: evidence files uploaded with a completion.

Revision ID: 0003_web
Revises: 0002_api
"""

import sqlalchemy as sa
from alembic import op

from engine.store.tables import UTCDateTime

revision = "0003_web"
down_revision = "0002_api"


def upgrade() -> None:
    op.create_table(
        "evidence_files",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("instance_id", sa.String(255), nullable=False),
        sa.Column("plan_id", sa.String(80), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
    )
    op.create_index("ix_evidence_files_instance", "evidence_files", ["instance_id"])


def downgrade() -> None:
    op.drop_index("ix_evidence_files_instance", "evidence_files")
    op.drop_table("evidence_files")
