"""The authorization matrix (issue 15): every route of the app, as every role and as nobody,
checked against the table ``policy.ROUTES``. A route missing from the table fails; a role
the table refuses must get 403 (401 or the sign-in page without an account); a role it
allows must not be refused; a route the complainant's status token opens must open with it.

Each route that changes something runs on a fresh copy of one prepared SQLite database, so
what one role did does not decide what the next is told. Requests carry valid input, so the
answer is about who asks, not about what they sent.
"""

import io
import shutil
from pathlib import Path

import pytest
from flask import url_for
from flask.testing import FlaskClient
from werkzeug.routing import Rule

import evidence_files as make
from bpmn_complaints import create_app, policy
from bpmn_complaints.extensions import db
from bpmn_complaints.mail.links import feedback_signature
from bpmn_complaints.policy import ROLES, ROUTES
from bpmn_complaints.worker import Worker
from conftest import HERE

PROCESSES = HERE.parent / "processes"

PASSWORD = "correct horse battery"
GROUPS = ("intake", "investigators", "supervisors", "quality")
WHO = (None, *ROLES)  # nobody, then one person per role, each in every group
READS = {"GET"}

# Input for the routes that need some; {ref}, {task}, {token} and {user} are filled in.
BODIES = {
    "POST complaints.submit": {"json": {"name": "Dana Example", "email": "dana@example.com",
                                        "description": "Charged twice."}},
    "POST complaints.erase": {"json": {"reason": "erasure request"}},
    "POST messages.send": {"json": {"reference": "{ref}", "channel": "phone",
                                    "payload": {"accepted": True, "comment": "fine"}}},
    "POST tasks.assign": {"json": {"assignee": "staff"}},
    "POST tasks.add_comment": {"json": {"body": "A note."}},
    "POST tasks.complete": {"json": {"data": {}}},
    "PUT task_drafts.put_draft": {"json": {"data": {}}},
    "PUT draft_pages.save": {"json": {"data": {}}},
    "POST attachments.add_attachments": {"files": True},
    "POST complaint_pages.attach": {"files": True},
    "POST portal.add_evidence": {"files": True},
    "POST portal.complain": {"data": {"name": "Dana Example", "email": "dana@example.com",
                                      "description": "Charged twice."}},
    "POST portal.reply": {"data": {"choice": "accept", "comment": ""}},
    "POST portal.feedback": {"data": {"rating": "4"}},
    "POST complaint_actions.record_reply": {"data": {"kind": "accept", "channel": "phone", "text": ""}},
    "POST complaint_actions.correct_contact": {"data": {"name": "Dana Example", "email": "dana@example.com"}},
    "POST complaint_actions.mark_duplicate": {"data": {"original": "{ref}"}},
    "POST complaint_actions.reopen": {"data": {"reason": "It came back."}},
    "POST complaint_actions_api.mark_duplicate": {"json": {"original": "{ref}"}},
    "POST complaint_actions_api.reopen": {"json": {"reason": "It came back."}},
    "POST complaint_actions.decide_from_email": {"data": {"kind": "accept", "text": ""}},
    "POST complaint_actions_api.decide_from_email": {"json": {"kind": "accept", "text": ""}},
    "POST inbound.file_on": {"json": {"reference": "{ref}"}},
    "POST complaint_pages.new": {"data": {"name": "Dana Example", "email": "dana@example.com",
                                          "description": "Charged twice.", "channel": "phone"}},
    "POST task_pages.assign": {"data": {"assignee": "staff"}},
    "POST task_pages.comment": {"data": {"body": "A note."}},
    "GET definitions.compare": {"query": {"from": 1, "to": 1}},
    "POST editor.check_expression": {"json": {"expression": "priority == 'high'", "key": "complaint_handling"}},
    "POST editor.timer_preview": {"json": {"expression": "P3D", "kind": "timeDuration"}},
    "POST definitions.migrate": {"json": {"from": 1, "to": 1}},
    "POST modeler.migrate": {"data": {"from": "1", "to": "1"}},
    "POST auth.login": {"data": {"name": "staff", "password": PASSWORD}},
    "POST external_tasks.fetch_and_lock": {"json": {"workerId": "w", "topics": [{"topicName": "matrix_topic",
                                                                                  "lockDuration": 1000}]}},
    "POST external_tasks.complete": {"json": {"workerId": "w"}},
    "POST external_tasks.failure": {"json": {"workerId": "w"}},
    "POST external_tasks.bpmn_error": {"json": {"workerId": "w", "errorCode": "e"}},
    "POST external_tasks.extend_lock": {"json": {"workerId": "w", "newDuration": 1000}},
    "POST repair.set_variable": {"json": {"name": "severity", "value": "high", "reason": "phoned in"}},
    "POST repair.move_token": {"json": {"from": "Task_nowhere", "to": "Task_nowhere", "reason": "a test"}},
    "POST repair.cancel": {"json": {"reason": "entered twice"}},
    "POST repair_pages.set_variable": {"data": {"name": "severity", "value": "high", "reason": "phoned in"}},
    "POST repair_pages.move_token": {"data": {"from": "Task_nowhere", "to": "Task_nowhere", "reason": "a test"}},
    "POST repair_pages.cancel": {"data": {"reason": "entered twice"}},
}
# The complainant's token goes where the complainant's own pages and scripts put it.
# Answers that are not a server error there: readiness is 503 on this database, which
# db.create_all() made without the migrations' version table.
UNAVAILABLE = {("GET", "operations.readyz")}
TOKEN_IN = {"POST messages.send": "json", "POST portal.reply": "form", "POST portal.add_evidence": "form",
            "POST portal.status": "form",
            "GET portal.feedback": "sig", "POST portal.feedback": "sig"}


def settings(path: Path) -> dict:
    return {"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "matrix",
            "WTF_CSRF_ENABLED": False, "SUBMIT_RATE_LIMIT": "100000 per minute",
            "ATTACHMENT_FOLDER": str(path.parent / "files")}


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """One database with the shipped process, a person per role, a complaint with a task,
    a file and an email; the session cookie of each person; the ids routes need."""
    folder = tmp_path_factory.mktemp("matrix")
    app = create_app(settings(folder / "template.sqlite"))
    runner = app.test_cli_runner()
    with app.app_context():
        db.create_all()
    assert runner.invoke(args=["deploy", str(PROCESSES)]).exit_code == 0
    tokens = {}
    for role in ROLES:
        args = ["users", "add", role, "--password", PASSWORD, "--role", role, "--email", f"{role}@example.com"]
        for group in GROUPS:
            args += ["--group", group]
        assert runner.invoke(args=args).exit_code == 0
        topics = ["--topic", "matrix_topic"] if role == policy.INTEGRATION else []
        tokens[role] = runner.invoke(args=["token", role, *topics]).output.strip().splitlines()[-1]
    client = app.test_client()
    created = client.post("/api/complaints", data={
        "name": "Dana Example", "email": "dana@example.com", "description": "Charged twice.",
        "files": [(io.BytesIO(make.png()), "receipt.png")]}, content_type="multipart/form-data")
    assert created.status_code == 201, created.get_json()
    created = created.get_json()
    ref, token = created["reference"], created["status_token"]
    with app.app_context():
        Worker(owner="matrix").run_once()
    auth = {"Authorization": f"Bearer {tokens['supervisor']}"}
    task = client.get("/api/tasks", headers=auth, query_string={"scope": "all"}).get_json()["items"][0]
    files = client.get(f"/api/complaints/{ref}/attachments", headers=auth).get_json()["items"]
    outbox = client.get("/api/outbox", headers=auth).get_json()
    cookies = {}
    for role in ROLES:
        browser = app.test_client()
        assert browser.post("/login", data={"name": role, "password": PASSWORD}).status_code == 302
        cookies[role] = browser.get_cookie("session").value
    with app.app_context():
        with app.test_request_context():
            sig = feedback_signature(ref)
        db.engine.dispose()
    values = {"reference": ref, "task_id": task["id"], "attachment_id": files[0]["id"],
              "key": "complaint_handling", "version": "1", "name": "complainant_reply",
              "incident_id": 1, "outbox_id": (outbox["items"] or [{"id": 1}])[0]["id"],
              "letter_id": (outbox["items"] or [{"id": 1}])[-1]["id"], "mail_id": 1,
              "package": "bpmn-js", "filename": "dist/bpmn-viewer.production.min.js", "token_id": 1,
              "bpmn_id": "StartEvent_1"}
    return {"folder": folder, "template": folder / "template.sqlite", "tokens": tokens, "cookies": cookies,
            "values": values, "ref": ref, "token": token, "sig": sig, "task": task["id"]}


def routes() -> list[tuple[str, str]]:
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"})
    found = set()
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.add((method, rule.endpoint))
    return sorted(found)


ROUTE_LIST = routes()


def test_every_route_has_a_rule_and_every_rule_a_route():
    endpoints = {endpoint for _, endpoint in ROUTE_LIST}
    assert sorted(endpoints - set(ROUTES)) == [], "routes with no rule in policy.ROUTES"
    assert sorted(set(ROUTES) - endpoints) == [], "rules in policy.ROUTES for no route"


def _url(app, rule: Rule, values: dict) -> str:
    with app.test_request_context():
        return url_for(rule.endpoint, **{name: values[name] for name in rule.arguments})


def _request(client: FlaskClient, app, method: str, endpoint: str, prepared: dict, who, with_token: bool):
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint and method in r.methods)
    if endpoint == "static":
        values = {"filename": "style.css"}
    else:
        values = prepared["values"]
    url = _url(app, rule, values)
    spec = BODIES.get(f"{method} {endpoint}", {})
    fill = {"{ref}": prepared["ref"], "{task}": prepared["task"]}

    def filled(value):
        if isinstance(value, dict):
            return {k: filled(v) for k, v in value.items()}
        return fill.get(value, value) if isinstance(value, str) else value

    kwargs: dict = {"headers": {}}
    json_body = filled(spec["json"]) if "json" in spec else None
    form = filled(spec.get("data", {}))
    query: dict = dict(spec.get("query", {}))
    if with_token:
        place = TOKEN_IN.get(f"{method} {endpoint}", "query")
        if place == "json":
            json_body = {**(json_body or {}), "token": prepared["token"]}
        elif place == "form":
            form["token"] = prepared["token"]
        elif place == "sig":
            query["sig"] = prepared["sig"]
        else:
            query["token"] = prepared["token"]
    if spec.get("files"):
        form["files"] = [(io.BytesIO(make.pdf()), "letter.pdf")]
        kwargs["content_type"] = "multipart/form-data"
    if json_body is not None:
        kwargs["json"] = json_body
    elif form or method != "GET":
        kwargs["data"] = form
    if who is not None:
        if url.startswith("/api"):
            kwargs["headers"]["Authorization"] = f"Bearer {prepared['tokens'][who]}"
        else:
            client.set_cookie("session", prepared["cookies"][who])
    response = client.open(url, method=method, query_string=query, **kwargs)
    response.close()  # file downloads are streamed
    return response


def _refused(response, api: bool) -> str | None:
    """How the app said no: 'forbidden', 'sign in', or None when it did not refuse."""
    if response.status_code == 403:
        return "forbidden"
    if response.status_code == 401 or (response.status_code == 302 and "/login?next=" in response.location
                                       and not api):
        return "sign in"
    return None


@pytest.mark.parametrize(("method", "endpoint"), ROUTE_LIST, ids=[f"{m} {e}" for m, e in ROUTE_LIST])
def test_each_role_gets_what_the_policy_says(prepared, method, endpoint, tmp_path):
    access = ROUTES[endpoint]
    path = tmp_path / "copy.sqlite"
    shutil.copy(prepared["template"], path)
    config = settings(path)
    config["ATTACHMENT_FOLDER"] = str(prepared["folder"] / "files")
    app = create_app(config)
    problems = []
    # Refusals first, then those allowed, so that a change one allowed role makes does
    # not turn a later refusal into a 404 or a 409.
    order = sorted(WHO, key=lambda who: who is not None and (
        access.permission is None or policy.roles_allow([who], access.permission)))
    try:
        for who in order:
            with app.test_client() as client:
                response = _request(client, app, method, endpoint, prepared, who, with_token=False)
                api = response.request.path.startswith("/api")
                said = _refused(response, api)
                if response.status_code >= 500 and (method, endpoint) not in UNAVAILABLE:
                    problems.append(f"{who}: {response.status_code}")
                    continue
                if access.permission is None:
                    expected = None
                elif who is None:
                    expected = "sign in"
                else:
                    expected = None if policy.roles_allow([who], access.permission) else "forbidden"
                if access.complainant and access.permission is None:
                    # Without the token the route is closed to everyone alike, never a 2xx.
                    if response.status_code < 300:
                        problems.append(f"{who}: {response.status_code} without the status token")
                    continue
                if said != expected:
                    problems.append(f"{who}: {response.status_code} ({said}), expected {expected or 'allowed'}")
        if access.complainant:
            with app.test_client() as client:
                response = _request(client, app, method, endpoint, prepared, None, with_token=True)
                if response.status_code >= 500 or _refused(response, True):
                    problems.append(f"complainant with the token: {response.status_code}")
    finally:
        with app.app_context():
            db.engine.dispose()
    assert not problems, f"{method} {endpoint}: " + "; ".join(problems)


def test_docs_security_lists_every_permission_with_its_roles():
    text = (HERE.parent / "docs" / "security.md").read_text()
    for permission, roles in policy.PERMISSIONS.items():
        assert f"| `{permission}` | {', '.join(roles)} |" in text, permission
