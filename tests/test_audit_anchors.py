"""The trail nobody can rewrite (issue 15, ISO 10002 4.9, 8.5): events are sealed with a
key outside the database, `audit-anchor` checkpoints every chain head, `verify-audit
--anchors` proves nothing before a checkpoint changed, and a database built by the
migrations refuses UPDATE and DELETE of audit events (and, on PostgreSQL, gives the app
role nothing but SELECT and INSERT on them)."""

import hashlib
import json
import os
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from bpmn_complaints.extensions import db
from bpmn_complaints.models import AuditEvent
from conftest import HERE, PG_URL
from test_outbox import smtp  # noqa: F401  (the real SMTP server fixture)
from test_privacy import FINDINGS, closed  # noqa: F401
from test_process_paths import process  # noqa: F401

PROCESSES = HERE.parent / "processes"


def rewrite_unkeyed(api, stream, change=None, unseal=False):
    """What someone who can write the database would do: change an event, then recompute
    the hashes of its chain from there on the way the trail was hashed before it was keyed (plain
    SHA-256). ``unseal`` (True, or a test of the event) also marks events as written
    before the keying."""
    with api.app.app_context():
        prev = "0" * 64
        for event in db.session.scalars(select(AuditEvent).where(AuditEvent.stream == stream)
                                        .order_by(AuditEvent.seq)).all():
            actor = change(event) if change else event.actor
            scheme = None if (unseal(event) if callable(unseal) else unseal) else event.scheme
            if prev == event.prev_hash and (actor, scheme) == (event.actor, event.scheme):
                prev = event.hash  # nothing changed up to here: leave the event as it is
                continue
            fields = [event.stream, event.seq, event.at.isoformat(), actor, event.action, event.task_id,
                      event.bpmn_id, event.details, prev]
            body = json.dumps(fields + ([scheme] if scheme else []), sort_keys=True, separators=(",", ":"),
                              default=str)
            digest = hashlib.sha256(body.encode()).hexdigest()
            db.session.execute(text("UPDATE audit_events SET actor = :a, prev_hash = :p, hash = :h, scheme = :s "
                                    "WHERE id = :id"), {"a": actor, "p": prev, "h": digest, "s": scheme,
                                                         "id": event.id})
            prev = digest
        db.session.commit()


def streams(api):
    with api.app.app_context():
        return set(db.session.scalars(select(AuditEvent.stream).distinct()))


def mallory_on_seq_2(event):
    return "mallory" if event.seq == 2 else event.actor


def verify(api, *args):
    return api.runner.invoke(args=["verify-audit", *args])


@pytest.fixture
def two_complaints(api):
    assert api.deploy(PROCESSES).exit_code == 0
    return api.submit()["reference"], api.submit()["reference"]


def test_new_events_are_sealed_and_an_unkeyed_recompute_is_found(api, two_complaints):
    first, second = two_complaints
    with api.app.app_context():
        schemes = set(db.session.scalars(select(AuditEvent.scheme)))
    assert len(schemes) == 1 and schemes.pop().startswith("hmac-sha256:")
    assert verify(api).exit_code == 0

    rewrite_unkeyed(api, f"complaint:{second}", mallory_on_seq_2)
    result = verify(api)
    assert result.exit_code == 1
    assert f"complaint:{second}: event 2 was changed after it was written" in result.output
    assert f"complaint:{first}" not in result.output


def test_a_recompute_with_the_right_method_but_another_key_is_found(api, two_complaints, tmp_path):
    """The seal depends on the key: the same chain checked with another key breaks."""
    _, second = two_complaints
    assert verify(api).exit_code == 0
    api.app.config["AUDIT_KEY"] = "k" * 40
    result = verify(api, "--reference", second)
    assert result.exit_code == 1
    assert "was sealed with a key that is not configured" in result.output


def test_anchor_then_rewrite_an_old_event_is_found(api, two_complaints, tmp_path):
    first, second = two_complaints
    anchors = tmp_path / "anchors"
    result = api.runner.invoke(args=["audit-anchor", "--dir", str(anchors)])
    assert result.exit_code == 0, result.output
    assert f"checkpoint of {len(streams(api))} audit trail(s)" in result.output
    (checkpoint,) = anchors.glob("checkpoint-*.json")
    assert not os.access(checkpoint, os.W_OK) or os.geteuid() == 0
    assert verify(api, "--anchors", str(anchors)).exit_code == 0

    more = api.submit()["reference"]  # written after the checkpoint: sealed, so still fine
    assert verify(api, "--anchors", str(anchors)).exit_code == 0

    # The whole chain rewritten as if it predated the keying: its own hashes agree again,
    # and only the checkpoint can tell.
    rewrite_unkeyed(api, f"complaint:{first}", mallory_on_seq_2, unseal=True)
    assert "all intact" in verify(api).output
    result = verify(api, "--anchors", str(anchors))
    assert result.exit_code == 1
    assert f"complaint:{first}: event " in result.output
    assert f"differs from {checkpoint.name}: an event up to it was changed" in result.output
    assert f"complaint:{second}" not in result.output

    # A chain begun after the checkpoint may not be unsealed either.
    rewrite_unkeyed(api, f"complaint:{more}", unseal=True)
    result = verify(api, "--anchors", str(anchors))
    assert f"complaint:{more}: event 1 is unsealed but not covered by {checkpoint.name}" in result.output


def test_a_changed_or_missing_checkpoint_is_found(api, two_complaints, tmp_path):
    anchors = tmp_path / "anchors"
    assert api.runner.invoke(args=["audit-anchor", "--dir", str(anchors)]).exit_code == 0
    (checkpoint,) = anchors.glob("checkpoint-*.json")
    document = json.loads(checkpoint.read_text())
    stream = next(iter(document["heads"]))
    document["heads"][stream]["hash"] = "f" * 64
    os.chmod(checkpoint, 0o644)
    checkpoint.write_text(json.dumps(document))
    result = verify(api, "--anchors", str(anchors))
    assert result.exit_code == 1
    assert "the signature does not match" in result.output

    empty = tmp_path / "empty"
    empty.mkdir()
    result = verify(api, "--anchors", str(empty))
    assert result.exit_code == 1 and "no checkpoint in" in result.output


def test_events_from_before_the_keying_still_verify(api, two_complaints, tmp_path):
    """A trail written by an older release (plain SHA-256, no scheme) verifies, is
    covered by the first checkpoint, and new sealed events may follow it."""
    first, second = two_complaints
    for reference in (first, second):
        rewrite_unkeyed(api, f"complaint:{reference}", unseal=True)
    result = verify(api)
    assert result.exit_code == 0, result.output
    # Said, so that an auditor knows only a checkpoint vouches for them.
    assert "2 trail(s) hold events from before the trail was sealed" in result.output
    anchors = tmp_path / "anchors"
    assert api.runner.invoke(args=["audit-anchor", "--dir", str(anchors)]).exit_code == 0

    assert api.runner.invoke(args=["worker", "--once"]).exit_code == 0  # appends sealed events
    api.user("sam", roles=["staff", "supervisor"])
    result = verify(api, "--anchors", str(anchors))
    assert result.exit_code == 0, result.output

    # Unsealing a sealed event that follows unsealed ones is a downgrade, checkpoints or not.
    last = max(e.seq for e in events(api, "system"))
    rewrite_unkeyed(api, "system", unseal=lambda event: event.seq == last)
    result = verify(api)
    assert result.exit_code == 1
    assert f"system: event {last} is unsealed after a sealed event (a downgrade)" in result.output


def events(api, stream):
    with api.app.app_context():
        return db.session.scalars(select(AuditEvent).where(AuditEvent.stream == stream)).all()


def test_the_worker_writes_checkpoints_on_a_schedule(api, two_complaints, tmp_path):
    anchors = tmp_path / "scheduled"
    api.app.config.update(AUDIT_ANCHOR_DIR=str(anchors), AUDIT_ANCHOR_EVERY_SECONDS=3600)
    result = api.runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert len(list(anchors.glob("checkpoint-*.json"))) == 1
    assert verify(api, "--anchors", str(anchors)).exit_code == 0
    # Not due again for an hour: a second run writes none.
    assert api.runner.invoke(args=["worker", "--once"]).exit_code == 0
    assert len(list(anchors.glob("checkpoint-*.json"))) == 1


@pytest.fixture
def migrated(app, runner):
    """A database built by the migrations (`init-db`), as in production."""
    with app.app_context():
        db.drop_all()
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    return app


def test_a_migrated_database_refuses_to_change_or_remove_audit_events(migrated, closed):
    api, created = closed
    reference = created["reference"]
    for sql in ("UPDATE audit_events SET actor = 'mallory'", "DELETE FROM audit_events"):
        with migrated.app_context():
            with pytest.raises(DBAPIError, match="append-only"):
                db.session.execute(text(sql))
            db.session.rollback()
    # Erasure still works and leaves nothing behind: it never touches the trail, which
    # holds no personal data, only codes and fingerprints.
    erased = api.post(f"/api/complaints/{reference}/erase", "root", json={"reason": "erasure request"})
    assert erased.status_code == 200, erased.get_json()
    with migrated.app_context():
        trail = json.dumps([[e.actor, e.details] for e in db.session.scalars(select(AuditEvent))])
    for words in ("Dana", "dana@example.com", "0123 456789", FINDINGS, "Charged twice"):
        assert words not in trail
    assert verify(api).exit_code == 0


APP_ROLE = "wt_test_complaints_app"


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL only")
def test_the_app_role_may_insert_audit_events_but_not_change_them(app, backend, runner):
    if backend != "postgresql":
        pytest.skip("PostgreSQL only")
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as connection:
            if not connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": APP_ROLE}).scalar():
                connection.execute(text(f"CREATE ROLE {APP_ROLE} NOLOGIN"))
    app.config["DATABASE_APP_ROLE"] = APP_ROLE
    try:
        assert runner.invoke(args=["init-db"]).exit_code == 0
        with app.app_context(), db.engine.connect() as connection:
            # What the operator grants the app role on the rest (docs/deploy.md).
            connection.execute(text(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}"))
            connection.execute(text(f"SET ROLE {APP_ROLE}"))
            connection.execute(text(
                "INSERT INTO audit_events (stream, seq, at, actor, action, details, prev_hash, hash, scheme) "
                "VALUES ('system', 1, now(), 'app', 'probe', '{}', :g, :g, 'hmac-sha256:x')"), {"g": "0" * 64})
            assert connection.execute(text("SELECT count(*) FROM audit_events")).scalar() == 1
            for sql in ("UPDATE audit_events SET actor = 'mallory'", "DELETE FROM audit_events",
                        "TRUNCATE audit_events"):
                savepoint = connection.begin_nested()
                with pytest.raises(DBAPIError, match="permission denied"):
                    connection.execute(text(sql))
                savepoint.rollback()
            connection.rollback()
    finally:
        with app.app_context(), db.engine.begin() as connection:
            connection.execute(text(f"DROP OWNED BY {APP_ROLE}"))
            connection.execute(text(f"DROP ROLE {APP_ROLE}"))


def test_a_trail_from_before_the_upgrade_still_verifies_after_it(app, runner):
    """An older release's database: its events have no scheme and a plain SHA-256 chain.
    `db upgrade` adds the scheme without touching a row, and the old events verify."""
    import sqlalchemy as sa

    from bpmn_complaints.models.types import UTCDateTime

    with app.app_context():
        db.drop_all()
    from alembic.script import ScriptDirectory

    before = ScriptDirectory(app.extensions["migrate"].directory).get_revision("7a1c9e3b5d20").down_revision
    assert runner.invoke(args=["db", "upgrade", before]).exit_code == 0
    old = sa.table("audit_events", *(sa.column(n) for n in ("stream", "seq", "actor", "action", "task_id",
                                                             "bpmn_id", "details", "prev_hash", "hash")),
                   sa.column("at", UTCDateTime), sa.column("details", sa.JSON))
    prev, at = "0" * 64, datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    with app.app_context():
        for seq, action in enumerate(("user_added", "deployed"), start=1):
            body = json.dumps(["system", seq, at.isoformat(), "cli", action, None, None, {}, prev],
                              sort_keys=True, separators=(",", ":"))
            digest = hashlib.sha256(body.encode()).hexdigest()
            db.session.execute(sa.insert(old).values(stream="system", seq=seq, at=at, actor="cli", action=action,
                                                     task_id=None, bpmn_id=None, details={}, prev_hash=prev,
                                                     hash=digest))
            prev = digest
        db.session.commit()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["verify-audit"])
    assert result.exit_code == 0, result.output
    assert "1 trail(s) hold events from before the trail was sealed" in result.output
    # The first event the new release writes is sealed, and the chain still verifies.
    assert runner.invoke(args=["users", "add", "ada", "--role", "admin"]).exit_code == 0
    with app.app_context():
        schemes = db.session.scalars(select(AuditEvent.scheme).order_by(AuditEvent.seq)).all()
    assert schemes[:2] == [None, None] and schemes[2].startswith("hmac-sha256:")
    assert runner.invoke(args=["verify-audit"]).exit_code == 0
