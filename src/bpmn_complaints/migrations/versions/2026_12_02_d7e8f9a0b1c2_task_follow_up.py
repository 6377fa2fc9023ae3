"""task follow-up dates: Camunda's followUpDate on the human-task projection

Revision ID: d7e8f9a0b1c2
Revises: e7a1c4b2d9f0
Create Date: 2026-12-02 06:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd7e8f9a0b1c2'
down_revision = 'e7a1c4b2d9f0'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN (no batch copy: on SQLite that would drop human_tasks' expression indexes).
    op.add_column("human_tasks", sa.Column("follow_up_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    op.drop_column("human_tasks", "follow_up_at")
