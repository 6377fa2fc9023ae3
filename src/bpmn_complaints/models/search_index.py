"""The full-text index over complaints (reference aside: name, email, product and
description): FTS5 on SQLite, kept in step by triggers, and a GIN expression index on
PostgreSQL. Both are created with the complaints table (and by their migration); neither
is in the models' metadata, so :mod:`bpmn_complaints.db.revisions` leaves them out of the
schema comparison."""

from sqlalchemy import Connection, event

from .complaint import Complaint

COLUMNS = ("name", "email", "product", "description")
NAMES = ("complaints_fts", "ix_complaints_search")  # and FTS5's complaints_fts_* shadow tables
PG_TEXT = " || ' ' || ".join(f"coalesce({c}, '')" for c in COLUMNS)
# Punctuation splits words, as FTS5's tokenizer does: an email address is its parts.
PG_VECTOR = f"to_tsvector('simple', regexp_replace({PG_TEXT}, '[^[:alnum:]]+', ' ', 'g'))"

_cols = ", ".join(COLUMNS)
_new = ", ".join(f"new.{c}" for c in COLUMNS)
_old = ", ".join(f"old.{c}" for c in COLUMNS)
_SQLITE = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS complaints_fts USING fts5({_cols}, content='complaints', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    f"CREATE TRIGGER IF NOT EXISTS complaints_fts_ai AFTER INSERT ON complaints BEGIN "
    f"INSERT INTO complaints_fts(rowid, {_cols}) VALUES (new.id, {_new}); END",
    f"CREATE TRIGGER IF NOT EXISTS complaints_fts_ad AFTER DELETE ON complaints BEGIN "
    f"INSERT INTO complaints_fts(complaints_fts, rowid, {_cols}) VALUES ('delete', old.id, {_old}); END",
    f"CREATE TRIGGER IF NOT EXISTS complaints_fts_au AFTER UPDATE ON complaints BEGIN "
    f"INSERT INTO complaints_fts(complaints_fts, rowid, {_cols}) VALUES ('delete', old.id, {_old}); "
    f"INSERT INTO complaints_fts(rowid, {_cols}) VALUES (new.id, {_new}); END",
)
_POSTGRES = (f"CREATE INDEX IF NOT EXISTS ix_complaints_search ON complaints USING gin ({PG_VECTOR})",)


def create(connection: Connection) -> None:
    """Create the index (and fill it from the rows already there)."""
    postgres = connection.dialect.name == "postgresql"
    for statement in _POSTGRES if postgres else _SQLITE:
        connection.exec_driver_sql(statement)
    if not postgres:
        connection.exec_driver_sql("INSERT INTO complaints_fts(complaints_fts) VALUES ('rebuild')")


def drop(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("DROP INDEX IF EXISTS ix_complaints_search")
        return
    for trigger in ("ai", "ad", "au"):
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS complaints_fts_{trigger}")
    connection.exec_driver_sql("DROP TABLE IF EXISTS complaints_fts")


def forget_erased(connection: Connection) -> None:
    """Merge the index's segments, so text erased from complaints leaves no token behind."""
    if connection.dialect.name != "postgresql":
        connection.exec_driver_sql("INSERT INTO complaints_fts(complaints_fts) VALUES ('optimize')")


@event.listens_for(Complaint.__table__, "after_create")
def _after_create(_table: object, connection: Connection, **_kw: object) -> None:
    create(connection)


@event.listens_for(Complaint.__table__, "before_drop")
def _before_drop(_table: object, connection: Connection, **_kw: object) -> None:
    drop(connection)
