import shutil
from pathlib import Path

import pytest

R = Path("/tmp/repair")


def _deploy(api, tmp_path, name):
    d = tmp_path / name
    d.mkdir()
    shutil.copy(R / name, d / "p.bpmn")
    result = api.deploy(d)
    print(result.output)
    return result


@pytest.mark.parametrize("name,data", [("prescript_bad.bpmn", {}), ("timer_var.bpmn", {}), ("loop.bpmn", {"n": 0})])
def test_repro(api, tmp_path, name, data):
    _deploy(api, tmp_path, name)
    api.user("alice", groups=["intake"])
    api.user("sam", groups=["supervisors"], roles=["staff", "supervisor"])
    ref = api.submit()["reference"]
    task = api.task_for("alice", ref)
    api.claim("alice", task["id"])
    r = api.complete("alice", task["id"], data)
    print(name, r.status_code, r.get_json())
    d = api.get(f"/api/complaints/{ref}", "sam").get_json()
    print(d["instance_status"], d["incidents"])
    print(api.get("/api/incidents", "sam").get_json())
