"""A supervisor reassigns a task while its holder completes it: exactly one of the two
kinds of change wins, the other gets 409 saying what happened, and the trail agrees
with the task's row."""

import threading

from conftest import DIAGRAMS

THREADS = 20
ASSESSMENT = {"in_scope": True, "severity": "low"}


def _race(api, task_id):
    barrier = threading.Barrier(2 * THREADS)
    results = []
    lock = threading.Lock()

    def act(kind):
        # Each request runs in its own app context, with its own client and connection.
        client = api.app.test_client()
        barrier.wait()
        if kind == "assign":
            response = client.post(f"/api/tasks/{task_id}/assign", json={"assignee": "nora"},
                                   headers=api.headers("sam"))
        else:
            response = client.post(f"/api/tasks/{task_id}/complete", json={"data": ASSESSMENT},
                                   headers=api.headers("hana"))
        with lock:
            results.append((kind, response.status_code, response.get_json()))

    threads = [threading.Thread(target=act, args=(kind,)) for kind in ("assign", "complete") * THREADS]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_reassign_and_complete_cannot_both_win(api):
    assert api.deploy(DIAGRAMS / "simple").exit_code == 0
    api.user("hana", groups=["intake"])
    api.user("nora", groups=["intake"])
    api.user("sam", groups=["intake"], roles=("supervisor",))
    ref = api.submit()["reference"]
    task_id = api.task_for("hana", ref)["id"]
    assert api.claim("hana", task_id).status_code == 200

    results = _race(api, task_id)

    assert len(results) == 2 * THREADS
    won = {kind for kind, status, _ in results if status == 200}
    assert len(won) == 1, results
    completed = [r for r in results if r[0] == "complete" and r[1] == 200]
    assigned = [r for r in results if r[0] == "assign" and r[1] == 200]
    losers = [body for _kind, status, body in results if status != 200]
    assert all(body["error"]["code"] == "conflict" for body in losers), losers

    row = api.get(f"/api/tasks/{task_id}", "sam").get_json()
    events = [e for e in api.history(ref, "sam")["events"] if e.get("task_id") == task_id]
    holders = [e["details"]["after"] if e["action"] == "task_assigned" else e["actor"]
               for e in events if e["action"] in ("task_claimed", "task_assigned")]
    completions = [e for e in events if e["action"] == "task_completed"]
    if completed:
        assert len(completed) == 1
        assert row["state"] == "completed" and row["completed_by"] == "hana"
        assert holders == ["hana"]
        assert [e["actor"] for e in completions] == ["hana"]
        assert all(body["error"]["message"] == "this task was just completed by hana"
                   for kind, status, body in results if kind == "assign" and status != 200)
    else:
        assert assigned
        assert row["state"] == "ready" and row["assignee"] == "nora" and row["completed_by"] is None
        assert holders[0] == "hana" and set(holders[1:]) == {"nora"}
        assert completions == []
        assert all(body["error"]["message"] == "this task was just reassigned to nora"
                   and body["error"]["details"]["assignee"] == "nora"
                   for kind, status, body in results if kind == "complete")
    assert holders[-1] == (row["completed_by"] or row["assignee"])


def test_assign_after_completion_says_who_completed(api):
    assert api.deploy(DIAGRAMS / "simple").exit_code == 0
    api.user("hana", groups=["intake"])
    api.user("nora", groups=["intake"])
    api.user("sam", groups=["intake"], roles=("supervisor",))
    ref = api.submit()["reference"]
    task = api.work("hana", ref, ASSESSMENT)
    response = api.post(f"/api/tasks/{task['id']}/assign", "sam", json={"assignee": "nora"})
    assert response.status_code == 409
    assert response.get_json()["error"]["message"] == "this task was just completed by hana"
    assert response.get_json()["error"]["details"] == {"state": "completed", "completed_by": "hana"}
