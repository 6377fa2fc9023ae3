"""A failing handler becomes an incident with its real message; a retry recovers."""

from conftest import DIAGRAMS


def test_incident_then_retry(api):
    calls = []

    def crm_update(ctx):
        calls.append(ctx.params["reference"])
        if len(calls) == 1:
            raise ConnectionError("CRM at crm.example.com refused the connection")
        return {"crm_id": "CRM-1"}

    api.app.extensions["complaints_handlers"].register("crm_update", crm_update)
    assert api.deploy(DIAGRAMS / "flaky.bpmn").exit_code == 0
    api.user("alice", groups=["intake"])
    api.user("sam", groups=["supervisors"], roles=["staff", "supervisor"])
    ref = api.submit()["reference"]
    assert api.get(f"/api/complaints/{ref}", "sam").get_json()["incidents"] == []  # not run yet
    assert api.run_worker() == 1

    detail = api.get(f"/api/complaints/{ref}", "sam").get_json()
    assert detail["instance_status"] == "error"
    [incident] = detail["incidents"]
    assert incident["handler"] == "crm_update" and incident["bpmn_id"] == "Task_crm"
    assert "refused the connection" in incident["message"]
    assert "NameError" not in incident["message"] and "script" not in incident["message"]
    assert api.tasks("alice", "group")["total"] == 0
    assert [i["id"] for i in api.get("/api/incidents", "sam").get_json()] == [incident["id"]]

    assert api.post(f"/api/incidents/{incident['id']}/retry", "alice").status_code == 403
    retried = api.post(f"/api/incidents/{incident['id']}/retry", "sam")
    assert retried.status_code == 200, retried.get_json()
    # The retry hands the task back to its job; the incident stays open until it runs.
    assert retried.get_json()["resolved_at"] is None and calls == [ref]
    assert api.run_worker() == 1
    [resolved] = api.get(f"/api/complaints/{ref}", "sam").get_json()["incidents"]
    assert resolved["resolved_by"] == "sam"
    assert calls == [ref, ref]
    assert api.get(f"/api/complaints/{ref}", "sam").get_json()["instance_status"] == "running"
    assert api.task_for("alice", ref)["bpmn_id"] == "Task_check"
    actions = [e["action"] for e in api.history(ref, "sam")["events"]]
    assert actions.index("incident") < actions.index("incident_resolved")


def test_retry_that_fails_again_counts_attempts(api):
    def crm_update(ctx):
        raise RuntimeError("still down")

    api.app.extensions["complaints_handlers"].register("crm_update", crm_update)
    api.deploy(DIAGRAMS / "flaky.bpmn")
    api.user("sam", roles=["supervisor"])
    ref = api.submit()["reference"]
    api.run_worker()
    [incident] = api.get(f"/api/complaints/{ref}", "sam").get_json()["incidents"]
    api.post(f"/api/incidents/{incident['id']}/retry", "sam")
    api.run_worker()
    [incident] = api.get(f"/api/complaints/{ref}", "sam").get_json()["incidents"]
    assert incident["attempts"] == 2 and incident["resolved_at"] is None
    assert "still down" in incident["message"]
