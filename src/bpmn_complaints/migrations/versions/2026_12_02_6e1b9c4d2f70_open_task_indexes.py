"""open-task indexes: the inbox reads partial indexes of open tasks only

Each inbox ordering gets an index for every open task, for one person's, for one lane's
and for one group's unclaimed tasks, all ``WHERE state = 'ready'`` (a completed task leaves
them). The due date is indexed as ``due_key``, a generated column
``coalesce(due_at, 9999-12-31)``, so a keyset cursor is a plain row comparison and
PostgreSQL counts overdue tasks from the index alone. Plus the history lookups: who held and who completed a task (for
``visible_to``), completions by date and what each person holds (the workload page),
covering counts of a group's unclaimed tasks, and who entered a complaint (the group
inbox's independence check). Written by hand: the due
column is computed. On SQLite nothing is batch-copied.

Revision ID: 6e1b9c4d2f70
Revises: 7a1c3e5b9d20
Create Date: 2026-12-02 05:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '6e1b9c4d2f70'
down_revision = '7a1c3e5b9d20'
branch_labels = None
depends_on = None

OPEN = "state = 'ready'"
UNCLAIMED = "state = 'ready' AND assignee IS NULL"
# The full (state, ...) indexes go too: without statistics SQLite's planner takes an
# equality on ``state`` over an index that gives the page's order.
OLD = ("ix_human_tasks_state_assignee", "ix_human_tasks_inbox_due", "ix_human_tasks_inbox_priority",
       "ix_human_tasks_inbox_created", "ix_human_tasks_state_group", "ix_human_tasks_state_due")


def _add_due_key():
    # The literal as each database stores the column (models.task.NoDue). On SQLite the
    # column is VIRTUAL, which ALTER TABLE can add without copying the table.
    far = "9999-12-31 00:00:00.000000" if op.get_bind().dialect.name == "sqlite" else "9999-12-31 00:00:00+00"
    op.add_column("human_tasks", sa.Column("due_key", sa.DateTime(timezone=True),
                                           sa.Computed(sa.text(f"coalesce(due_at, '{far}')")), nullable=True))


def _where(sql):
    return {"sqlite_where": sa.text(sql), "postgresql_where": sa.text(sql)}


def upgrade():
    for name in OLD:
        op.drop_index(name, table_name="human_tasks")
    _add_due_key()
    due = "due_key"
    orderings = {"due": [due, "priority_rank", "id"], "priority": ["priority_rank", due, "id"],
                 "created": ["created_at", "id"]}
    for sort, keys in orderings.items():
        for scope, lead, where in (("open", [], OPEN), ("mine", ["assignee"], OPEN),
                                   ("lane", ["candidate_group"], OPEN), ("unclaimed", ["candidate_group"], UNCLAIMED)):
            op.create_index(f"ix_human_tasks_{scope}_{sort}", "human_tasks", [*lead, *keys], **_where(where))
    op.create_index("ix_human_tasks_unclaimed_count", "human_tasks",
                    ["candidate_group", "excludes_workers", "exclude_entered_by", "complaint_id", "id"],
                    **_where(UNCLAIMED))
    op.create_index("ix_human_tasks_held", "human_tasks", ["assignee", "due_key", "claimed_at", "created_at"],
                    **_where(OPEN))
    op.create_index("ix_human_tasks_assignee_complaint", "human_tasks", ["assignee", "complaint_id"])
    op.create_index("ix_human_tasks_completed_by", "human_tasks", ["completed_by", "complaint_id"])
    op.create_index("ix_human_tasks_completed_at", "human_tasks", ["completed_at", "completed_by"],
                    **_where("state = 'completed'"))
    # Who entered a complaint: the group inbox's independence check asks it of every page.
    op.create_index("ix_complaints_entered_by", "complaints", ["entered_by"])


def downgrade():
    op.drop_index("ix_complaints_entered_by", table_name="complaints")
    for name in ("ix_human_tasks_completed_at", "ix_human_tasks_completed_by", "ix_human_tasks_assignee_complaint",
                 "ix_human_tasks_held", "ix_human_tasks_unclaimed_count"):
        op.drop_index(name, table_name="human_tasks")
    for sort in ("due", "priority", "created"):
        for scope in ("open", "mine", "lane", "unclaimed"):
            op.drop_index(f"ix_human_tasks_{scope}_{sort}", table_name="human_tasks")
    op.drop_column("human_tasks", "due_key")
    due_order = [sa.text("(due_at IS NULL)"), "due_at", "priority_rank", "id"]
    op.create_index("ix_human_tasks_state_assignee", "human_tasks", ["state", "assignee", *due_order])
    op.create_index("ix_human_tasks_inbox_due", "human_tasks", ["state", *due_order])
    op.create_index("ix_human_tasks_inbox_priority", "human_tasks",
                    ["state", "priority_rank", sa.text("(due_at IS NULL)"), "due_at", "id"])
    op.create_index("ix_human_tasks_inbox_created", "human_tasks", ["state", "created_at", "id"])
    op.create_index("ix_human_tasks_state_group", "human_tasks", ["state", "candidate_group"])
    op.create_index("ix_human_tasks_state_due", "human_tasks", ["state", "due_at"])
