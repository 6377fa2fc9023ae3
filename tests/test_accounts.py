"""Sessions and accounts (issue 15): sign-in throttled per account and per address, timing
that does not tell who exists, sessions that end on the server, accounts and tokens that
can be closed at once in every process, and the per-token cache that saves each request
its user queries (issue 17). Through the web pages, the API and the CLI, on both databases."""

import re
import statistics
import time
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from bpmn_complaints import create_app
from bpmn_complaints.clock import get_clock
from bpmn_complaints.extensions import db
from bpmn_complaints.models import ApiToken, AuditEvent
from test_web_staff import PASSWORD, Browser, add_user, text


def cli(app, *args, ok=True):
    result = app.test_cli_runner().invoke(args=list(args))
    assert (result.exit_code == 0) == ok, result.output
    return result.output


def new_token(app, name, *extra):
    return cli(app, "token", name, *extra).strip().splitlines()[-1]


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def trail(app, action):
    with app.app_context():
        return [e.details for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.stream == "system", AuditEvent.action == action))]


def signed_in(app, name, address="10.0.0.1"):
    browser = Browser(app)
    browser.client.environ_base["REMOTE_ADDR"] = address
    return browser.login(name)


def attempt(app, name, password, address):
    browser = Browser(app)
    browser.client.environ_base["REMOTE_ADDR"] = address
    return browser.post("/login", "/login", {"name": name, "password": password})


# -- sign-in -------------------------------------------------------------------------

def test_failed_sign_ins_are_throttled_per_account_and_per_address(app):
    add_user(app.test_cli_runner(), "alice")
    add_user(app.test_cli_runner(), "bob")
    # Per account: five wrong passwords from five addresses, then alice is held off even with
    # the right password, while bob is not.
    for n in range(5):
        assert attempt(app, "alice", "wrong", f"10.1.0.{n}").status_code == 401
    assert attempt(app, "alice", PASSWORD, "10.1.0.99").status_code == 429
    assert attempt(app, "bob", PASSWORD, "10.1.0.99").status_code == 302
    # Per address: twenty failures from one address, each for a different name.
    for n in range(20):
        assert attempt(app, f"nobody{n}", "wrong", "10.2.0.1").status_code == 401
    assert attempt(app, "bob", PASSWORD, "10.2.0.1").status_code == 429
    assert attempt(app, "bob", PASSWORD, "10.2.0.2").status_code == 302


def test_each_app_counts_its_own_sign_in_failures(app, tmp_path):
    """Tests build many apps around one shared limiter: counts must not leak between them."""
    add_user(app.test_cli_runner(), "alice")
    for n in range(5):
        attempt(app, "alice", "wrong", f"10.3.0.{n}")
    assert attempt(app, "alice", PASSWORD, "10.3.0.9").status_code == 429
    other = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'other.sqlite'}",
                        "SECRET_KEY": "other"})
    with other.app_context():
        db.create_all()
    add_user(other.test_cli_runner(), "alice")
    assert attempt(other, "alice", PASSWORD, "10.3.0.9").status_code == 302


def test_an_unknown_name_takes_as_long_as_a_wrong_password(app):
    app.config.update(LOGIN_RATE_LIMIT_ACCOUNT="1000 per minute", LOGIN_RATE_LIMIT_ADDRESS="1000 per minute")
    add_user(app.test_cli_runner(), "alice")
    attempt(app, "warm-up", "x", "10.4.0.1")

    def timed(name):
        start = time.perf_counter()
        assert attempt(app, name, "wrong", "10.4.0.1").status_code == 401
        return time.perf_counter() - start

    known = statistics.median(timed("alice") for _ in range(5))
    unknown = statistics.median(timed("nobody-here") for _ in range(5))
    # Without the dummy hash an unknown name answers many times faster (no password hashing).
    assert unknown > known * 0.5, (known, unknown)


# -- sessions end on the server ------------------------------------------------------

def test_signing_out_ends_the_session_on_the_server(app):
    add_user(app.test_cli_runner(), "alice", ["intake"])
    alice = signed_in(app, "alice")
    cookie = alice.client.get_cookie("session").value
    assert alice.get("/inbox").status_code == 200
    alice.post("/inbox", "/logout")
    # The cookie as it was before signing out, replayed by someone who copied it.
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    response = thief.get("/inbox")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("how", ["users password", "users add --password", "users deactivate"])
def test_a_new_password_or_a_closed_account_ends_every_session(app, how):
    add_user(app.test_cli_runner(), "alice", ["intake"])
    first, second = signed_in(app, "alice", "10.5.0.1"), signed_in(app, "alice", "10.5.0.2")
    assert first.get("/inbox").status_code == 200 and second.get("/inbox").status_code == 200
    if how == "users password":
        cli(app, "users", "password", "alice", "--password", "a brand new secret")
    elif how == "users add --password":
        cli(app, "users", "add", "alice", "--password", "a brand new secret")
    else:
        cli(app, "users", "deactivate", "alice")
    for browser in (first, second):
        assert browser.get("/inbox").status_code == 302
    if how != "users deactivate":
        assert attempt(app, "alice", "a brand new secret", "10.5.0.3").status_code == 302
        assert trail(app, "password_changed")[-1] == {"user": "alice", "sessions_ended": 2}
    else:
        assert attempt(app, "alice", PASSWORD, "10.5.0.3").status_code == 401


# -- closing accounts and tokens ------------------------------------------------------

def test_a_deactivated_users_tokens_stop_at_once_and_it_is_audited(app):
    cli(app, "users", "add", "alice", "--group", "intake")
    token = new_token(app, "alice")
    client = app.test_client()
    assert client.get("/api/tasks", headers=bearer(token)).status_code == 200  # now cached
    out = cli(app, "users", "deactivate", "alice", "--as", "root")
    assert "deactivated" in out
    refused = client.get("/api/tasks", headers=bearer(token))
    assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "unauthorized"
    [event_] = trail(app, "user_deactivated")
    assert event_ == {"user": "alice", "sessions_ended": 0, "tokens_revoked": 1}
    assert "revoked" in cli(app, "token", "list", "--user", "alice")
    cli(app, "users", "activate", "alice")
    assert client.get("/api/tasks", headers=bearer(token)).status_code == 401  # revoked tokens stay revoked
    assert client.get("/api/tasks", headers=bearer(new_token(app, "alice"))).status_code == 200


def test_taking_a_role_or_group_away_applies_to_the_next_request(api):
    api.user("sam", groups=["intake", "quality"], roles=["staff", "supervisor"])
    assert api.get("/api/tasks", "sam", query_string={"scope": "all"}).status_code == 200
    out = cli(api.app, "users", "remove", "sam", "--role", "supervisor", "--group", "quality")
    assert "groups intake; roles staff" in out
    assert api.get("/api/tasks", "sam", query_string={"scope": "all"}).status_code == 403
    assert trail(api.app, "user_reduced")[-1]["roles_removed"] == ["supervisor"]
    assert trail(api.app, "user_reduced")[-1]["groups"] == ["intake"]
    assert "has no role admin" in cli(api.app, "users", "remove", "sam", "--role", "admin", ok=False)


def test_token_list_and_revoke_on_the_command_line(app):
    cli(app, "users", "add", "alice")
    cli(app, "users", "add", "bob")
    first = new_token(app, "alice", "--label", "crm sync")
    new_token(app, "bob")
    client = app.test_client()
    assert client.get("/api/tasks", headers=bearer(first)).status_code == 200
    rows = [line.split("\t") for line in cli(app, "token", "list").strip().splitlines()]
    assert rows[0][:4] == ["id", "user", "state", "label"]
    [alices] = [row for row in rows[1:] if row[1] == "alice"]
    assert alices[2] == "active" and alices[3] == "crm sync" and alices[6] != "-"  # last used is recorded
    assert [row[1] for row in rows[1:]] == ["bob", "alice"]
    assert "alice" not in cli(app, "token", "list", "--user", "bob")
    cli(app, "token", "revoke", alices[0], "--as", "root")
    assert client.get("/api/tasks", headers=bearer(first)).status_code == 401
    assert trail(app, "token_revoked") == [{"user": "alice", "token_id": int(alices[0]), "label": "crm sync"}]
    assert trail(app, "token_issued")[0]["label"] == "crm sync"
    assert "no token 999" in cli(app, "token", "revoke", "999", ok=False)


def test_tokens_expire_after_90_days_unless_told_otherwise(app):
    cli(app, "users", "add", "alice")
    default, week, never = new_token(app, "alice"), new_token(app, "alice", "--days", "7"), \
        new_token(app, "alice", "--days", "0")
    client = app.test_client()
    with app.app_context():
        clock = get_clock()
    clock.set(clock.now() + timedelta(days=8))
    assert client.get("/api/tasks", headers=bearer(week)).status_code == 401
    assert client.get("/api/tasks", headers=bearer(default)).status_code == 200
    clock.set(clock.now() + timedelta(days=83))
    assert client.get("/api/tasks", headers=bearer(default)).status_code == 401
    assert client.get("/api/tasks", headers=bearer(never)).status_code == 200
    assert cli(app, "token", "list").count("expired") == 2
    app.config["TOKEN_EXPIRY_DAYS"] = 1
    short = new_token(app, "alice")
    clock.set(clock.now() + timedelta(days=2))
    assert client.get("/api/tasks", headers=bearer(short)).status_code == 401


# -- the per-token cache ---------------------------------------------------------------

def statements(app, call):
    seen = []
    with app.app_context():
        engine = db.engine

    def listen(_conn, _cursor, statement, *_):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", listen)
    try:
        response = call()
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    return response, seen


def about_accounts(seen):
    return [s for s in seen if re.search(r"\b(users|api_tokens|memberships)\b", s)]


def test_a_known_token_costs_no_user_queries_and_last_use_is_written_at_most_every_few_minutes(app):
    cli(app, "users", "add", "sam", "--role", "supervisor", "--group", "intake")
    token = new_token(app, "sam")
    client = app.test_client()
    first, seen = statements(app, lambda: client.get("/api/tasks", headers=bearer(token)))
    assert first.status_code == 200
    assert len([s for s in about_accounts(seen) if s.startswith("UPDATE api_tokens")]) == 1
    again, seen = statements(app, lambda: client.get("/api/tasks", headers=bearer(token)))
    assert again.status_code == 200 and about_accounts(seen) == [], seen
    with app.app_context():
        clock = get_clock()
    clock.set(clock.now() + timedelta(seconds=app.config["TOKEN_LAST_USED_INTERVAL_SECONDS"] + 1))
    _later, seen = statements(app, lambda: client.get("/api/tasks", headers=bearer(token)))
    assert [s for s in about_accounts(seen) if s.startswith("UPDATE")] != []
    with app.app_context():
        used = db.session.scalar(select(ApiToken.last_used_at))
    assert used == clock.now()


def test_a_read_skips_the_last_use_stamp_rather_than_wait_for_a_lock(app):
    """Another writer holds the lock the stamp needs (SQLite's write lock; on PostgreSQL
    the token's row): the GET answers at once without it, and a later one writes it."""
    cli(app, "users", "add", "sam", "--role", "supervisor", "--group", "intake")
    token = new_token(app, "sam")
    client = app.test_client()
    with app.app_context():
        engine = db.engine
    other = engine.connect()
    # Outside a request the transaction begins IMMEDIATE on SQLite (the write lock held);
    # on PostgreSQL FOR UPDATE locks the token's row.
    other.execute(select(ApiToken.id).with_for_update())
    try:
        started = time.monotonic()
        response = client.get("/api/tasks", headers=bearer(token))
        took = time.monotonic() - started
    finally:
        other.rollback()
        other.close()
    assert response.status_code == 200, response.get_json()
    assert took < 5  # waiting would have taken the lock's holder's whole time (30 s on SQLite)
    with app.app_context():
        assert db.session.scalar(select(ApiToken.last_used_at)) is None
        db.session.remove()
    assert client.get("/api/tasks", headers=bearer(token)).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(ApiToken.last_used_at)) is not None


def test_a_change_in_another_process_reaches_this_processs_cache_at_once(app):
    """Two apps on one database stand for two gunicorn processes: each has its own cache."""
    cli(app, "users", "add", "sam", "--role", "supervisor", "--group", "intake")
    token = new_token(app, "sam")
    other = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                        "SECRET_KEY": "test"})
    web = app.test_client()
    assert web.get("/api/tasks", headers=bearer(token), query_string={"scope": "all"}).status_code == 200
    cli(other, "users", "remove", "sam", "--role", "supervisor")
    assert web.get("/api/tasks", headers=bearer(token), query_string={"scope": "all"}).status_code == 403
    cli(other, "users", "add", "sam", "--role", "supervisor")
    assert web.get("/api/tasks", headers=bearer(token), query_string={"scope": "all"}).status_code == 200
    [row] = [line for line in cli(other, "token", "list").splitlines() if "\tsam\t" in line]
    cli(other, "token", "revoke", row.split("\t")[0])
    assert web.get("/api/tasks", headers=bearer(token)).status_code == 401
    with other.app_context():
        db.engine.dispose()


# -- one's own tokens on /me ---------------------------------------------------------

def test_staff_make_list_and_revoke_their_own_tokens_on_their_page(api):
    add_user(api.runner, "alice", ["intake"])
    add_user(api.runner, "bob", ["intake"])
    bobs = new_token(api.app, "bob")
    alice = Browser(api.app).login("alice")
    assert "You have no API tokens." in text(alice.get("/me"))
    made = alice.post("/me", "/me/tokens", {"label": "my script", "days": "30"})
    page = text(made)
    assert made.status_code == 200 and "shown only this once" in page
    token = re.search(r'id="new-token">.*?<code>([^<]+)</code>', page, re.S).group(1)
    assert "token" not in (alice.client.get_cookie("session").value or "")
    assert api.client.get("/api/tasks", headers=bearer(token)).status_code == 200
    listed = text(alice.get("/me"))
    assert "my script" in listed and token not in listed and "Revoke" in listed
    token_id = int(re.search(r'id="token-(\d+)"', listed).group(1))
    [bob_id] = [int(line.split("\t")[0]) for line in cli(api.app, "token", "list", "--user", "bob").splitlines()[1:]]
    assert alice.post("/me", f"/me/tokens/{bob_id}/revoke").status_code == 404  # not hers
    assert api.client.get("/api/tasks", headers=bearer(bobs)).status_code == 200
    done = alice.post("/me", f"/me/tokens/{token_id}/revoke", follow_redirects=True)
    assert "The token is revoked" in text(done) and "revoked" in text(done)
    assert api.client.get("/api/tasks", headers=bearer(token)).status_code == 401
    assert [e["user"] for e in trail(api.app, "token_revoked")] == ["alice"]
    assert trail(api.app, "token_issued")[-1]["label"] == "my script"
