"""Drafts through the API: each person keeps their own draft of a task's form while they type.
Who may read and write one, the round trip, deletion on completion, and the personal-data
export and erasure. A draft never reaches the engine's task data."""

import json

import pytest
from sqlalchemy import select

from bpmn_complaints.extensions import db
from bpmn_complaints.models import ProcessInstance, TaskDraft
from conftest import DIAGRAMS
from test_outbox import run_worker, smtp  # noqa: F401  (the real SMTP server fixture)
from test_process_paths import assess, process  # noqa: F401

NOTE = "Dana says the engineer, Mr Okafor, never rang her bell."


@pytest.fixture
def assessing(api):
    """The simple process with one complaint, its assessment claimed by alice."""
    assert api.deploy(DIAGRAMS / "simple").exit_code == 0
    api.user("alice", groups=["intake"])
    api.user("bob", groups=["intake"])
    api.user("ivan", groups=["investigators"])
    api.user("sam", groups=["supervisors"], roles=["staff", "supervisor"])
    api.user("olga", roles=["auditor"])
    ref = api.submit()["reference"]
    task = api.task_for("alice", ref)
    assert api.claim("alice", task["id"]).status_code == 200
    return api, task["id"]


def put(api, who, task_id, data):
    return api.client.put(f"/api/tasks/{task_id}/draft", headers=api.headers(who), json={"data": data})


def draft(api, who, task_id):
    response = api.get(f"/api/tasks/{task_id}/draft", who)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def states(api) -> str:
    with api.app.app_context():
        return json.dumps([i.state for i in db.session.scalars(select(ProcessInstance))])


def test_a_draft_round_trip_is_the_typists_own_and_stays_out_of_the_engine(assessing):
    api, task_id = assessing
    assert draft(api, "alice", task_id) == {"task_id": task_id, "data": None, "updated_at": None}
    saved = put(api, "alice", task_id, {"note": NOTE, "severity": "high"})
    assert saved.status_code == 200, saved.get_json()
    assert saved.get_json()["data"] == {"note": NOTE, "severity": "high"}
    assert saved.get_json()["updated_at"].startswith("20")
    # A later save replaces it (half-done answers are fine: "in_scope" is required but missing).
    assert put(api, "alice", task_id, {"note": NOTE + " Rang twice.", "severity": "high"}).status_code == 200
    assert draft(api, "alice", task_id)["data"] == {"note": NOTE + " Rang twice.", "severity": "high"}
    with api.app.app_context():
        assert db.session.query(TaskDraft).count() == 1
    # Another member of the group, and the supervisor, have their own (none), never alice's.
    assert draft(api, "bob", task_id)["data"] is None
    assert draft(api, "sam", task_id)["data"] is None
    assert NOTE not in states(api)
    # Nor does the task's own JSON show it.
    assert api.get(f"/api/tasks/{task_id}", "alice").get_json()["data"] is None
    assert "/api/tasks/{task_id}/draft" in api.get("/api/openapi.json").get_json()["paths"]


def test_drafts_are_authenticated_and_only_for_those_who_may_work_the_task(assessing):
    api, task_id = assessing
    assert api.client.get(f"/api/tasks/{task_id}/draft").status_code == 401
    assert api.client.put(f"/api/tasks/{task_id}/draft", json={"data": {}}).status_code == 401
    # An investigator cannot see the intake group's task at all; an auditor works no tasks.
    assert api.get(f"/api/tasks/{task_id}/draft", "ivan").status_code == 404
    assert put(api, "ivan", task_id, {"note": "x"}).status_code == 404
    refused = put(api, "olga", task_id, {"note": "x"})
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "forbidden"
    assert api.get(f"/api/tasks/{task_id}/draft", "olga").status_code == 403
    assert put(api, "alice", "no-such-task", {"note": "x"}).status_code == 404


def test_a_draft_holds_only_the_forms_fields_and_has_a_size_limit(assessing):
    api, task_id = assessing
    unknown = put(api, "alice", task_id, {"note": "ok", "password": "x"})
    assert unknown.status_code == 400
    assert unknown.get_json()["error"]["details"] == {"password": ["not a field of this form"]}
    assert put(api, "alice", task_id, "not an object").status_code == 400
    assert api.client.put(f"/api/tasks/{task_id}/draft", headers=api.headers("alice"), json={}).status_code == 400
    api.app.config["DRAFT_MAX_CHARS"] = 50
    too_long = put(api, "alice", task_id, {"note": "x" * 60})
    assert too_long.status_code == 400 and too_long.get_json()["error"]["details"]["data"] == ["at most 50 characters"]
    assert draft(api, "alice", task_id)["data"] is None


def test_completing_the_task_deletes_every_draft_of_it(assessing):
    api, task_id = assessing
    assert put(api, "alice", task_id, {"note": NOTE}).status_code == 200
    assert put(api, "bob", task_id, {"note": "bob's own notes"}).status_code == 200
    assert api.complete("alice", task_id, {"in_scope": True, "severity": "low", "note": "Sent."}).status_code == 200
    with api.app.app_context():
        assert db.session.query(TaskDraft).count() == 0
    late = put(api, "alice", task_id, {"note": NOTE})
    assert late.status_code == 409 and "already completed" in late.get_json()["error"]["message"]
    assert draft(api, "alice", task_id)["data"] is None
    assert NOTE not in states(api)


def test_export_includes_drafts_and_erase_deletes_them(process, smtp):  # noqa: F811
    """A draft left on a task that was cancelled (the complainant withdrew) is personal data
    like any answer: exported, then erased with the complaint."""
    process.user("root", roles=["admin"])
    smtp.start()
    created = process.submit(name="Dana Example", email="dana@example.com")
    ref = created["reference"]
    assess(process, ref)
    task = process.task_for("ivan", ref, scope="mine")
    assert put(process, "ivan", task["id"], {"findings": NOTE}).status_code == 200
    export = process.get(f"/api/complaints/{ref}/personal-data", "sam").get_json()
    exported = [(d["task_id"], d["by"], d["answers"]) for d in export["drafts"]]
    assert exported == [(task["id"], "ivan", {"findings": NOTE})]
    withdrawn = process.post("/api/messages/complainant_withdrew", json={
        "reference": ref, "token": created["status_token"], "payload": {"reason": "Sorted"}})
    assert withdrawn.status_code == 200, withdrawn.get_json()
    assert process.get(f"/api/tasks/{task['id']}", "sam").get_json()["state"] == "cancelled"
    run_worker(process)
    erased = process.post(f"/api/complaints/{ref}/erase", "root", json={"reason": "erasure request"})
    assert erased.status_code == 200, erased.get_json()
    assert erased.get_json()["drafts"] == 1
    with process.app.app_context():
        assert db.session.query(TaskDraft).count() == 0
    after = process.get(f"/api/complaints/{ref}/personal-data", "sam").get_json()
    assert after["drafts"] == []
    assert NOTE not in json.dumps(after) + states(process)
    history = process.history(ref, "sam")
    assert history["chain_intact"] and NOTE not in json.dumps(history["events"])
    erasure = next(e for e in history["events"] if e["action"] == "personal_data_erased")
    assert erasure["details"]["drafts"] == 1
