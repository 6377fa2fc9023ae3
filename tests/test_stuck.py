"""No stuck complaint (#12): a step that fails while a person completes a task rolls the
completion back, answers 422 naming the element and the reason, and opens an incident a
supervisor sees and retries once the cause is fixed. A loop that goes round more often
than SpiffWorkflow follows is an incident too, never a silent wait."""

from conftest import DIAGRAMS


def _people(api):
    api.user("alice", groups=["intake"])
    api.user("sam", groups=["supervisors"], roles=["staff", "supervisor"])


def _fail_completion(api, data=None):
    ref = api.submit()["reference"]
    task = api.task_for("alice", ref)
    assert api.claim("alice", task["id"]).status_code == 200
    answer = api.complete("alice", task["id"], data or {"checked": "yes"})
    return ref, task, answer


def test_a_pre_script_error_is_a_422_and_an_incident_and_the_completion_is_rolled_back(api):
    assert api.deploy(DIAGRAMS / "stuck_prescript.bpmn").exit_code == 0
    _people(api)
    ref, task, answer = _fail_completion(api)
    assert answer.status_code == 422, answer.get_json()
    error = answer.get_json()["error"]
    assert error["code"] == "process_failed"
    assert error["details"]["element"] == "Task_decide"
    assert "nosuch_score" in error["details"]["reason"] and "Pre-Script" in error["details"]["reason"]

    # Rolled back: the task still waits for alice, the trail has no completion.
    assert api.task_for("alice", ref, scope="mine")["id"] == task["id"]
    actions = [e["action"] for e in api.history(ref, "sam")["events"]]
    assert "task_completed" not in actions and "incident" in actions
    # alice's answers are kept as her draft of the task.
    assert api.get(f"/api/tasks/{task['id']}/draft", "alice").get_json()["data"] == {"checked": "yes"}

    [incident] = api.get("/api/incidents", "sam").get_json()
    assert incident["kind"] == "completion" and incident["bpmn_id"] == "Task_decide"
    assert incident["actor"] == "alice" and incident["complaint_reference"] == ref
    assert incident["task_id"] == task["id"]
    detail = api.get(f"/api/complaints/{ref}", "sam").get_json()
    assert [i["id"] for i in detail["incidents"]] == [incident["id"]]

    # A second attempt counts on the same incident; the answer stays 422.
    assert api.complete("alice", task["id"], {"checked": "yes"}).status_code == 422
    [incident] = api.get("/api/incidents", "sam").get_json()
    assert incident["attempts"] == 2
    # A retry before the cause is fixed fails the same way, and says so.
    retried = api.post(f"/api/incidents/{incident['id']}/retry", "sam")
    assert retried.status_code == 422 and retried.get_json()["error"]["details"]["element"] == "Task_decide"
    assert api.get("/api/incidents", "sam").get_json()[0]["attempts"] == 3


def test_a_timer_naming_a_missing_variable_then_set_variable_and_retry_moves_the_complaint_on(api):
    assert api.deploy(DIAGRAMS / "stuck_timer.bpmn").exit_code == 0
    _people(api)
    ref, task, answer = _fail_completion(api)
    assert answer.status_code == 422, answer.get_json()
    assert answer.get_json()["error"]["details"]["element"] == "Timer_wait"
    assert "wait_for" in answer.get_json()["error"]["details"]["reason"]
    [incident] = api.get("/api/incidents", "sam").get_json()
    assert incident["bpmn_id"] == "Timer_wait"

    # The fix: the variable the timer names, set by a supervisor with a reason...
    fixed = api.post(f"/api/complaints/{ref}/variables", "sam",
                     json={"name": "wait_for", "value": "PT2H", "reason": "the diagram expects a wait"})
    assert fixed.status_code == 200, fixed.get_json()
    # ...then the incident's retry completes alice's task with the answers she sent.
    retried = api.post(f"/api/incidents/{incident['id']}/retry", "sam")
    assert retried.status_code == 200, retried.get_json()
    assert retried.get_json()["resolved_by"] == "sam"
    assert api.get("/api/incidents", "sam").get_json() == []
    state = api.get(f"/api/complaints/{ref}/process-state", "sam").get_json()
    assert [t["element"] for t in state["tokens"]] == ["Timer_wait"]
    [timer] = state["timers"]
    assert timer["element"] == "Timer_wait"
    completed = [e for e in api.history(ref, "sam")["events"] if e["action"] == "task_completed"]
    assert [(e["actor"], e["bpmn_id"]) for e in completed] == [("alice", "Task_check")]
    actions = [e["action"] for e in api.history(ref, "sam")["events"]]
    assert actions.index("incident") < actions.index("variable_set") < actions.index("incident_retried") \
        < actions.index("incident_resolved")


def test_a_fixed_version_serves_new_complaints_and_a_stranded_one_is_cancelled_not_withdrawn(api, tmp_path):
    """A definition error is fixed by a new version: new complaints go through. The one
    stranded on the broken version is cancelled with a reason (its own closure reason),
    which resolves its incident; retrying it afterwards is refused."""
    assert api.deploy(DIAGRAMS / "stuck_prescript.bpmn").exit_code == 0
    _people(api)
    ref, task, answer = _fail_completion(api)
    assert answer.status_code == 422
    fixed = tmp_path / "stuck_prescript.bpmn"
    fixed.write_text((DIAGRAMS / "stuck_prescript.bpmn").read_text().replace("nosuch_score(3)", "3"))
    assert "version 2" in api.deploy(fixed).output
    new_ref = api.submit()["reference"]
    api.work("alice", new_ref, {"checked": "yes"})
    assert api.task_for("alice", new_ref)["bpmn_id"] == "Task_decide"

    moved = api.post(f"/api/complaints/{ref}/move", "sam",
                     json={"from": "Task_check", "to": "EndEvent_1", "reason": "x"})
    assert moved.status_code == 409  # an end event is no place for a waiting token
    [incident] = api.get("/api/incidents", "sam").get_json()
    cancelled = api.post(f"/api/complaints/{ref}/cancel", "sam", json={"reason": "v1 cannot run Task_decide"})
    assert cancelled.status_code == 200 and cancelled.get_json()["closure_reason"] == "cancelled"
    assert api.get("/api/incidents", "sam").get_json() == []
    assert api.post(f"/api/incidents/{incident['id']}/retry", "sam").status_code == 409


def test_a_loop_past_spiffworkflows_depth_is_an_incident_not_a_silent_wait(api):
    assert api.deploy(DIAGRAMS / "stuck_loop.bpmn").exit_code == 0
    _people(api)
    ref, _task, answer = _fail_completion(api, {"n": 0})
    assert answer.status_code == 422, answer.get_json()
    details = answer.get_json()["error"]["details"]
    assert details["element"] in ("Script_count", "Gateway_more")
    assert "loops" in details["reason"]
    [incident] = api.get("/api/incidents", "sam").get_json()
    assert incident["complaint_reference"] == ref and "loops" in incident["message"]


def test_a_message_whose_next_step_fails_is_rolled_back_and_resolved_when_sent_again(api):
    assert api.deploy(DIAGRAMS / "stuck_message.bpmn").exit_code == 0
    _people(api)
    ref = api.submit()["reference"]

    def reply(accepted):
        return api.post("/api/messages/complainant_reply", "sam",
                        json={"reference": ref, "channel": "phone", "payload": {"accepted": accepted}})

    failed = reply(False)
    assert failed.status_code == 422, failed.get_json()
    assert failed.get_json()["error"]["details"]["element"] == "Script_ratio"
    assert "division by zero" in failed.get_json()["error"]["details"]["reason"]
    actions = [e["action"] for e in api.history(ref, "sam")["events"]]
    assert "message_received" not in actions and "incident" in actions  # rolled back, incident kept
    [incident] = api.get("/api/incidents", "sam").get_json()
    assert incident["kind"] == "message" and incident["bpmn_id"] == "Script_ratio"
    # A message is not re-sent by a retry (its words were not kept): the retry says so.
    retried = api.post(f"/api/incidents/{incident['id']}/retry", "sam")
    assert retried.status_code == 409 and "sending it again" in retried.get_json()["error"]["message"]
    assert reply(True).status_code in (200, 202)
    assert api.get("/api/incidents", "sam").get_json() == []
    assert api.task_for("sam", ref)["bpmn_id"] == "Task_review"


def test_a_fixed_definition_then_migration_and_retry_moves_the_stranded_complaint_on(api, tmp_path):
    """The whole way out of a definition bug, with nothing falsified: the completion fails
    (422, incident), the process owner deploys a fixed version and migrates the stranded
    complaint to it, and the supervisor's retry sends alice's answers again on the fixed
    version, which resolves the incident and moves the complaint on."""
    assert api.deploy(DIAGRAMS / "stuck_prescript.bpmn").exit_code == 0
    _people(api)
    api.user("otto", roles=["staff", "process_owner"])
    ref, task, answer = _fail_completion(api)
    assert answer.status_code == 422
    fixed = tmp_path / "stuck_prescript.bpmn"
    fixed.write_text((DIAGRAMS / "stuck_prescript.bpmn").read_text().replace("nosuch_score(3)", "3"))
    assert "version 2" in api.deploy(fixed).output

    dry = api.post("/api/definitions/complaint_handling/migrations", "otto", json={"from": 1, "to": 2})
    assert dry.status_code == 200, dry.get_json()
    [row] = dry.get_json()["complaints"]
    assert row["reference"] == ref and row["ok"], row
    done = api.post("/api/definitions/complaint_handling/migrations", "otto",
                    json={"from": 1, "to": 2, "dry_run": False})
    assert done.status_code == 200 and done.get_json()["complaints"][0]["migrated"], done.get_json()

    [incident] = api.get("/api/incidents", "sam").get_json()
    retried = api.post(f"/api/incidents/{incident['id']}/retry", "sam")
    assert retried.status_code == 200, retried.get_json()
    assert api.get("/api/incidents", "sam").get_json() == []
    assert api.task_for("alice", ref)["bpmn_id"] == "Task_decide"
    actions = [e["action"] for e in api.history(ref, "sam")["events"]]
    assert actions.index("instance_migrated") < actions.index("task_completed")
    assert "complaint_withdrawn" not in actions and "complaint_cancelled" not in actions
