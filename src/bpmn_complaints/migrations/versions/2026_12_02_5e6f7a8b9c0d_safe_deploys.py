"""safe deploys: each version records its base version, an override, its source and its lint warnings

Revision ID: 5e6f7a8b9c0d
Revises: d7e8f9a0b1c2
Create Date: 2026-12-02 05:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '5e6f7a8b9c0d'
down_revision = 'd7e8f9a0b1c2'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("definitions", sa.Column("based_on", sa.Integer(), nullable=True))
    op.add_column("definitions", sa.Column("forced", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("definitions", sa.Column("source", sa.String(length=400), nullable=True))
    op.add_column("definitions", sa.Column("warnings", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("definitions") as batch:
        batch.drop_column("warnings")
        batch.drop_column("source")
        batch.drop_column("forced")
        batch.drop_column("based_on")
