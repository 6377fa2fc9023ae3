"""A handler's BpmnError is caught by the boundary error event with its code (or by a
catch-all one) on the same service task; an error nobody catches is an incident."""

from uuid import UUID

from sqlalchemy import select

from bpmn_complaints.engine import runtime
from bpmn_complaints.extensions import db
from bpmn_complaints.handlers import BpmnError
from bpmn_complaints.models import Complaint, ProcessInstance
from conftest import DIAGRAMS


def setup(api, raise_code=None, writes=None):
    """Deploy bpmn_error.bpmn with a crm_update that raises BpmnError(raise_code)."""
    calls = []

    def crm_update(ctx):
        calls.append(ctx.attempt)
        if writes is not None:
            writes(ctx)
        if raise_code:
            raise BpmnError(raise_code, f"CRM says {raise_code} for {ctx.params['reference']}")
        return {"crm_id": "CRM-7"}

    api.app.extensions["complaints_handlers"].register("crm_update", crm_update)
    assert api.deploy(DIAGRAMS / "bpmn_error.bpmn").exit_code == 0
    api.user("alice", groups=["intake"])
    api.user("sam", roles=["staff", "supervisor"])
    reference = api.submit()["reference"]
    api.run_worker()  # the worker runs the deferred service task
    return reference, calls


def task_detail(api, who, reference):
    """The ready task in ``who``'s group inbox, with the process data it was given."""
    task = api.task_for(who, reference)
    with api.app.app_context():
        complaint = db.session.scalars(select(Complaint).where(Complaint.reference == reference)).one()
        instance = db.session.scalars(select(ProcessInstance).where(ProcessInstance.complaint_id == complaint.id)).one()
        session = runtime.load(instance, "test")
        task["data"] = session.workflow.get_task_from_id(UUID(task["id"])).data
    return task


def test_no_error_takes_the_normal_path(api):
    ref, calls = setup(api)
    assert api.task_for("alice", ref)["bpmn_id"] == "Task_check"
    assert calls == [1]


def test_error_with_a_code_goes_down_its_boundary_event(api):
    ref, calls = setup(api, "crm_not_found")
    detail = api.get(f"/api/complaints/{ref}", "sam").get_json()
    assert detail["instance_status"] == "running" and detail["incidents"] == []
    task = task_detail(api, "alice", ref)
    assert task["bpmn_id"] == "Task_by_hand"
    expected = {"code": "crm_not_found", "message": f"CRM says crm_not_found for {ref}", "task": "Task_crm"}
    # The error reaches the path as data: under bpmn_error always, and under the
    # variable the bpmn:error names (spiffworkflow:variableName).
    assert task["data"]["bpmn_error"] == expected
    assert task["data"]["crm_error"] == expected
    assert "crm" not in task["data"]  # the service task produced no result
    events = api.history(ref, "sam")["events"]
    [caught] = [e for e in events if e["action"] == "bpmn_error_caught"]
    assert caught["details"]["code"] == "crm_not_found"
    assert caught["details"]["caught_by"] == "Boundary_not_found"
    assert caught["details"]["handler"] == "crm_update"
    assert "Task_check" not in {e["details"].get("bpmn_id") for e in events}
    assert calls == [1]

    api.work("alice", ref, {})
    assert api.get(f"/api/complaints/{ref}", "sam").get_json()["instance_status"] == "completed"


def test_other_codes_go_to_the_catch_all_boundary_event(api):
    ref, _ = setup(api, "crm_locked")
    task = task_detail(api, "alice", ref)
    assert task["bpmn_id"] == "Task_other"
    assert task["data"]["bpmn_error"]["code"] == "crm_locked"
    assert "crm_error" not in task["data"]


def test_what_a_failing_handler_wrote_is_undone(api):
    def writes(ctx):
        ctx.services.record("crm_half_written", note="written before the error")
        ctx.services.email("dana@example.com", "notification", title="CRM", message="Half written.",
                           task_name="CRM", staff_link="http://x/")

    ref, _ = setup(api, "crm_not_found", writes=writes)
    assert api.task_for("alice", ref)["bpmn_id"] == "Task_by_hand"
    actions = [e["action"] for e in api.history(ref, "sam")["events"]]
    assert "bpmn_error_caught" in actions and "crm_half_written" not in actions
    assert api.get("/api/outbox", "sam").get_json()["items"] == []


def test_an_error_no_boundary_event_catches_is_an_incident(api):
    def crm_update(ctx):
        raise BpmnError("crm_not_found", "no such customer")

    api.app.extensions["complaints_handlers"].register("crm_update", crm_update)
    assert api.deploy(DIAGRAMS / "retrying.bpmn").exit_code == 0  # Task_crm has no boundary events
    api.user("sam", roles=["staff", "supervisor"])
    ref = api.submit()["reference"]
    api.run_worker()
    detail = api.get(f"/api/complaints/{ref}", "sam").get_json()
    assert detail["instance_status"] == "error"
    [incident] = detail["incidents"]
    assert incident["bpmn_id"] == "Task_crm" and incident["handler"] == "crm_update"
    assert incident["message"] == ("BPMN error 'crm_not_found' (no such customer) is not caught: "
                                   "no boundary error event on Task_crm has that error code")
