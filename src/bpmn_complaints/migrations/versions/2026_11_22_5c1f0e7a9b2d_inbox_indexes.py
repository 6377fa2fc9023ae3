"""inbox indexes

The inbox reads each page in index order instead of sorting every open task: one index per
ordering of services.tasks.SORTS, each led by the state ("my tasks" uses the assignee
index). Written by hand: the (due_at IS NULL) parts are expressions, which autogenerate
cannot compare (see schema.include_object).

Revision ID: 5c1f0e7a9b2d
Revises: 48ff183160dc
Create Date: 2026-11-22 23:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '5c1f0e7a9b2d'
down_revision = '48ff183160dc'
branch_labels = None
depends_on = None

DUE_ORDER = [sa.text("(due_at IS NULL)"), "due_at", "priority_rank", "id"]


def upgrade():
    op.drop_index("ix_human_tasks_state_assignee", table_name="human_tasks")
    op.create_index("ix_human_tasks_state_assignee", "human_tasks", ["state", "assignee", *DUE_ORDER])
    op.create_index("ix_human_tasks_inbox_due", "human_tasks", ["state", *DUE_ORDER])
    op.create_index("ix_human_tasks_inbox_priority", "human_tasks",
                    ["state", "priority_rank", sa.text("(due_at IS NULL)"), "due_at", "id"])
    op.create_index("ix_human_tasks_inbox_created", "human_tasks", ["state", "created_at", "id"])


def downgrade():
    for name in ("ix_human_tasks_inbox_created", "ix_human_tasks_inbox_priority", "ix_human_tasks_inbox_due",
                 "ix_human_tasks_state_assignee"):
        op.drop_index(name, table_name="human_tasks")
    op.create_index("ix_human_tasks_state_assignee", "human_tasks", ["state", "assignee"])
