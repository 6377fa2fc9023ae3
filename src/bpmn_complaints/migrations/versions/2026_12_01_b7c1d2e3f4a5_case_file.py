"""case file: the complainant's messages with their text, and the labels of task answers

Revision ID: b7c1d2e3f4a5
Revises: 9d3e4b1a7c20
Create Date: 2026-12-01 21:20:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b7c1d2e3f4a5'
down_revision = '9d3e4b1a7c20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "case_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("sender", sa.String(length=80), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["complaint_id"], ["complaints.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_case_messages_complaint_id"), "case_messages", ["complaint_id"], unique=False)
    # Not batch mode: on SQLite that copies the table and loses its expression indexes.
    op.add_column("human_tasks", sa.Column("answer_labels", sa.JSON(), nullable=True))


def downgrade():
    op.execute("ALTER TABLE human_tasks DROP COLUMN answer_labels")
    op.drop_index(op.f("ix_case_messages_complaint_id"), table_name="case_messages")
    op.drop_table("case_messages")
