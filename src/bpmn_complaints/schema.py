"""The versioned schema: bring a database to the newest migration, and compare it with
the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import stamp, upgrade
from sqlalchemy import inspect

from .extensions import db

# The first revision: the schema db.create_all() made before the project had migrations.
BASELINE = "48ff183160dc"
VERSION_TABLE = "alembic_version"


def current_revision() -> str | None:
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def differences() -> list:
    """What autogenerate would put in a new revision: an empty list when the database has
    exactly the schema that the models describe."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
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
