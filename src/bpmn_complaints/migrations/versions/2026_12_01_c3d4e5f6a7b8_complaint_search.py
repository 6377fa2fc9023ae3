"""full-text search over complaints: FTS5 on SQLite, a GIN expression index on PostgreSQL

The statements are copied from models/search_index.py as it was at this revision (a
revision never imports application code, which may change after it is written).

Revision ID: c3d4e5f6a7b8
Revises: b7c1d2e3f4a5
Create Date: 2026-12-01 21:40:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c3d4e5f6a7b8'
down_revision = 'b7c1d2e3f4a5'
branch_labels = None
depends_on = None

COLUMNS = "name, email, product, description"
NEW = "new.name, new.email, new.product, new.description"
OLD = "old.name, old.email, old.product, old.description"
PG_TEXT = ("coalesce(name, '') || ' ' || coalesce(email, '') || ' ' || coalesce(product, '') || ' ' "
           "|| coalesce(description, '')")
SQLITE = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS complaints_fts USING fts5({COLUMNS}, content='complaints', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER IF NOT EXISTS complaints_fts_ai AFTER INSERT ON complaints BEGIN "
    f"INSERT INTO complaints_fts(rowid, {COLUMNS}) VALUES (new.id, {NEW}); END",
    "CREATE TRIGGER IF NOT EXISTS complaints_fts_ad AFTER DELETE ON complaints BEGIN "
    f"INSERT INTO complaints_fts(complaints_fts, rowid, {COLUMNS}) VALUES ('delete', old.id, {OLD}); END",
    "CREATE TRIGGER IF NOT EXISTS complaints_fts_au AFTER UPDATE ON complaints BEGIN "
    f"INSERT INTO complaints_fts(complaints_fts, rowid, {COLUMNS}) VALUES ('delete', old.id, {OLD}); "
    f"INSERT INTO complaints_fts(rowid, {COLUMNS}) VALUES (new.id, {NEW}); END",
    "INSERT INTO complaints_fts(complaints_fts) VALUES ('rebuild')",
)
POSTGRES = ("CREATE INDEX IF NOT EXISTS ix_complaints_search ON complaints USING gin "
            f"(to_tsvector('simple', regexp_replace({PG_TEXT}, '[^[:alnum:]]+', ' ', 'g')))",)


def upgrade():
    for statement in POSTGRES if op.get_bind().dialect.name == "postgresql" else SQLITE:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_complaints_search")
        return
    for trigger in ("ai", "ad", "au"):
        op.execute(f"DROP TRIGGER IF EXISTS complaints_fts_{trigger}")
    op.execute("DROP TABLE IF EXISTS complaints_fts")
