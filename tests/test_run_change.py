"""run_change runs a change again only when it lost a real race (a stale version or one of
the named unique keys); any other integrity error is raised at once, on both databases."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.exc import IntegrityError

from bpmn_complaints.db.transaction import RACE_KEYS, run_change, violated_unique_key
from bpmn_complaints.extensions import db
from bpmn_complaints.models import Definition, User
from conftest import DIAGRAMS


def _definition(version: int) -> Definition:
    return Definition(key="race", version=version, name="", sha256="0" * 64, files={},
                      deployed_by="test", deployed_at=datetime.now(UTC))


def test_a_lost_race_on_a_named_key_runs_the_change_again(app):
    with app.app_context():
        db.session.add(_definition(1))
        db.session.commit()
        attempts = []

        def deploy_next() -> int:
            # The first attempt takes version 1, as a colleague's deploy just did.
            attempts.append(1)
            version = 1 if len(attempts) == 1 else 2
            db.session.add(_definition(version))
            db.session.flush()
            return version

        assert run_change(deploy_next) == 2
        assert len(attempts) == 2


def test_another_integrity_error_is_raised_without_a_retry(app, caplog):
    with app.app_context():
        db.session.add(User(name="ann", roles=["staff"], created_at=datetime.now(UTC)))
        db.session.commit()
        attempts = []

        def add_twice() -> None:
            attempts.append(1)
            db.session.add(User(name="ann", roles=["staff"], created_at=datetime.now(UTC)))  # users.name is no race key
            db.session.flush()

        with pytest.raises(IntegrityError) as raised:
            run_change(add_twice)
        assert len(attempts) == 1
        assert violated_unique_key(raised.value) == ("users", ("name",))
        assert "not a race" in caplog.text


def test_a_missing_value_is_not_a_unique_key(app):
    with app.app_context():
        attempts = []

        def no_name() -> None:
            attempts.append(1)
            db.session.add(User(name=None, roles=["staff"], created_at=datetime.now(UTC)))
            db.session.flush()

        with pytest.raises(IntegrityError) as raised:
            run_change(no_name)
        assert len(attempts) == 1
        assert violated_unique_key(raised.value) is None


def test_every_race_key_is_a_unique_key_of_the_models(app):
    with app.app_context():
        uniques = set()
        for table in db.metadata.tables.values():
            for constraint in table.constraints:
                if constraint.__class__.__name__ == "UniqueConstraint":
                    uniques.add((table.name, tuple(c.name for c in constraint.columns)))
            uniques.update((table.name, (c.name,)) for c in table.columns if c.unique)
        assert RACE_KEYS <= uniques


def test_sqlite_durability_is_the_configured_choice(tmp_path):
    from sqlalchemy import text

    from bpmn_complaints import create_app

    for level, expected in (("FULL", 2), ("normal", 1)):
        app = create_app({"TESTING": True, "SECRET_KEY": "test", "SQLITE_SYNCHRONOUS": level,
                          "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / f'{level}.sqlite'}"})
        with app.app_context():
            assert db.session.execute(text("PRAGMA synchronous")).scalar() == expected
    with pytest.raises(ValueError, match="SQLITE_SYNCHRONOUS"):
        create_app({"TESTING": True, "SECRET_KEY": "test", "SQLITE_SYNCHRONOUS": "sometimes",
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}"})


def test_a_request_answers_from_what_its_change_wrote(api):
    """A task change's response (with the form its version holds) is made in the change's
    own transaction: nothing is read back after the commit (on SQLite a POST's second
    transaction would take the write lock again). Claim, hand back, assign and complete."""
    assert api.deploy(DIAGRAMS / "simple").exit_code == 0
    api.user("alice", groups=["intake"])
    api.user("sam", groups=["intake"], roles=("staff", "supervisor"))
    reference = api.submit()["reference"]
    task = api.task_for("alice", reference)
    api.tasks("sam")  # the token's first use is stamped apart, before what is counted
    with api.app.app_context():
        engine = db.engine
    begins: list[object] = []

    def begun(_conn) -> None:
        begins.append(_conn)

    def one_transaction(response):
        assert response.status_code == 200, response.get_json()
        assert len(begins) == 1, begins
        begins.clear()
        body = response.get_json()
        assert body["form_schema"]["title"] == "Assess the complaint"
        return body

    event.listen(engine, "begin", begun)
    try:
        assert one_transaction(api.claim("alice", task["id"]))["assignee"] == "alice"
        assert one_transaction(api.post(f"/api/tasks/{task['id']}/unclaim", "alice"))["assignee"] is None
        assigned = api.post(f"/api/tasks/{task['id']}/assign", "sam", json={"assignee": "alice"})
        assert one_transaction(assigned)["assignee"] == "alice"
        body = one_transaction(api.complete("alice", task["id"], {"in_scope": True, "severity": "high"}))
    finally:
        event.remove(engine, "begin", begun)
    assert body["state"] == "completed" and body["completed_by"] == "alice"
    assert body["data"] == {"in_scope": True, "severity": "high"}


def test_a_second_change_in_a_request_reads_its_rows_afresh(app):
    """What one change left loaded serves the response, never the next change: that one
    reads the row as it is now, after someone else changed it."""
    with app.test_request_context(method="POST"):
        db.session.add(User(name="ann", display_name="Ann", roles=["staff"], created_at=datetime.now(UTC)))
        db.session.commit()

        def rename(to: str) -> User:
            user = db.session.scalar(select(User).where(User.name == "ann"))
            assert user is not None
            user.display_name = to
            return user

        user = run_change(rename, "Ann A.")
        with db.engine.begin() as conn:  # another writer, on a connection of its own
            conn.execute(update(User).where(User.name == "ann").values(display_name="Ann B."))
        assert user.display_name == "Ann A."  # kept as written: the response reads no row back
        assert run_change(lambda: rename("Ann C.").skills) == []
        assert user.display_name == "Ann C."
        with db.engine.connect() as conn:
            assert conn.scalar(select(User.display_name).where(User.name == "ann")) == "Ann C."

    def read_name() -> str:
        found = db.session.scalar(select(User.display_name).where(User.name == "ann"))
        assert found is not None
        return found

    with app.test_request_context(method="POST"):
        loaded = db.session.scalar(select(User).where(User.name == "ann"))
        run_change(read_name)
        with db.engine.begin() as conn:
            conn.execute(update(User).where(User.name == "ann").values(skills=["billing"]))
        assert run_change(lambda: db.session.get_one(User, loaded.id).skills) == ["billing"]
