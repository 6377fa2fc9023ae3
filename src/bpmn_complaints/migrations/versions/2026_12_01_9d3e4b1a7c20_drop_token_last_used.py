"""drop api_tokens.last_used_at

The column was never written: a token's use is not recorded, and writing it on every
request would cost a write per API call.

Revision ID: 9d3e4b1a7c20
Revises: 5c1f0e7a9b2d
Create Date: 2026-12-01 21:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '9d3e4b1a7c20'
down_revision = '5c1f0e7a9b2d'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("last_used_at")


def downgrade():
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True))
