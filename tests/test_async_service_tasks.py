"""Service tasks never run inside a person's request (issue 14): the change that reaches
one writes its job and answers; the worker runs the handler and moves the process on.
Handlers registered as inline (pure and fast) still run at once."""

import time

from sqlalchemy import select

from bpmn_complaints.extensions import db
from bpmn_complaints.handlers.spec import handler_options
from bpmn_complaints.models import Job
from conftest import DIAGRAMS

HANG = 5.0  # seconds the hung CRM takes; its timeout is far shorter
FAST = HANG / 2  # a request that ran the handler would take HANG at least (a loaded machine is slow too)


def setup(api, crm_update):
    api.app.config["HANDLER_TIMEOUT_SECONDS"] = 0.3
    api.app.extensions["complaints_handlers"].register("crm_update", crm_update)
    assert api.deploy(DIAGRAMS / "crm_twice.bpmn").exit_code == 0
    api.user("alice", groups=["intake"])
    api.user("sam", roles=["staff", "supervisor"])


def service_jobs(api):
    with api.app.app_context():
        return [job.payload["handler"] for job in db.session.scalars(select(Job).where(Job.kind == "service_task"))]


def timed(call):
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def test_a_hanging_handler_never_holds_up_a_submission_or_a_completion(api):
    calls, hung = [], {"Task_crm", "Task_crm_again"}

    def crm_update(ctx):
        calls.append(ctx.task.bpmn_id)
        if ctx.task.bpmn_id in hung:
            time.sleep(HANG)  # past its timeout: the worker stops it
        return {"ticket": f"T-{ctx.params['reference']}"}

    setup(api, crm_update)
    created, took = timed(api.submit)  # the CRM hangs on every call now
    ref = created["reference"]
    assert took < FAST and calls == [] and service_jobs(api) == ["crm_update"]
    hung.discard("Task_crm")  # it answers again before the worker gets to it

    assert api.run_worker() == 1 and calls == ["Task_crm"]
    task = api.task_for("alice", ref)  # the worker moved the process on to the person's task
    assert task["bpmn_id"] == "Task_check"

    assert api.claim("alice", task["id"]).status_code == 200
    response, took = timed(lambda: api.complete("alice", task["id"], {}))
    assert response.status_code == 200 and took < FAST
    assert calls == ["Task_crm"] and service_jobs(api) == ["crm_update"]

    started = time.monotonic()
    api.run_worker()  # the worker stops the hung call at its timeout
    assert time.monotonic() - started < HANG
    detail = api.get(f"/api/complaints/{ref}", "sam").get_json()
    [incident] = detail["incidents"]  # no retries in the diagram: an incident at once
    assert incident["bpmn_id"] == "Task_crm_again" and "time budget of 0.3 s" in incident["message"]
    assert detail["instance_status"] == "error"


def test_the_result_reaches_the_next_step_through_the_worker(api):
    setup(api, lambda ctx: {"ticket": f"T-{ctx.params['reference']}"})
    ref = api.submit()["reference"]
    assert api.tasks("alice", "group")["total"] == 0  # nothing for a person until the worker ran
    api.run_worker()
    ran = [e for e in api.history(ref, "sam")["events"] if e["action"] == "handler_ran"]
    assert [(e["bpmn_id"], e["details"]["attempt"]) for e in ran] == [("Task_crm", 1)]
    api.work("alice", ref, {})
    api.run_worker()
    assert api.task_for("alice", ref)["bpmn_id"] == "Task_review"
    assert service_jobs(api) == []


def test_an_inline_handler_runs_in_the_submission(api):
    calls = []

    @handler_options(inline=True)
    def crm_update(ctx):
        calls.append(ctx.task.bpmn_id)
        return {}

    setup(api, crm_update)
    ref = api.submit()["reference"]
    assert calls == ["Task_crm"] and service_jobs(api) == []
    assert api.task_for("alice", ref)["bpmn_id"] == "Task_check"
