"""inbound mail: every mail `mail-in` took, matched to its complaint or not

Revision ID: 4d8e2f6a1b39
Revises: c0d1e2f3a4b5
Create Date: 2026-12-02 12:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '4d8e2f6a1b39'
down_revision = 'c0d1e2f3a4b5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "inbound_mails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("complaint_id", sa.Integer(), nullable=True),
        sa.Column("matched_by", sa.String(length=20), nullable=True),
        sa.Column("message_id", sa.String(length=250), nullable=True),
        sa.Column("envelope_from", sa.String(length=320), nullable=True),
        sa.Column("envelope_to", sa.Text(), nullable=True),
        sa.Column("from_addr", sa.String(length=320), nullable=True),
        sa.Column("from_name", sa.String(length=200), nullable=True),
        sa.Column("subject", sa.String(length=400), nullable=True),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=True),
        sa.Column("reply_text", sa.Text(), nullable=True),
        sa.Column("attachment_ids", sa.JSON(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=True),
        sa.Column("raw_truncated", sa.Boolean(), nullable=False),
        sa.Column("case_message_id", sa.Integer(), nullable=True),
        sa.Column("decided_by", sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(["case_message_id"], ["case_messages.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["complaint_id"], ["complaints.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_inbound_mails_complaint_id"), "inbound_mails", ["complaint_id"], unique=False)
    op.create_index(op.f("ix_inbound_mails_message_id"), "inbound_mails", ["message_id"], unique=False)
    op.create_index(op.f("ix_inbound_mails_status"), "inbound_mails", ["status"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_inbound_mails_status"), table_name="inbound_mails")
    op.drop_index(op.f("ix_inbound_mails_message_id"), table_name="inbound_mails")
    op.drop_index(op.f("ix_inbound_mails_complaint_id"), table_name="inbound_mails")
    op.drop_table("inbound_mails")
