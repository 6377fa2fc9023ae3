"""A supervisor's repair tools (#13), through the API: a complaint's process state (where
it waits, its variables, its pending timers), set a variable, move a waiting token,
cancel; each needs a reason, is audited, and is refused to other roles."""

from datetime import datetime

from conftest import DIAGRAMS


def _people(api):
    api.user("alice", groups=["intake"])
    api.user("sam", groups=["supervisors"], roles=["staff", "supervisor"])
    api.user("audrey", roles=["auditor"])


def _events(api, ref, action):
    return [e for e in api.history(ref, "sam")["events"] if e["action"] == action]


def test_process_state_shows_tokens_variables_and_timers_with_due_dates(api):
    api.deploy(DIAGRAMS / "wait.bpmn")
    _people(api)
    ref = api.submit()["reference"]
    assert api.get(f"/api/complaints/{ref}/process-state", "alice").status_code == 403
    state = api.get(f"/api/complaints/{ref}/process-state", "audrey")
    assert state.status_code == 200, state.get_json()
    body = state.get_json()
    assert body["status"] == "waiting" and body["definition"] == "complaint_handling v1"
    [token] = body["tokens"]
    assert token["element"] == "Timer_hour" and token["state"] == "waiting"
    [timer] = body["timers"]
    assert timer["element"] == "Timer_hour" and timer["name"] == "An hour later"
    history = api.history(ref, "sam")["events"]
    started = datetime.fromisoformat(history[0]["at"])
    due = datetime.fromisoformat(timer["due_at"])
    assert 3590 <= (due - started).total_seconds() <= 3610
    assert body["variables"]["category"] == "billing"


def test_set_variable_needs_a_reason_and_a_supervisor_and_is_audited(api):
    api.deploy(DIAGRAMS / "wait.bpmn")
    _people(api)
    ref = api.submit()["reference"]
    body = {"name": "severity", "value": "high", "reason": "phoned in: a safety issue"}
    assert api.post(f"/api/complaints/{ref}/variables", "alice", json=body).status_code == 403
    assert api.post(f"/api/complaints/{ref}/variables", "audrey", json=body).status_code == 403
    assert api.post(f"/api/complaints/{ref}/variables", "sam", json={**body, "reason": " "}).status_code == 400
    assert api.post(f"/api/complaints/{ref}/variables", "sam", json={**body, "name": "__class__"}).status_code == 400
    done = api.post(f"/api/complaints/{ref}/variables", "sam", json=body)
    assert done.status_code == 200, done.get_json()
    state = api.get(f"/api/complaints/{ref}/process-state", "sam").get_json()
    assert state["variables"]["severity"] == "high"
    [event] = _events(api, ref, "variable_set")
    assert event["actor"] == "sam"
    assert event["details"]["name"] == "severity" and event["details"]["after"] == "high"
    assert event["details"]["before"] is None and event["details"]["reason"] == "phoned in: a safety issue"


def test_move_a_waiting_token_to_another_element(api):
    api.deploy(DIAGRAMS / "wait.bpmn")
    _people(api)
    ref = api.submit()["reference"]
    move = {"from": "Timer_hour", "to": "Task_follow_up", "reason": "the customer called back already"}
    assert api.post(f"/api/complaints/{ref}/move", "alice", json=move).status_code == 403
    assert api.post(f"/api/complaints/{ref}/move", "sam", json={**move, "from": "Task_follow_up"}).status_code == 409
    refused = api.post(f"/api/complaints/{ref}/move", "sam", json={**move, "to": "StartEvent_1"})
    assert refused.status_code == 409 and "StartEvent_1" in refused.get_json()["error"]["message"]
    assert api.post(f"/api/complaints/{ref}/move", "sam", json={**move, "to": "Nowhere"}).status_code == 409
    done = api.post(f"/api/complaints/{ref}/move", "sam", json=move)
    assert done.status_code == 200, done.get_json()
    assert api.task_for("alice", ref)["bpmn_id"] == "Task_follow_up"
    state = api.get(f"/api/complaints/{ref}/process-state", "sam").get_json()
    assert [t["element"] for t in state["tokens"]] == ["Task_follow_up"] and state["timers"] == []
    [event] = _events(api, ref, "token_moved")
    assert event["actor"] == "sam" and event["details"]["before"] == "Timer_hour"
    assert event["details"]["after"] == "Task_follow_up" and event["details"]["reason"] == move["reason"]
    # The moved-to task works as any other: the process ends after it.
    api.work("alice", ref, {})
    assert api.get(f"/api/complaints/{ref}", "sam").get_json()["instance_status"] == "completed"


def test_move_a_token_back_to_a_timer_restarts_it(api):
    api.deploy(DIAGRAMS / "wait.bpmn")
    _people(api)
    ref = api.submit()["reference"]
    api.post(f"/api/complaints/{ref}/move", "sam", json={"from": "Timer_hour", "to": "Task_follow_up", "reason": "a"})
    back = api.post(f"/api/complaints/{ref}/move", "sam",
                    json={"from": "Task_follow_up", "to": "Timer_hour", "reason": "too early after all"})
    assert back.status_code == 200, back.get_json()
    state = api.get(f"/api/complaints/{ref}/process-state", "sam").get_json()
    assert [t["element"] for t in state["timers"]] == ["Timer_hour"]
    assert api.tasks("alice", "group")["total"] == 0


def test_cancel_closes_as_cancelled_never_withdrawn(api):
    api.deploy(DIAGRAMS / "wait.bpmn")
    _people(api)
    ref = api.submit()["reference"]
    assert api.post(f"/api/complaints/{ref}/cancel", "alice", json={"reason": "x"}).status_code == 403
    assert api.post(f"/api/complaints/{ref}/cancel", "sam", json={}).status_code == 400
    done = api.post(f"/api/complaints/{ref}/cancel", "sam", json={"reason": "entered twice by mistake"})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["state"] == "closed" and done.get_json()["closure_reason"] == "cancelled"
    detail = api.get(f"/api/complaints/{ref}", "sam").get_json()
    assert detail["instance_status"] == "completed"
    [event] = _events(api, ref, "complaint_cancelled")
    assert event["actor"] == "sam" and event["details"]["reason"] == "entered twice by mistake"
    assert [e["details"]["reason"] for e in _events(api, ref, "complaint_closed")] == ["cancelled"]
    assert api.post(f"/api/complaints/{ref}/cancel", "sam", json={"reason": "again"}).status_code == 409
    assert api.post(f"/api/complaints/{ref}/variables", "sam",
                    json={"name": "x", "value": 1, "reason": "late"}).status_code == 409


def test_retrying_the_incident_of_a_closed_complaint_is_refused(api):
    """Before: closing a stranded complaint (here as a duplicate) and then retrying its
    incident answered 200 and put the closed complaint back in error."""
    api.app.extensions["complaints_handlers"].register("crm_update", lambda ctx: 1 / 0)
    api.deploy(DIAGRAMS / "flaky.bpmn")
    _people(api)
    other = api.submit()["reference"]
    ref = api.submit()["reference"]
    api.run_worker()  # the service task runs in the worker, and fails there
    [incident] = api.get(f"/api/complaints/{ref}", "sam").get_json()["incidents"]
    closed = api.post(f"/api/complaints/{ref}/duplicate", "sam", json={"original": other, "note": ""})
    assert closed.status_code == 200, closed.get_json()
    retried = api.post(f"/api/incidents/{incident['id']}/retry", "sam")
    assert retried.status_code == 409 and "closed" in retried.get_json()["error"]["message"]
    assert api.get(f"/api/complaints/{ref}", "sam").get_json()["instance_status"] == "completed"


def test_move_a_failed_service_task_on_resolves_its_incident(api):
    api.app.extensions["complaints_handlers"].register("crm_update", lambda ctx: 1 / 0)
    api.deploy(DIAGRAMS / "flaky.bpmn")
    _people(api)
    ref = api.submit()["reference"]
    api.run_worker()  # the service task runs in the worker, and fails there
    assert api.get(f"/api/complaints/{ref}", "sam").get_json()["instance_status"] == "error"
    done = api.post(f"/api/complaints/{ref}/move", "sam",
                    json={"from": "Task_crm", "to": "Task_check", "reason": "CRM updated by hand"})
    assert done.status_code == 200, done.get_json()
    detail = api.get(f"/api/complaints/{ref}", "sam").get_json()
    assert detail["instance_status"] == "running"
    assert [i["resolved_by"] for i in detail["incidents"]] == ["sam"]
    assert api.task_for("alice", ref)["bpmn_id"] == "Task_check"
