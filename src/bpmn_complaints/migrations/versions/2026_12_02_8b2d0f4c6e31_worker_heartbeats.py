"""workers' heartbeats, and the partial indexes the worker's next wake needs

Revision ID: 8b2d0f4c6e31
Revises: 7a1c9e3b5d20
Create Date: 2026-12-02 05:10:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '8b2d0f4c6e31'
down_revision = '7a1c9e3b5d20'
branch_labels = None
depends_on = None

FREE = "lock_expires_at IS NULL"
HELD = "lock_expires_at IS NOT NULL"
PENDING = "status = 'pending' AND "
PARTIAL = [
    ("ix_jobs_free_due", "jobs", "due_at", FREE),
    ("ix_jobs_lock_expires", "jobs", "lock_expires_at", HELD),
    ("ix_outbox_free_due", "outbox_messages", "next_attempt_at", PENDING + FREE),
    ("ix_outbox_lock_expires", "outbox_messages", "lock_expires_at", PENDING + HELD),
]


def upgrade():
    op.create_table(
        "worker_heartbeats",
        sa.Column("owner", sa.String(length=120), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_wake_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("owner"),
    )
    for name, table, column, where in PARTIAL:
        op.create_index(name, table, [column], sqlite_where=sa.text(where), postgresql_where=sa.text(where))


def downgrade():
    for name, table, _, _ in PARTIAL:
        op.drop_index(name, table_name=table)
    op.drop_table("worker_heartbeats")
