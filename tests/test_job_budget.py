"""A handler that runs past its timeout stops, counts as a RetryLater (retried with the
diagram's backoff, an incident once retries run out), and the worker goes on with the
next job (issues 14 and 15)."""

import time
from datetime import timedelta

from sqlalchemy import select

from bpmn_complaints.clock import get_clock
from bpmn_complaints.extensions import db
from bpmn_complaints.models import Job
from conftest import DIAGRAMS
from test_handlers_retry import MONDAY, run_worker_at


def test_a_hanging_handler_stops_at_its_timeout_and_the_worker_goes_on(api):
    api.app.config["HANDLER_TIMEOUT_SECONDS"] = 0.5
    calls = []

    def crm_update(ctx):
        calls.append((ctx.params["reference"], ctx.attempt))
        if ctx.params["reference"] == calls[0][0]:
            while True:  # the first complaint's CRM record never answers
                time.sleep(0.05)
        return {"crm_id": "CRM-7"}

    api.app.extensions["complaints_handlers"].register("crm_update", crm_update)
    with api.app.app_context():
        get_clock().set(MONDAY)
    assert api.deploy(DIAGRAMS / "retrying.bpmn").exit_code == 0  # retries="2" backoff_base="3"
    api.user("alice", groups=["intake"])
    api.user("sam", roles=["staff", "supervisor"])
    first = api.submit()["reference"]
    second = api.submit()["reference"]
    started = time.monotonic()
    assert run_worker_at(api, MONDAY) == 1  # the hung one does not count as run
    assert time.monotonic() - started < 5
    assert [ref for ref, _ in calls] == [first, second]
    assert api.task_for("alice", second)["bpmn_id"] == "Task_check"
    with api.app.app_context():
        [retry] = db.session.scalars(select(Job).where(Job.kind == "retry"))
        assert retry.due_at == MONDAY + timedelta(seconds=3) and "time budget" in retry.last_error

    run_worker_at(api, MONDAY + timedelta(seconds=3))
    run_worker_at(api, MONDAY + timedelta(seconds=12))
    assert calls[2:] == [(first, 2), (first, 3)]
    [incident] = api.get("/api/incidents", "sam").get_json()
    assert incident["handler"] == "crm_update" and incident["bpmn_id"] == "Task_crm"
    assert "time budget of 0.5 s" in incident["message"] and incident["attempts"] == 3
    assert api.get(f"/api/complaints/{first}", "sam").get_json()["instance_status"] == "error"
    assert api.get(f"/api/complaints/{second}", "sam").get_json()["instance_status"] != "error"
