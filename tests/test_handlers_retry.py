"""RetryLater honours the diagram's <spiffworkflow:retry retries backoff_base>: the worker
retries with exponential backoff, and the last failure becomes an incident."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bpmn_complaints.clock import get_clock
from bpmn_complaints.extensions import db
from bpmn_complaints.handlers import RetryLater
from bpmn_complaints.models import Job
from bpmn_complaints.worker import Worker
from conftest import DIAGRAMS

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def setup(api, outcomes):
    """Deploy retrying.bpmn with a crm_update that raises RetryLater while ``outcomes`` says so."""
    calls = []

    def crm_update(ctx):
        calls.append(ctx.attempt)
        if outcomes[len(calls) - 1] == "retry":
            raise RetryLater(f"CRM busy (attempt {ctx.attempt})")
        return {"crm_id": "CRM-7"}

    api.app.extensions["complaints_handlers"].register("crm_update", crm_update)
    with api.app.app_context():
        get_clock().set(MONDAY)
    assert api.deploy(DIAGRAMS / "retrying.bpmn").exit_code == 0
    api.user("alice", groups=["intake"])
    api.user("sam", roles=["staff", "supervisor"])
    reference = api.submit()["reference"]
    assert calls == []  # the submission only wrote the service task's job
    assert api.run_worker() == 1
    return reference, calls


def retry_jobs(api):
    with api.app.app_context():
        jobs = db.session.scalars(select(Job).where(Job.kind == "retry"))
        return [(job.due_at, job.payload["attempts"]) for job in jobs]


def run_worker_at(api, moment) -> int:
    with api.app.app_context():
        get_clock().set(moment)
        return Worker(owner="test").run_once()


def test_retry_later_backs_off_then_succeeds(api):
    ref, calls = setup(api, ["retry", "retry", "ok"])
    detail = api.get(f"/api/complaints/{ref}", "sam").get_json()
    assert detail["instance_status"] != "error" and detail["incidents"] == []
    assert retry_jobs(api) == [(MONDAY + timedelta(seconds=3), 1)]  # backoff_base ** 1

    assert run_worker_at(api, MONDAY + timedelta(seconds=2)) == 0  # not due yet
    # The retry job puts the task back on its service-task job, which the same pass runs.
    assert run_worker_at(api, MONDAY + timedelta(seconds=3)) == 2
    assert retry_jobs(api) == [(MONDAY + timedelta(seconds=3 + 9), 2)]  # backoff_base ** 2
    assert run_worker_at(api, MONDAY + timedelta(seconds=12)) == 2

    assert calls == [1, 2, 3] and retry_jobs(api) == []
    assert api.task_for("alice", ref)["bpmn_id"] == "Task_check"
    actions = [e["action"] for e in api.history(ref, "sam")["events"]]
    assert actions.count("retry_scheduled") == 2 and "incident" not in actions


def test_retries_run_out_into_an_incident(api):
    ref, calls = setup(api, ["retry"] * 3)
    run_worker_at(api, MONDAY + timedelta(seconds=3))
    run_worker_at(api, MONDAY + timedelta(seconds=12))
    assert calls == [1, 2, 3] and retry_jobs(api) == []
    detail = api.get(f"/api/complaints/{ref}", "sam").get_json()
    assert detail["instance_status"] == "error"
    [incident] = detail["incidents"]
    assert incident["attempts"] == 3 and incident["message"] == "CRM busy (attempt 3)"
    assert incident["handler"] == "crm_update"
