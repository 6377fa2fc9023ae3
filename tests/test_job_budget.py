"""A job that runs past JOB_TIME_BUDGET_SECONDS stops, becomes an incident at once, and the
worker goes on with the next job (issue 15)."""

import time
from datetime import timedelta

from bpmn_complaints.clock import get_clock
from bpmn_complaints.handlers import RetryLater
from conftest import DIAGRAMS
from test_handlers_retry import MONDAY, run_worker_at


def test_a_hanging_job_becomes_an_incident_and_the_worker_goes_on(api):
    api.app.config["JOB_TIME_BUDGET_SECONDS"] = 0.5
    calls = []

    def crm_update(ctx):
        calls.append(ctx.attempt)
        if len(calls) <= 2:
            raise RetryLater("CRM busy")
        if len(calls) == 3:
            while True:  # the CRM never answers
                time.sleep(0.05)
        return {"crm_id": "CRM-7"}

    api.app.extensions["complaints_handlers"].register("crm_update", crm_update)
    with api.app.app_context():
        get_clock().set(MONDAY)
    assert api.deploy(DIAGRAMS / "retrying.bpmn").exit_code == 0
    api.user("alice", groups=["intake"])
    api.user("sam", roles=["staff", "supervisor"])
    first = api.submit()["reference"]
    second = api.submit()["reference"]
    started = time.monotonic()
    assert run_worker_at(api, MONDAY + timedelta(minutes=5)) == 1
    assert time.monotonic() - started < 5
    assert len(calls) == 4
    incidents = api.get("/api/incidents", "sam").get_json()
    assert len(incidents) == 1 and "time budget" in incidents[0]["message"], incidents
    assert api.get(f"/api/complaints/{first}", "sam").get_json()["instance_status"] == "error"
    assert api.get(f"/api/complaints/{second}", "sam").get_json()["instance_status"] != "error"
