"""a reopened complaint runs a new process instance: one per round, the newest live

``process_instances.complaint_id`` loses its unique constraint and gets a plain index.
Complaints remember the complaint they were closed as a duplicate of.

Revision ID: e1f2a3b4c5d6
Revises: 3b7e5d2c8a41
Create Date: 2026-12-02 10:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e1f2a3b4c5d6'
down_revision = '3b7e5d2c8a41'
branch_labels = None
depends_on = None

# SQLite's unique constraint has no name; batch mode names it by this convention to drop it.
_NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("process_instances", naming_convention=_NAMING, recreate="always") as batch:
            batch.drop_constraint("uq_process_instances_complaint_id", type_="unique")
    else:
        op.drop_constraint("process_instances_complaint_id_key", "process_instances", type_="unique")
    op.create_index("ix_process_instances_complaint_id", "process_instances", ["complaint_id"])
    # A plain ADD COLUMN (a batch copy of complaints would lose its search triggers); SQLite
    # takes the foreign key in the column's own clause.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE complaints ADD COLUMN duplicate_of_id INTEGER "
                   "REFERENCES complaints (id)")
    else:
        op.add_column("complaints", sa.Column("duplicate_of_id", sa.Integer(), nullable=True))
        op.create_foreign_key("fk_complaints_duplicate_of", "complaints", "complaints", ["duplicate_of_id"], ["id"])
    op.create_index("ix_complaints_duplicate_of_id", "complaints", ["duplicate_of_id"])


# The full-text triggers on complaints at this revision (models/search_index.py then): a
# batch copy of the table on SQLite drops them, so the downgrade makes them again.
_COLUMNS = "name, email, product, description"
_NEW = ", ".join(f"new.{c.strip()}" for c in _COLUMNS.split(","))
_OLD = ", ".join(f"old.{c.strip()}" for c in _COLUMNS.split(","))
_TRIGGERS = (
    "CREATE TRIGGER IF NOT EXISTS complaints_fts_ai AFTER INSERT ON complaints BEGIN "
    f"INSERT INTO complaints_fts(rowid, {_COLUMNS}) VALUES (new.id, {_NEW}); END",
    "CREATE TRIGGER IF NOT EXISTS complaints_fts_ad AFTER DELETE ON complaints BEGIN "
    f"INSERT INTO complaints_fts(complaints_fts, rowid, {_COLUMNS}) VALUES ('delete', old.id, {_OLD}); END",
    "CREATE TRIGGER IF NOT EXISTS complaints_fts_au AFTER UPDATE ON complaints BEGIN "
    f"INSERT INTO complaints_fts(complaints_fts, rowid, {_COLUMNS}) VALUES ('delete', old.id, {_OLD}); "
    f"INSERT INTO complaints_fts(rowid, {_COLUMNS}) VALUES (new.id, {_NEW}); END",
)


def downgrade():
    op.drop_index("ix_complaints_duplicate_of_id", "complaints")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("fk_complaints_duplicate_of", "complaints", type_="foreignkey")
        op.execute("ALTER TABLE complaints DROP COLUMN duplicate_of_id")
    else:
        # SQLite will not drop a column that a table-level foreign key names (a later
        # batch copy of the table may have made it one): copy the table without it.
        with op.batch_alter_table("complaints", recreate="always") as batch:
            batch.drop_column("duplicate_of_id")
        for statement in _TRIGGERS:
            op.execute(statement)
    op.drop_index("ix_process_instances_complaint_id", "process_instances")
    with op.batch_alter_table("process_instances") as batch:
        batch.create_unique_constraint("uq_process_instances_complaint_id", ["complaint_id"])
