"""The full-text index over complaints: the complainant's name, email, product and
description, and every suffix of the reference (``reference_suffixes``), so that a word
start finds a word and a reference's part, anywhere in it, is the start of one of its
suffixes. FTS5 on SQLite, kept in step by triggers; on PostgreSQL a stored generated
``tsvector`` column (the suffixes weighted ``A``) with a GIN index. Both are created with
the complaints table (and by their migrations); neither is in the models' metadata, so
:mod:`bpmn_complaints.db.revisions` leaves them out of the schema comparison."""

import re

from sqlalchemy import Connection, event

from .complaint import Complaint

TEXT_COLUMNS = ("name", "email", "product", "description")
COLUMNS = (*TEXT_COLUMNS, "reference_suffixes")
NAMES = ("complaints_fts", "ix_complaints_search", "search_vector")  # and FTS5's complaints_fts_* tables
PG_TEXT = " || ' ' || ".join(f"coalesce({c}, '')" for c in TEXT_COLUMNS)
# Punctuation splits words, as FTS5's tokenizer does: an email address is its parts.
PG_VECTOR = (f"setweight(to_tsvector('simple', coalesce(reference_suffixes, '')), 'A') || "
             f"to_tsvector('simple', regexp_replace({PG_TEXT}, '[^[:alnum:]]+', ' ', 'g'))")
PG_COLUMN = "complaints.search_vector"


def compact(reference: str) -> str:
    """A reference (or part of one) as the index holds it: lower case, letters and digits."""
    return re.sub(r"[^0-9a-z]", "", reference.lower())


def reference_suffixes(reference: str) -> str:
    """Every suffix of the compact reference: ``c20267k3qxw 20267k3qxw ... xw w``."""
    letters = compact(reference)
    return " ".join(letters[i:] for i in range(len(letters)))


@event.listens_for(Complaint, "before_insert")
def _suffixes(_mapper: object, _connection: Connection, complaint: Complaint) -> None:
    complaint.reference_suffixes = reference_suffixes(complaint.reference)


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
_POSTGRES = (
    f"ALTER TABLE complaints ADD COLUMN IF NOT EXISTS search_vector tsvector GENERATED ALWAYS AS ({PG_VECTOR}) STORED",
    "CREATE INDEX IF NOT EXISTS ix_complaints_search ON complaints USING gin (search_vector)",
)


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
        connection.exec_driver_sql("ALTER TABLE complaints DROP COLUMN IF EXISTS search_vector")
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
