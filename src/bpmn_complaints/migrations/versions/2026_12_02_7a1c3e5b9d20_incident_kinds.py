"""incident kinds: a person's change that failed and was rolled back (completion, message) beside engine incidents

Revision ID: 7a1c3e5b9d20
Revises: 8b2d0f4c6e31
Create Date: 2026-12-02 05:20:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '7a1c3e5b9d20'
down_revision = '8b2d0f4c6e31'
branch_labels = None
depends_on = None


def upgrade():
    # add_column, never a batch copy: incidents has no expression index, but SQLite adds
    # nullable or defaulted columns in place.
    op.add_column("incidents", sa.Column("kind", sa.String(length=20), server_default="engine", nullable=False))
    op.add_column("incidents", sa.Column("actor", sa.String(length=80), nullable=True))
    op.add_column("incidents", sa.Column("payload", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("payload")
        batch.drop_column("actor")
        batch.drop_column("kind")
