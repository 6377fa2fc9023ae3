"""A complaint runs end to end through a small diagram, over the public API."""

from conftest import DIAGRAMS


def setup_simple(api):
    result = api.deploy(DIAGRAMS / "simple")
    assert result.exit_code == 0, result.output
    api.user("alice", groups=["intake"])
    api.user("ivan", groups=["investigators"])


def test_full_lifecycle(api):
    setup_simple(api)
    created = api.submit()
    ref = created["reference"]
    assert ref.startswith("C-") and created["status_token"]

    # The acknowledgement ran, and the assessment is offered to the intake group.
    assert api.tasks("ivan", "group")["total"] == 0
    task = api.task_for("alice", ref)
    assert task["bpmn_id"] == "Task_assess" and task["lane"] == "intake" and task["assignee"] is None

    detail = api.get(f"/api/tasks/{task['id']}", "alice").get_json()
    assert detail["form_schema"]["required"] == ["in_scope", "severity"]
    assert detail["instructions"].startswith("Decide")

    assert api.claim("alice", task["id"]).status_code == 200
    assert api.tasks("alice", "mine")["total"] == 1
    assert api.tasks("alice", "group")["total"] == 0
    response = api.complete("alice", task["id"], {"in_scope": True, "severity": "high"})
    assert response.status_code == 200, response.get_json()

    # The gateway routed to the investigators' lane at once.
    assert api.tasks("alice", "group")["total"] == 0
    investigation = api.task_for("ivan", ref)
    assert investigation["bpmn_id"] == "Task_investigate"
    public = api.get(f"/api/complaints/{ref}", query_string={"token": created["status_token"]}).get_json()
    assert public["status"] == "Under investigation"

    api.work("ivan", ref, {"findings": "Double charge confirmed"})
    public = api.get(f"/api/complaints/{ref}", query_string={"token": created["status_token"]}).get_json()
    assert public["state"] == "closed" and public["status"] == "Closed"
    assert [s["status"] for s in public["steps"]] == [
        "Received", "Acknowledged", "Being assessed", "Under investigation", "Closed"]

    trail = api.history(ref, "ivan")
    actions = [e["action"] for e in trail["events"]]
    assert trail["chain_intact"] is True
    for expected in ("complaint_received", "instance_started", "handler_ran", "task_created",
                     "task_claimed", "task_completed", "complaint_closed"):
        assert expected in actions, expected
    assert actions.index("task_claimed") < actions.index("task_completed")


def test_out_of_scope_path_and_wrong_token(api):
    setup_simple(api)
    created = api.submit()
    api.work("alice", created["reference"], {"in_scope": False, "severity": "low"})
    assert api.tasks("ivan", "group")["total"] == 0
    wrong = api.get(f"/api/complaints/{created['reference']}", query_string={"token": "nope"})
    assert wrong.status_code == 404
    assert wrong.get_json()["error"]["code"] == "not_found"


def test_claim_conflicts_and_completion_rules(api):
    setup_simple(api)
    api.user("bob", groups=["intake"])
    ref = api.submit()["reference"]
    task = api.task_for("alice", ref)

    assert api.claim("alice", task["id"]).status_code == 200
    again = api.claim("alice", task["id"])
    assert again.status_code == 200 and again.get_json()["assignee"] == "alice"

    taken = api.claim("bob", task["id"])
    assert taken.status_code == 409
    assert taken.get_json()["error"]["details"]["assignee"] == "alice"
    assert "alice" in taken.get_json()["error"]["message"]

    not_mine = api.complete("bob", task["id"], {"in_scope": True, "severity": "low"})
    assert not_mine.status_code == 409

    bad = api.complete("alice", task["id"], {"severity": "catastrophic"})
    assert bad.status_code == 400
    fields = bad.get_json()["error"]["details"]
    assert set(fields) == {"in_scope", "severity"}
    # Nothing moved: the task is still Alice's and ready.
    assert api.get(f"/api/tasks/{task['id']}", "alice").get_json()["state"] == "ready"


def test_unclaim_and_supervisor_assign(api):
    setup_simple(api)
    api.user("sam", groups=["supervisors"], roles=["staff", "supervisor"])
    ref = api.submit()["reference"]
    task = api.task_for("alice", ref)
    api.claim("alice", task["id"])
    assert api.post(f"/api/tasks/{task['id']}/unclaim", "alice").get_json()["assignee"] is None
    forbidden = api.post(f"/api/tasks/{task['id']}/assign", "alice", json={"assignee": "alice"})
    assert forbidden.status_code == 403
    assigned = api.post(f"/api/tasks/{task['id']}/assign", "sam", json={"assignee": "alice"})
    assert assigned.status_code == 200 and assigned.get_json()["assignee"] == "alice"
    assert api.tasks("sam", "all")["total"] == 1
    assert api.get("/api/tasks", "alice", query_string={"scope": "all"}).status_code == 403
    comment = api.post(f"/api/tasks/{task['id']}/comments", "alice", json={"body": "Called the customer"})
    assert comment.status_code == 201
    actions = [e["action"] for e in api.history(ref, "sam")["events"]]
    assert {"task_unclaimed", "task_assigned", "comment_added"} <= set(actions)


def test_api_needs_a_token_and_the_right_role(api):
    setup_simple(api)
    assert api.get("/api/tasks").status_code == 401
    assert api.get("/api/tasks").get_json()["error"]["code"] == "unauthorized"
    assert api.client.get("/api/tasks", headers={"Authorization": "Bearer forged"}).status_code == 401
    assert api.get("/api/definitions", "alice").status_code == 403
    assert api.get("/api/complaints", "alice").status_code == 200


def test_staff_see_only_complaints_they_work_on(api):
    setup_simple(api)
    api.user("quinn", roles=["auditor"])
    ref = api.submit()["reference"]
    assert api.get(f"/api/complaints/{ref}", "ivan").status_code == 404
    assert api.get(f"/api/complaints/{ref}", "alice").status_code == 200
    detail = api.get(f"/api/complaints/{ref}", "quinn").get_json()
    assert detail["email"] == "dana@example.com" and detail["definition_version"] == 1
    assert api.get("/api/complaints", "ivan").get_json()["total"] == 0


def test_bad_submission_is_400_with_fields(api):
    setup_simple(api)
    response = api.post("/api/complaints", json={"name": "", "email": "not-an-email"})
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "validation_failed"
    assert {"name", "email", "description"} <= set(error["details"])


def test_openapi_document(client):
    spec = client.get("/api/openapi.json").get_json()
    assert "/api/tasks/{task_id}/claim" in spec["paths"]
    assert "/api/complaints" in spec["paths"]


def test_public_submissions_are_rate_limited_per_address(api):
    setup_simple(api)
    api.app.config["SUBMIT_RATE_LIMIT"] = "2 per minute"
    body = {"name": "Dana", "email": "dana@example.com", "description": "Charged twice."}
    assert [api.post("/api/complaints", json=body).status_code for _ in range(2)] == [201, 201]
    blocked = api.post("/api/complaints", json=body)
    assert blocked.status_code == 429
    assert blocked.get_json()["error"]["code"] == "too_many_requests"
    other_address = api.client.post("/api/complaints", json=body, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other_address.status_code == 201
    # Staff entering a phone or letter complaint are not limited by their address.
    api.user("alice", groups=["intake"])
    entered = api.post("/api/complaints", "alice", json={**body, "channel": "phone"})
    assert entered.status_code == 201


def test_complete_claims_an_unclaimed_task_in_the_same_change(api):
    setup_simple(api)
    api.user("bob", groups=["intake"])
    api.user("olga", groups=["investigators"])
    ref = api.submit()["reference"]
    task = api.task_for("alice", ref)
    # Someone outside the task's group may not take it by completing it.
    outsider = api.complete("olga", task["id"], {"in_scope": True, "severity": "low"})
    assert outsider.status_code == 404  # not even theirs to see
    # Bad data: nothing changes, not even the claim.
    bad = api.complete("bob", task["id"], {"severity": "catastrophic"})
    assert bad.status_code == 400
    assert api.get(f"/api/tasks/{task['id']}", "alice").get_json()["assignee"] is None
    done = api.complete("bob", task["id"], {"in_scope": True, "severity": "low"})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["completed_by"] == "bob"
    trail = api.history(ref, "bob")
    actions = [(e["action"], e["actor"]) for e in trail["events"]]
    claimed = actions.index(("task_claimed", "bob"))
    assert actions.index(("task_completed", "bob")) > claimed
