"""Two people complete parallel tasks of one complaint at the same moment: the optimistic
version check makes one of them retry on fresh state, and neither change is lost."""

import threading

from conftest import DIAGRAMS


def test_parallel_completions_are_both_kept(api):
    assert api.deploy(DIAGRAMS / "parallel.bpmn").exit_code == 0
    api.user("anna", groups=["team_a"])
    api.user("bert", groups=["team_b"])
    ref = api.submit()["reference"]
    task_a = api.task_for("anna", ref)
    task_b = api.task_for("bert", ref)
    assert api.claim("anna", task_a["id"]).status_code == 200
    assert api.claim("bert", task_b["id"]).status_code == 200

    barrier = threading.Barrier(2)
    results = {}

    def complete(who, task_id, data):
        client = api.app.test_client()
        barrier.wait()
        response = client.post(f"/api/tasks/{task_id}/complete", json={"data": data},
                               headers={"Authorization": f"Bearer {api.tokens[who]}"})
        results[who] = response.status_code

    threads = [threading.Thread(target=complete, args=("anna", task_a["id"], {"a_ok": True})),
               threading.Thread(target=complete, args=("bert", task_b["id"], {"b_ok": True}))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {"anna": 200, "bert": 200}

    # The join saw both branches: exactly one wrap-up task, and both completions are recorded.
    wrap_up = api.task_for("anna", ref)
    assert wrap_up["bpmn_id"] == "Task_after"
    events = api.history(ref, "anna")["events"]
    assert [e["bpmn_id"] for e in events if e["action"] == "task_completed"] in (
        ["Task_a", "Task_b"], ["Task_b", "Task_a"])
    assert len([e for e in events if e["action"] == "task_created" and e["bpmn_id"] == "Task_after"]) == 1
    api.work("anna", ref, {}, scope="group")
