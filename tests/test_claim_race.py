"""Many people claim one task at the same moment: exactly one wins."""

import threading

from conftest import DIAGRAMS


def test_twenty_threads_claim_one_task(api):
    api.deploy(DIAGRAMS / "simple")
    names = [f"clerk{i}" for i in range(20)]
    for name in names:
        api.user(name, groups=["intake"])
    ref = api.submit()["reference"]
    task_id = api.task_for("clerk0", ref)["id"]

    barrier = threading.Barrier(len(names))
    results = {}

    def claim(name):
        client = api.app.test_client()
        barrier.wait()
        response = client.post(f"/api/tasks/{task_id}/claim", headers={"Authorization": f"Bearer {api.tokens[name]}"})
        results[name] = (response.status_code, response.get_json())

    threads = [threading.Thread(target=claim, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    winners = [n for n, (status, _) in results.items() if status == 200]
    assert len(winners) == 1, results
    losers = [body for n, (status, body) in results.items() if status != 200]
    assert all(body["error"]["code"] == "conflict" for body in losers)
    assert all(body["error"]["details"]["assignee"] == winners[0] for body in losers)
    claims = [e for e in api.history(ref, winners[0])["events"] if e["action"] == "task_claimed"]
    assert len(claims) == 1
