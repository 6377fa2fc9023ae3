"""Alembic's environment, run by Flask-Migrate's `db` commands and by `init-db`.

It migrates the database the app is configured with, and compares it with the models'
metadata for `db migrate` (autogenerate).
"""

import logging

from alembic import context
from flask import current_app

from bpmn_complaints import models  # noqa: F401  (every table in the metadata)
from bpmn_complaints.db.revisions import include_object
from bpmn_complaints.models.types import UTCDateTime

# A command line has no logging set up, so show Alembic's progress ("Running upgrade
# a -> b") on stderr. basicConfig leaves a host that set up logging alone; the usual
# fileConfig would replace the root logger's handlers.
logging.basicConfig(format="%(levelname)-5.5s [%(name)s] %(message)s")
logging.getLogger("alembic").setLevel(logging.INFO)
log = logging.getLogger("alembic.env")

config = context.config
target_db = current_app.extensions["migrate"].db


def render_item(type_, obj, autogen_context):
    """Write UTCDateTime as the column type it stores, so that a revision never imports
    application code, which may change or move after the revision is written."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def skip_empty_revision(context, revision, directives):
    """`db migrate` with no model change writes no empty revision."""
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        log.info("No changes in schema detected.")


def run_migrations_offline():
    """`db upgrade --sql`: print the SQL for a DBA instead of running it."""
    url = target_db.engine.url.render_as_string(hide_password=False)
    context.configure(url=url, target_metadata=target_db.metadata, literal_binds=True, render_item=render_item)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", skip_empty_revision)
    conf_args.setdefault("include_object", include_object)
    with target_db.engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_db.metadata, render_item=render_item,
                          **conf_args)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
