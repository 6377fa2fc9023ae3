"""open group complaint: an index of each group's open tasks, held or not, by complaint,
so the count of the complaints a staff member may see (services.visible_count) reads each
of their groups as one index range instead of walking every complaint.

Revision ID: d9e4f2b6a8c1
Revises: c5d8e3a1f7b2
Create Date: 2026-12-03 19:15:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd9e4f2b6a8c1'
down_revision = 'c5d8e3a1f7b2'
branch_labels = None
depends_on = None

OPEN = "state = 'ready'"


def upgrade():
    op.create_index('ix_human_tasks_open_group_complaint', 'human_tasks', ['candidate_group', 'complaint_id'],
                    sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))


def downgrade():
    op.drop_index('ix_human_tasks_open_group_complaint', table_name='human_tasks')
