"""external tasks, integration topics, and the handlers each running process loaded

Revision ID: 7e1a2b3c4d5f
Revises: 5e6f7a8b9c0d
Create Date: 2026-12-02 05:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '7e1a2b3c4d5f'
down_revision = '5e6f7a8b9c0d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "external_tasks",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("instance_id", sa.Integer(), sa.ForeignKey("process_instances.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("task_id", sa.String(36), nullable=False),
        sa.Column("bpmn_id", sa.String(200), nullable=False),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("worker_id", sa.String(200), nullable=True),
        sa.Column("lock_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retries", sa.Integer(), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("error_details", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_external_tasks_instance_id", "external_tasks", ["instance_id"])
    op.create_index("ix_external_tasks_topic_due", "external_tasks", ["topic", "due_at"])
    op.create_table(
        "integration_topics",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.UniqueConstraint("user_id", "topic"),
    )
    op.create_index("ix_integration_topics_user_id", "integration_topics", ["user_id"])
    op.create_table(
        "handler_processes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("process", sa.String(200), nullable=False, unique=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("handlers", sa.JSON(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade():
    op.drop_table("handler_processes")
    op.drop_index("ix_integration_topics_user_id", "integration_topics")
    op.drop_table("integration_topics")
    op.drop_index("ix_external_tasks_topic_due", "external_tasks")
    op.drop_index("ix_external_tasks_instance_id", "external_tasks")
    op.drop_table("external_tasks")
