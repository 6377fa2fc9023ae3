"""search finds a reference by any part through the full-text index, and fast at any size

``complaints.reference_suffixes`` holds every suffix of the compact reference, so a part of
a reference is the start of one of them. The full-text index takes it as a fifth column
(SQLite FTS5), and on PostgreSQL becomes a stored generated ``search_vector`` column (the
suffixes weighted A) with a GIN index, which a search can check row by row cheaply.

The statements are copied from models/search_index.py as it is at this revision.

Revision ID: f2a3b4c5d6e7
Revises: e1f2a3b4c5d6
Create Date: 2026-12-02 11:00:00

"""
import re

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f2a3b4c5d6e7'
down_revision = 'e1f2a3b4c5d6'
branch_labels = None
depends_on = None

OLD_COLUMNS = "name, email, product, description"
COLUMNS = "name, email, product, description, reference_suffixes"
PG_TEXT = ("coalesce(name, '') || ' ' || coalesce(email, '') || ' ' || coalesce(product, '') || ' ' "
           "|| coalesce(description, '')")
PG_VECTOR = ("setweight(to_tsvector('simple', coalesce(reference_suffixes, '')), 'A') || "
             f"to_tsvector('simple', regexp_replace({PG_TEXT}, '[^[:alnum:]]+', ' ', 'g'))")
OLD_PG_INDEX = ("CREATE INDEX IF NOT EXISTS ix_complaints_search ON complaints USING gin "
                f"(to_tsvector('simple', regexp_replace({PG_TEXT}, '[^[:alnum:]]+', ' ', 'g')))")


def _sqlite(columns: str) -> tuple[str, ...]:
    new = ", ".join(f"new.{c.strip()}" for c in columns.split(","))
    old = ", ".join(f"old.{c.strip()}" for c in columns.split(","))
    return (
        f"CREATE VIRTUAL TABLE IF NOT EXISTS complaints_fts USING fts5({columns}, content='complaints', "
        "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
        "CREATE TRIGGER IF NOT EXISTS complaints_fts_ai AFTER INSERT ON complaints BEGIN "
        f"INSERT INTO complaints_fts(rowid, {columns}) VALUES (new.id, {new}); END",
        "CREATE TRIGGER IF NOT EXISTS complaints_fts_ad AFTER DELETE ON complaints BEGIN "
        f"INSERT INTO complaints_fts(complaints_fts, rowid, {columns}) VALUES ('delete', old.id, {old}); END",
        "CREATE TRIGGER IF NOT EXISTS complaints_fts_au AFTER UPDATE ON complaints BEGIN "
        f"INSERT INTO complaints_fts(complaints_fts, rowid, {columns}) VALUES ('delete', old.id, {old}); "
        f"INSERT INTO complaints_fts(rowid, {columns}) VALUES (new.id, {new}); END",
        "INSERT INTO complaints_fts(complaints_fts) VALUES ('rebuild')",
    )


def _drop_sqlite() -> None:
    for trigger in ("ai", "ad", "au"):
        op.execute(f"DROP TRIGGER IF EXISTS complaints_fts_{trigger}")
    op.execute("DROP TABLE IF EXISTS complaints_fts")


def _suffixes(reference: str) -> str:
    letters = re.sub(r"[^0-9a-z]", "", reference.lower())
    return " ".join(letters[i:] for i in range(len(letters)))


def upgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    if not postgres:
        _drop_sqlite()  # its triggers would fire on the backfill below
    op.add_column("complaints", sa.Column("reference_suffixes", sa.Text(), server_default="", nullable=False))
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, reference FROM complaints")).all()
    for start in range(0, len(rows), 1000):
        bind.execute(sa.text("UPDATE complaints SET reference_suffixes = :suffixes WHERE id = :id"),
                     [{"id": r.id, "suffixes": _suffixes(r.reference)} for r in rows[start:start + 1000]])
    if postgres:
        op.execute("DROP INDEX IF EXISTS ix_complaints_search")
        op.execute(f"ALTER TABLE complaints ADD COLUMN IF NOT EXISTS search_vector tsvector "
                   f"GENERATED ALWAYS AS ({PG_VECTOR}) STORED")
        op.execute("CREATE INDEX IF NOT EXISTS ix_complaints_search ON complaints USING gin (search_vector)")
    else:
        for statement in _sqlite(COLUMNS):
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_complaints_search")
        op.execute("ALTER TABLE complaints DROP COLUMN IF EXISTS search_vector")
        op.execute(OLD_PG_INDEX)
        op.execute("ALTER TABLE complaints DROP COLUMN reference_suffixes")
        return
    _drop_sqlite()
    op.execute("ALTER TABLE complaints DROP COLUMN reference_suffixes")
    for statement in _sqlite(OLD_COLUMNS):
        op.execute(statement)
