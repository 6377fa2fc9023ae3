"""On SQLite a GET or HEAD request reads without the write lock (issue #17): its
transaction begins deferred with ``PRAGMA query_only=ON``, so another connection holding
the write lock does not make it wait, and a write nobody marked ``writes`` fails loudly.
A POST, the CLI and the worker still begin ``IMMEDIATE`` on the same pooled connections,
and the API token's last-use stamp goes apart, skipped while the database is busy.

Each test holds SQLite's write lock from a plain ``sqlite3`` connection to the app's own
database file, as another process would."""

import sqlite3
import time
from contextlib import contextmanager

import pytest
from sqlalchemy import select, text

from bpmn_complaints import create_app, extensions
from bpmn_complaints.db import run_change
from bpmn_complaints.extensions import csrf, db
from bpmn_complaints.models import ApiToken, AuthEpoch
from bpmn_complaints.read_only import writes
from conftest import DIAGRAMS, Api, with_tables
from test_web_staff import Browser, add_user

# How long the app's connections wait for the write lock in these tests: a GET that took
# the lock would answer 500 after this instead of at once.
BUSY_MS = 1500


def _epoch_value():
    return db.session.scalar(select(AuthEpoch.value).where(AuthEpoch.id == 1))


def _connection_state():
    """Which pooled connection this transaction runs on, and whether it is query_only."""
    connection = db.session.connection()
    return {"connection": id(connection.connection.dbapi_connection),
            "query_only": connection.exec_driver_sql("PRAGMA query_only").scalar()}


def _touch_epoch():
    state = _connection_state()
    db.session.execute(text("UPDATE auth_epoch SET value = :v WHERE id = 1"), {"v": "touched"})
    return state


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setattr(extensions, "SQLITE_BUSY_TIMEOUT_MS", BUSY_MS)
    path = tmp_path / "reads.sqlite"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "test",
                      # the connection a request gave back is the next one taken, so a POST after
                      # a GET runs on the GET's connection
                      "SQLALCHEMY_ENGINE_OPTIONS": {"pool_use_lifo": True}})
    app.config["DATABASE_FILE"] = str(path)

    @app.route("/_test/read")
    def read_only_state():
        state = _connection_state()
        state["epoch"] = _epoch_value()
        return state

    @app.route("/_test/unmarked", methods=["GET", "POST"])
    @csrf.exempt
    def unmarked_write():
        return run_change(_touch_epoch)

    @app.route("/_test/marked")
    @writes
    def marked_write():
        return run_change(_touch_epoch)

    with with_tables(app):
        yield app


@pytest.fixture
def api(app):
    return Api(app, app.test_client(), app.test_cli_runner())


@contextmanager
def write_lock(app):
    """Another connection holds SQLite's write lock (BEGIN IMMEDIATE) meanwhile."""
    other = sqlite3.connect(app.config["DATABASE_FILE"], isolation_level=None, timeout=0)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield other
    finally:
        other.execute("ROLLBACK")
        other.close()


def _timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def _token_last_used(app, name):
    with app.app_context():
        value = db.session.scalar(select(ApiToken.last_used_at).where(ApiToken.user.has(name=name)))
        db.session.remove()
        return value


def test_a_get_reads_while_another_connection_holds_the_write_lock(api, app):
    assert api.deploy(DIAGRAMS / "simple").exit_code == 0
    add_user(api.runner, "alice", ["intake"])
    api.user("dana", ["intake"])
    reference = api.submit()["reference"]
    browser = Browser(app).login("alice")  # a POST: before the lock is taken
    with write_lock(app):
        page, page_took = _timed(lambda: browser.get("/inbox?scope=group"))
        listed, api_took = _timed(lambda: api.get("/api/tasks", "dana", query_string={"scope": "group"}))
        case, _ = _timed(lambda: browser.get(f"/complaints/{reference}"))
        head, _ = _timed(lambda: browser.client.head("/inbox"))
    assert page.status_code == 200 and reference in page.get_data(as_text=True)
    assert listed.status_code == 200, listed.get_json()
    assert [t["complaint_reference"] for t in listed.get_json()["items"]] == [reference]
    assert case.status_code == 200 and head.status_code == 200
    # A GET that waited for the lock would have taken the whole busy timeout, then failed.
    assert page_took < BUSY_MS / 1000 / 2 and api_took < BUSY_MS / 1000 / 2


def test_a_post_still_takes_the_write_lock(api, app):
    with write_lock(app):
        posted, took = _timed(lambda: api.client.post("/_test/unmarked"))
    assert posted.status_code == 500  # it queued for the lock, and gave up after the busy timeout
    assert took >= BUSY_MS / 1000 * 0.9


def test_a_get_that_writes_fails_unless_marked(api, app):
    client = api.client
    state = client.get("/_test/read").get_json()
    assert state["query_only"] == 1
    assert client.get("/_test/unmarked").status_code == 500  # attempt to write a readonly database
    assert client.get("/_test/read").get_json()["epoch"] != "touched"
    marked = client.get("/_test/marked")
    assert marked.status_code == 200 and marked.get_json()["query_only"] == 0
    assert client.get("/_test/read").get_json()["epoch"] == "touched"


def test_a_post_after_a_get_on_the_same_connection_writes(api, app):
    client = api.client
    read = client.get("/_test/read").get_json()
    assert read["query_only"] == 1
    posted = client.post("/_test/unmarked")
    assert posted.status_code == 200, posted.get_data(as_text=True)
    assert posted.get_json() == {"connection": read["connection"], "query_only": 0}
    assert client.get("/_test/read").get_json()["epoch"] == "touched"
    # Outside a request (the CLI, the worker, a script), after another GET on it: writable.
    client.get("/_test/read")
    with app.app_context():
        assert _connection_state() == {"connection": read["connection"], "query_only": 0}
        run_change(db.session.execute, text("UPDATE auth_epoch SET value = 'cli' WHERE id = 1"))
        db.session.remove()
    assert client.get("/_test/read").get_json()["epoch"] == "cli"
    client.get("/_test/read")
    result = api.runner.invoke(args=["users", "add", "carol", "--group", "intake", "--role", "staff"])
    assert result.exit_code == 0, result.output
    assert client.get("/_test/read").get_json()["epoch"] != "cli"  # the membership bumped it


def test_the_token_stamp_is_written_and_skipped_while_the_database_is_busy(api, app):
    app.config["TOKEN_LAST_USED_INTERVAL_SECONDS"] = 0  # every request stamps
    api.user("dana", ["intake"])
    assert _token_last_used(app, "dana") is None
    assert api.get("/api/tasks", "dana").status_code == 200
    first = _token_last_used(app, "dana")
    assert first is not None
    with write_lock(app):
        response, took = _timed(lambda: api.get("/api/tasks", "dana"))
    assert response.status_code == 200, response.get_json()
    assert took < BUSY_MS / 1000 / 2
    assert _token_last_used(app, "dana") == first  # skipped, not waited for
    assert api.get("/api/tasks", "dana").status_code == 200
    assert _token_last_used(app, "dana") > first  # the next request stamps it
