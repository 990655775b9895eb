"""Rollup figures from indexes alone: the (plan, agency) and (plan, task) indexes become
covering indexes of every column a rollup reads (engine.store.tables.FIGURE_COLUMNS), by
agency and by task and period; the burn-up's completions per day come from an index of the
completed instances by day. Also joins the two branches of revision 0003.

Revision ID: 0004_figures
Revises: 0003_review, 0003_web
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_figures"
down_revision = ("0003_review", "0003_web")
# engine.store.tables.FIGURE_COLUMNS as of this revision (spelled out: a migration is frozen).
FIGURE_COLUMNS = ["printed_due", "due_date", "due_at", "completed_at", "waived_at", "due_wd",
                  "completed_wd", "target", "progress"]


def upgrade() -> None:
    op.drop_index("ix_instances_plan_agency", table_name="instances")
    op.drop_index("ix_instances_plan_task", table_name="instances")
    op.create_index("ix_instances_agency_figures", "instances",
                    ["plan_id", "agency_id", *FIGURE_COLUMNS])
    op.create_index("ix_instances_task_figures", "instances",
                    ["plan_id", "task_id", "period", *FIGURE_COLUMNS])
    done = sa.text("completed_on IS NOT NULL")
    op.create_index("ix_instances_plan_done", "instances", ["plan_id", "completed_on"],
                    sqlite_where=done, postgresql_where=done)
    op.execute("ANALYZE instances")  # the planner's statistics of the new indexes


def downgrade() -> None:
    op.drop_index("ix_instances_plan_done", table_name="instances")
    op.drop_index("ix_instances_task_figures", table_name="instances")
    op.drop_index("ix_instances_agency_figures", table_name="instances")
    op.create_index("ix_instances_plan_agency", "instances", ["plan_id", "agency_id"])
    op.create_index("ix_instances_plan_task", "instances", ["plan_id", "task_id"])
