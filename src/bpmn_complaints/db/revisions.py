"""The versioned schema: bring a database to the newest migration, and compare it with
the models."""

import warnings

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import stamp, upgrade
from sqlalchemy import Column, inspect

from ..extensions import db
from ..models import search_index

# The first revision: the schema db.create_all() made before the project had migrations.
BASELINE = "48ff183160dc"
VERSION_TABLE = "alembic_version"


def current_revision() -> str | None:
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def _expression_indexes() -> set[str | None]:
    return {index.name for table in db.metadata.tables.values() for index in table.indexes
            if any(not isinstance(part, Column) for part in index.expressions)}


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Leave indexes on expressions (the inbox's ``due_at IS NULL`` orderings) out of the
    comparison: SQLite cannot reflect them and PostgreSQL reflects them as text, so
    autogenerate cannot compare them. Their revisions are written by hand."""
    if name and name.startswith(search_index.NAMES):
        return False  # the full-text index: not in the metadata (see models.search_index)
    return not (type_ == "index" and name in _expression_indexes())


def differences() -> list:
    """What autogenerate would put in a new revision: an empty list when the database has
    exactly the schema that the models describe."""
    with db.engine.connect() as connection, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*expression-based index")
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": include_object})
        return compare_metadata(context, db.metadata)


def upgrade_to_head() -> bool:
    """Create or upgrade the tables through the migrations, so the database is versioned.

    A database made by ``db.create_all()`` before migrations existed has our tables and
    no version table: it is stamped at :data:`BASELINE` first, then upgraded.

    :returns: whether the database was such an unversioned one.
    """
    tables = set(inspect(db.engine).get_table_names())
    unversioned = VERSION_TABLE not in tables and bool(tables & set(db.metadata.tables))
    if unversioned:
        stamp(revision=BASELINE)
    upgrade()
    return unversioned
