"""Schema migrations through the CLI: `db upgrade`, `init-db`, and a database made by
`db.create_all()` before migrations existed (the baseline revision without a version
table). Tests that need an empty database drop the `app` fixture's tables first."""

import logging

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from bpmn_complaints.db.revisions import BASELINE, current_revision, differences
from bpmn_complaints.extensions import db
from bpmn_complaints.models import search_index

HOW_TO_FIX = ('the models and the migrations differ. Run `flask --app bpmn_complaints db migrate -m "what changed"`, '
              "read and fix the new file in src/bpmn_complaints/migrations/versions/, and commit it. Differences: ")


@pytest.fixture
def empty_app(app):
    with app.app_context():
        db.drop_all()
        assert inspect(db.engine).get_table_names() == []
    return app


@pytest.fixture
def pre_migration_app(empty_app, runner):
    """A database as ``db.create_all()`` made it before the project had migrations: the
    baseline schema with no version table (today's create_all has later indexes)."""
    assert runner.invoke(args=["db", "upgrade", BASELINE]).exit_code == 0
    with empty_app.app_context(), db.engine.begin() as connection:
        connection.execute(text("DROP TABLE alembic_version"))
    return empty_app


def head(app) -> str:
    return ScriptDirectory(app.extensions["migrate"].directory).get_current_head()


def upgrades_run(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("Running upgrade")]


def test_upgrade_on_an_empty_database_gives_the_models_schema(empty_app, runner):
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with empty_app.app_context():
        assert current_revision() == head(empty_app)
        problems = differences()
        assert problems == [], HOW_TO_FIX + "\n".join(map(str, problems))
        tables = {t for t in inspect(db.engine).get_table_names() if not t.startswith(search_index.NAMES)}
        assert tables == set(db.metadata.tables) | {"alembic_version"}
        # The comparison skips indexes on expressions; their names at least must all be there.
        catalogue = ("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = :t"
                     if db.engine.dialect.name == "sqlite" else "SELECT indexname FROM pg_indexes WHERE tablename = :t")
        for name, table in db.metadata.tables.items():
            made = set(db.session.execute(text(catalogue), {"t": name}).scalars())
            assert {index.name for index in table.indexes} <= made, name


def test_the_comparison_sees_a_schema_that_drifted(empty_app, runner):
    """The check above would pass on any schema if the comparison saw nothing."""
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    with empty_app.app_context():
        with db.engine.begin() as connection:
            connection.execute(text("DROP INDEX ix_jobs_due"))
            connection.execute(text("ALTER TABLE complaints ADD COLUMN legacy_note VARCHAR(10)"))
        found = {(d[0], getattr(d[1], "name", None)) for d in differences()}
        assert ("add_index", "ix_jobs_due") in found
        assert any(kind == "remove_column" for kind, _ in found)


def test_downgrade_to_base_and_back(empty_app, runner):
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    result = runner.invoke(args=["db", "downgrade", "base"])
    assert result.exit_code == 0, result.output
    with empty_app.app_context():
        assert inspect(db.engine).get_table_names() == ["alembic_version"]
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    with empty_app.app_context():
        assert differences() == []


def test_init_db_twice_then_upgrade_is_a_no_op(empty_app, runner, caplog):
    caplog.set_level(logging.INFO, logger="alembic")
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert f"database ready at revision {head(empty_app)}" in result.output
    assert len(upgrades_run(caplog)) >= 1

    caplog.clear()
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "stamped" not in result.output
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert upgrades_run(caplog) == []
    with empty_app.app_context():
        assert current_revision() == head(empty_app)
        assert differences() == []


def test_init_db_stamps_a_database_made_before_migrations(pre_migration_app, runner):
    app = pre_migration_app
    with app.app_context(), db.engine.begin() as connection:
        # Data in the old schema (written in SQL: today's models have columns it lacks).
        connection.execute(text("INSERT INTO users (name, display_name, roles, skills, active, created_at) "
                                "VALUES ('alice', '', '[\"staff\"]', '[]', true, '2026-11-01 00:00:00')"))
    with app.app_context():
        assert "alembic_version" not in inspect(db.engine).get_table_names()

    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert f"stamped at {BASELINE}" in result.output
    with app.app_context():
        assert current_revision() == head(app)
        assert differences() == []
        assert db.session.execute(text("SELECT name FROM users")).scalars().all() == ["alice"]
    assert "stamped" not in runner.invoke(args=["init-db"]).output


def test_init_db_refuses_a_database_older_than_the_first_migration(pre_migration_app, runner):
    app = pre_migration_app
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(text("ALTER TABLE complaints DROP COLUMN closure_reason"))

    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 1
    assert "differs from the models" in result.output
    assert "closure_reason" in result.output
