"""independence rules on human tasks (ISO 10002 4.7)

A task may declare that whoever entered its complaint (``exclude_entered_by``), or
whoever worked certain earlier elements (``human_task_independence``), may not work it.
The elements are rows rather than a JSON list so the inbox can leave such a task out of
an excluded person's group list in plain SQL, on SQLite and PostgreSQL alike;
``excludes_workers`` says a task has such rows, so the inbox looks only for those.

Revision ID: 3b7e5d2c8a41
Revises: a7e5c3d9f104
Create Date: 2026-12-02 09:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '3b7e5d2c8a41'
down_revision = 'a7e5c3d9f104'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN: a batch copy of the table on SQLite would lose the inbox's
    # expression indexes, which it cannot reflect.
    op.add_column("human_tasks",
                  sa.Column("exclude_entered_by", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("human_tasks",
                  sa.Column("excludes_workers", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        "human_task_independence",
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("bpmn_id", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["task_id"], ["human_tasks.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("task_id", "bpmn_id"),
    )


def downgrade():
    op.drop_table("human_task_independence")
    op.drop_column("human_tasks", "excludes_workers")
    op.drop_column("human_tasks", "exclude_entered_by")
