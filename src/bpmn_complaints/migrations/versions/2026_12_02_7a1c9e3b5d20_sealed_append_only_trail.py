"""the trail is sealed and append-only: a scheme per event, triggers refusing UPDATE and
DELETE, and on PostgreSQL an app role that may only read and insert audit events

Events already written keep a NULL scheme (a plain SHA-256 chain) and still verify; new
events are sealed with an HMAC under the trail's key (db/audit_key.py). Adding a nullable
column rewrites no row, so no existing event changes.

The triggers refuse every UPDATE and DELETE of an audit event (and, on PostgreSQL, a
TRUNCATE), whoever asks: erasure never touches the trail (it holds no personal data; see
docs/security.md). A table owner can still drop a trigger, which is why the app should
not own its tables on PostgreSQL: when config DATABASE_APP_ROLE names a role that exists,
this revision lets that role SELECT and INSERT audit events and nothing else.

Revision ID: 7a1c9e3b5d20
Revises: 7e1a2b3c4d5f
Create Date: 2026-12-02 05:00:00

"""
import sqlalchemy as sa
from alembic import op
from flask import current_app

# revision identifiers, used by Alembic.
revision = '7a1c9e3b5d20'
down_revision = '7e1a2b3c4d5f'
branch_labels = None
depends_on = None

REFUSAL = "audit events are append-only"

POSTGRES_UP = [
    f"""CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION '{REFUSAL}' USING ERRCODE = 'insufficient_privilege'; END $$""",
    """CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
        FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()""",
    """CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
        FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()""",
]
POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events",
    "DROP TRIGGER IF EXISTS audit_events_no_change ON audit_events",
    "DROP FUNCTION IF EXISTS audit_events_append_only()",
]
SQLITE_UP = [
    f"""CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events
        BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END""" for verb in ("UPDATE", "DELETE")
]
SQLITE_DOWN = ["DROP TRIGGER IF EXISTS audit_events_no_update", "DROP TRIGGER IF EXISTS audit_events_no_delete"]


def _app_role(bind) -> str | None:
    """The configured app role, if it exists in this cluster."""
    role = current_app.config.get("DATABASE_APP_ROLE")
    if not role:
        return None
    found = bind.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).scalar()
    return role if found else None


def upgrade():
    op.add_column("audit_events", sa.Column("scheme", sa.String(length=40), nullable=True))
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    for statement in POSTGRES_UP if postgres else SQLITE_UP:
        op.execute(statement)
    role = _app_role(bind) if postgres else None
    if role:
        quoted = bind.dialect.identifier_preparer.quote(role)
        op.execute(f"REVOKE ALL ON audit_events FROM {quoted}")
        op.execute(f"GRANT SELECT, INSERT ON audit_events TO {quoted}")
        op.execute(f"GRANT USAGE, SELECT ON SEQUENCE audit_events_id_seq TO {quoted}")


def downgrade():
    bind = op.get_bind()
    for statement in POSTGRES_DOWN if bind.dialect.name == "postgresql" else SQLITE_DOWN:
        op.execute(statement)
    op.execute("ALTER TABLE audit_events DROP COLUMN scheme")
