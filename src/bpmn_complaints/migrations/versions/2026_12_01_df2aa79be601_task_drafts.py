"""task_drafts: what each person typed into a task's form and has not sent yet

One row per task and person, so a crash of the browser, a comment, a reassignment or an
expired form loses nothing. Deleted with the task's completion and by erasure.

Revision ID: df2aa79be601
Revises: c3d4e5f6a7b8
Create Date: 2026-12-01 20:55:40

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'df2aa79be601'
down_revision = 'c3d4e5f6a7b8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "task_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("user_name", sa.String(length=80), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["task_id"], ["human_tasks.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("task_id", "user_name"),
    )


def downgrade():
    op.drop_table("task_drafts")
