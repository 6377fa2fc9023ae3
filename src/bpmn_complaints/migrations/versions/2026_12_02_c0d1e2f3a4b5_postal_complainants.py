"""complainants reached by post: a postal address, and the email address becomes optional

On SQLite the column change copies the complaints table, which drops its full-text
triggers; they are made again here (the statements as models/search_index.py has them at
this revision). The FTS5 table itself keeps its rows: the ids do not change.

Revision ID: c0d1e2f3a4b5
Revises: b9c0d1e2f3a4
Create Date: 2026-12-02 14:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c0d1e2f3a4b5'
down_revision = 'b9c0d1e2f3a4'
branch_labels = None
depends_on = None

COLUMNS = "name, email, product, description, reference_suffixes"
NEW = ", ".join(f"new.{c.strip()}" for c in COLUMNS.split(","))
OLD = ", ".join(f"old.{c.strip()}" for c in COLUMNS.split(","))
TRIGGERS = (
    "CREATE TRIGGER IF NOT EXISTS complaints_fts_ai AFTER INSERT ON complaints BEGIN "
    f"INSERT INTO complaints_fts(rowid, {COLUMNS}) VALUES (new.id, {NEW}); END",
    "CREATE TRIGGER IF NOT EXISTS complaints_fts_ad AFTER DELETE ON complaints BEGIN "
    f"INSERT INTO complaints_fts(complaints_fts, rowid, {COLUMNS}) VALUES ('delete', old.id, {OLD}); END",
    "CREATE TRIGGER IF NOT EXISTS complaints_fts_au AFTER UPDATE ON complaints BEGIN "
    f"INSERT INTO complaints_fts(complaints_fts, rowid, {COLUMNS}) VALUES ('delete', old.id, {OLD}); "
    f"INSERT INTO complaints_fts(rowid, {COLUMNS}) VALUES (new.id, {NEW}); END",
)


def _email_nullable(nullable: bool) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("complaints", "email", existing_type=sa.String(length=320), nullable=nullable)
        return
    with op.batch_alter_table("complaints", recreate="always") as batch:
        batch.alter_column("email", existing_type=sa.String(length=320), nullable=nullable)
    for statement in TRIGGERS:
        op.execute(statement)


def upgrade():
    op.add_column("complaints", sa.Column("postal_address", sa.Text(), nullable=True))
    _email_nullable(True)


def downgrade():
    op.execute("UPDATE complaints SET email = '' WHERE email IS NULL")
    _email_nullable(False)
    op.execute("ALTER TABLE complaints DROP COLUMN postal_address")
