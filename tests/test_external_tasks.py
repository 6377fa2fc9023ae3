"""External tasks with Camunda 7 semantics (issue 14), through the REST API: a service task
bound by a topic no in-process handler serves waits for a worker that fetches and locks
it, then completes it, reports a failure or throws a BPMN error."""

import threading
from datetime import timedelta

from bpmn_complaints.clock import get_clock, utcnow
from conftest import DIAGRAMS

FETCH = "/api/external-tasks/fetch-and-lock"


def setup(api, topics=("crm_lookup",)):
    assert api.deploy(DIAGRAMS / "external_lookup.bpmn").exit_code == 0
    api.user("alice", groups=["intake"])
    api.user("sam", roles=["staff", "supervisor"])
    api.user("crm", roles=["integration"])
    result = api.runner.invoke(args=["token", "crm", *[a for t in topics for a in ("--topic", t)]])
    assert result.exit_code == 0, result.output
    api.tokens["crm"] = result.output.strip().splitlines()[-1]
    return api.submit()["reference"]


def fetch(api, worker="w1", lock_ms=60_000, max_tasks=1, wait_ms=None, topic="crm_lookup", who="crm"):
    body = {"workerId": worker, "maxTasks": max_tasks, "topics": [{"topicName": topic, "lockDuration": lock_ms}]}
    if wait_ms is not None:
        body["asyncResponseTimeout"] = wait_ms
    response = api.post(FETCH, who, json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def report(api, task_id, what, who="crm", **body):
    return api.post(f"/api/external-tasks/{task_id}/{what}", who, json=body)


def status(api, ref):
    return api.get(f"/api/complaints/{ref}", "sam").get_json()


def test_complete_with_variables_a_gateway_reads(api):
    ref = setup(api)
    assert api.tasks("alice", "group")["total"] == 0
    [task] = fetch(api)
    assert task["topicName"] == "crm_lookup" and task["activityId"] == "Task_lookup" and task["workerId"] == "w1"
    assert task["variables"]["complaint_reference"] == {"value": ref, "type": "String"}
    response = report(api, task["id"], "complete", workerId="w1",
                      variables={"score": {"value": 9, "type": "Integer"}, "crm_id": {"value": "C-1"}})
    assert response.status_code == 204, response.get_json()
    assert api.task_for("alice", ref)["bpmn_id"] == "Task_vip"  # ${score > 5}
    assert fetch(api) == []  # done: nothing left to fetch
    assert report(api, task["id"], "complete", workerId="w1").status_code == 404


def test_a_low_score_takes_the_default_flow(api):
    ref = setup(api)
    [task] = fetch(api)
    assert report(api, task["id"], "complete", workerId="w1", variables={"score": {"value": 2}}).status_code == 204
    assert api.task_for("alice", ref)["bpmn_id"] == "Task_standard"


def test_two_workers_racing_for_one_task_exactly_one_gets_it(api):
    setup(api)
    results, barrier = {}, threading.Barrier(2)

    def race(worker):
        client = api.app.test_client()
        barrier.wait()
        response = client.post(FETCH, headers=api.headers("crm"), json={
            "workerId": worker, "maxTasks": 5, "topics": [{"topicName": "crm_lookup", "lockDuration": 60_000}]})
        results[worker] = response.get_json()

    threads = [threading.Thread(target=race, args=(w,)) for w in ("w1", "w2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    got = sorted(len(tasks) for tasks in results.values())
    assert got == [0, 1], results


def test_lock_expiry_and_takeover(api):
    ref = setup(api)
    [task] = fetch(api, worker="w1", lock_ms=1000)
    assert fetch(api, worker="w2") == []  # locked
    assert report(api, task["id"], "extend-lock", workerId="w2", newDuration=5000).status_code == 409
    with api.app.app_context():
        get_clock().set(utcnow() + timedelta(seconds=2))
    assert report(api, task["id"], "extend-lock", workerId="w1", newDuration=5000).status_code == 409  # expired
    [taken] = fetch(api, worker="w2")
    assert taken["id"] == task["id"] and taken["workerId"] == "w2"
    refused = report(api, task["id"], "complete", workerId="w1")
    assert refused.status_code == 409 and "w2" in refused.get_json()["error"]["message"]
    assert report(api, task["id"], "extend-lock", workerId="w2", newDuration=5000).status_code == 204
    assert report(api, task["id"], "complete", workerId="w2", variables={"score": {"value": 1}}).status_code == 204
    assert api.task_for("alice", ref)["bpmn_id"] == "Task_standard"


def test_failure_with_retries_then_an_incident(api):
    ref = setup(api)
    [task] = fetch(api)
    response = report(api, task["id"], "failure", workerId="w1", errorMessage="CRM timed out", retries=1,
                      retryTimeout=10_000)
    assert response.status_code == 204
    assert fetch(api) == []  # not before the retry timeout
    with api.app.app_context():
        get_clock().set(utcnow() + timedelta(seconds=11))
    [again] = fetch(api)
    assert again["id"] == task["id"] and again["retries"] == 1 and again["errorMessage"] == "CRM timed out"
    assert status(api, ref)["incidents"] == []
    assert report(api, task["id"], "failure", workerId="w1", errorMessage="CRM down", retries=0).status_code == 204
    detail = status(api, ref)
    [incident] = detail["incidents"]
    assert detail["instance_status"] == "error"
    assert incident["bpmn_id"] == "Task_lookup" and incident["handler"] == "crm_lookup"
    assert incident["message"] == "CRM down"
    assert fetch(api) == []
    # A supervisor's retry hands the task back to the external workers.
    assert api.post(f"/api/incidents/{incident['id']}/retry", "sam").status_code == 200
    [fresh] = fetch(api)
    assert report(api, fresh["id"], "complete", workerId="w1", variables={"score": {"value": 7}}).status_code == 204
    assert api.task_for("alice", ref)["bpmn_id"] == "Task_vip"
    assert status(api, ref)["incidents"][0]["resolved_at"] is not None


def test_a_bpmn_error_is_caught_by_the_boundary_event(api):
    ref = setup(api)
    [task] = fetch(api)
    response = report(api, task["id"], "bpmn-error", workerId="w1", errorCode="not_found",
                      errorMessage="no such customer")
    assert response.status_code == 204, response.get_json()
    assert api.task_for("alice", ref)["bpmn_id"] == "Task_by_hand"
    caught = [e for e in api.history(ref, "sam")["events"] if e["action"] == "bpmn_error_caught"]
    assert caught[0]["details"]["caught_by"] == "Boundary_not_found"


def test_an_uncaught_bpmn_error_is_an_incident(api):
    ref = setup(api)
    [task] = fetch(api)
    assert report(api, task["id"], "bpmn-error", workerId="w1", errorCode="other").status_code == 204
    [incident] = status(api, ref)["incidents"]
    assert "not caught" in incident["message"]


def test_a_token_scoped_to_another_topic_is_refused(api):
    setup(api, topics=("billing_sync",))
    refused = api.post(FETCH, "crm", json={"workerId": "w1", "topics": [{"topicName": "crm_lookup",
                                                                          "lockDuration": 1000}]})
    assert refused.status_code == 403 and "crm_lookup" in refused.get_json()["error"]["message"]
    assert fetch(api, topic="billing_sync") == []
    # Staff tokens get nothing from this API at all.
    staff = api.post(FETCH, "alice", json={"workerId": "w1", "topics": [{"topicName": "crm_lookup",
                                                                          "lockDuration": 1000}]})
    assert staff.status_code == 403


def test_long_polling_waits_for_a_task_up_to_its_bound(api):
    api.app.config["EXTERNAL_TASK_MAX_WAIT_SECONDS"] = 0.5
    setup(api)
    fetch(api)  # the only task is now locked
    import time

    started = time.monotonic()
    assert fetch(api, worker="w2", wait_ms=60_000) == []
    assert 0.4 < time.monotonic() - started < 5  # cut to the server's bound
