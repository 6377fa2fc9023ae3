"""The ISO 10002 complaint process in processes/, run down every path through the public
API, with time moved by the test (no sleeping). Each test checks the audit trail and the
closure reason."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bpmn_complaints.clock import get_clock
from bpmn_complaints.worker import Worker

PROCESSES = Path(__file__).resolve().parents[1] / "processes"
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

ASSESSMENT = {
    "is_complaint": True, "in_scope": True, "category": "billing", "severity": "low",
    "safety_implication": False, "impact": "single", "complexity": "simple",
    "immediate_action_needed": False, "resolvable_at_once": False,
}
INVESTIGATION = {
    "findings": "We charged the October fee twice.", "outcome": "upheld", "root_cause": "system_error",
    "response_decision": "We will refund the second charge.",
    "response_explanation": "A billing run was repeated by mistake.", "proposed_remedy": "refund",
    "remedy_amount": 39.5, "corrective_action": "Guard the billing run against repeats.",
}
RECORD_ACTION = {"action_taken": "Refund of 39.50 paid.", "action_completed_on": "2026-12-01",
                 "corrective_action_status": "done"}


@pytest.fixture
def process(api):
    with api.app.app_context():
        get_clock().set(MONDAY)
    result = api.runner.invoke(args=["deploy", str(PROCESSES)])
    assert result.exit_code == 0, result.output
    api.user("alice", groups=["intake"])
    api.user("ivan", groups=["investigators"], skills=["billing"])
    api.user("sam", groups=["supervisors"], roles=["staff", "supervisor"])
    api.user("sue", groups=["supervisors"], roles=["staff", "supervisor"])
    return api


def advance(api, **delta):
    with api.app.app_context():
        get_clock().advance(**delta)
        return Worker(owner="test").run_once()


def assess(api, ref, **answers):
    api.work("alice", ref, {**ASSESSMENT, **answers})


def trail(api, ref):
    history = api.history(ref, "sam")
    assert history["chain_intact"], history["chain_problems"]
    return history["events"]


def closed_with(api, ref, reason):
    detail = api.get(f"/api/complaints/{ref}", "sam").get_json()
    assert detail["state"] == "closed", detail
    assert detail["closure_reason"] == reason
    assert detail["instance_status"] == "completed"
    assert not [t for t in detail["tasks"] if t["state"] == "ready"]
    events = trail(api, ref)
    closes = [e for e in events if e["action"] == "complaint_closed"]
    assert [e["details"]["reason"] for e in closes] == [reason]
    steps = [e["bpmn_id"] for e in events if e["action"] == "step_completed"]
    assert "Task_request_feedback" in steps or "Task_feedback_withdrawn" in steps
    return events


def steps(events):
    return [e["bpmn_id"] for e in events if e["action"] in ("step_completed", "timer_fired", "task_completed")]


def investigate(api, ref, who="ivan", **answers):
    task = api.task_for(who, ref, scope="mine")
    assert task["bpmn_id"] == "Task_investigate"
    response = api.complete(who, task["id"], {**INVESTIGATION, **answers})
    assert response.status_code == 200, response.get_json()


def reply(api, created, accepted):
    response = api.post("/api/messages/complainant_reply", json={
        "reference": created["reference"], "token": created["status_token"],
        "payload": {"accepted": accepted, "comment": "ok" if accepted else "Not good enough"}})
    assert response.status_code == 200, response.get_json()


def test_out_of_scope_is_explained_and_closed(process):
    ref = process.submit()["reference"]
    assess(process, ref, in_scope=False, out_of_scope_explanation="We do not sell that product.",
           signpost_to="The manufacturer's customer service")
    events = closed_with(process, ref, "out_of_scope")
    assert steps(events).index("Task_signpost") < steps(events).index("Task_close_out_of_scope")
    assert "Task_assign_investigator" not in steps(events)


def test_summary_resolution(process):
    ref = process.submit()["reference"]
    assess(process, ref, resolvable_at_once=True)
    process.work("alice", ref, {"resolution_summary": "Refunded on the phone.", "remedy_type": "refund",
                                "complainant_satisfied": True})
    events = closed_with(process, ref, "summary_resolution")
    assert "Task_send_summary_resolution" in steps(events)
    assert "Task_investigate" not in steps(events)


def test_safety_case_takes_the_fast_path(process):
    ref = process.submit(category="safety", description="The kettle handle melted.")["reference"]
    assess(process, ref, category="safety", severity="high", safety_implication=True)
    action = process.task_for("sam", ref)
    assert action["bpmn_id"] == "Task_immediate_action" and action["lane"] == "supervisors"
    assert action["priority"] == "urgent"
    process.work("sam", ref, {"immediate_action_type": "product_withdrawn",
                              "immediate_action_details": "Batch 42 withdrawn.", "authority_notified": True})
    task = process.task_for("ivan", ref, scope="mine")
    assert task["bpmn_id"] == "Task_investigate" and task["priority"] == "urgent"
    order = steps(trail(process, ref))
    assert order.index("Task_immediate_action") < order.index("Task_assign_investigator")


def test_investigation_with_approval_rejected_once_then_accepted_by_reply(process):
    created = process.submit()
    ref = created["reference"]
    assess(process, ref, severity="high")
    investigate(process, ref)
    approval = process.task_for("sam", ref)
    assert approval["bpmn_id"] == "Task_approve_response"
    process.work("sam", ref, {"approval_decision": "reject", "approval_comment": "Offer an apology too."})
    investigate(process, ref, response_decision="We will refund and we apologise.")
    process.work("sue", ref, {"approval_decision": "approve"})
    status = process.get(f"/api/complaints/{ref}", query_string={"token": created["status_token"]}).get_json()
    assert status["status"] == "Awaiting your reply"
    reply(process, created, accepted=True)
    process.work("ivan", ref, RECORD_ACTION, scope="mine")
    events = closed_with(process, ref, "resolved_accepted")
    order = steps(events)
    assert order.count("Task_investigate") == 2 and order.count("Task_approve_response") == 2
    assert order.index("Task_deliver_decision") < order.index("Event_reply_received")


def test_reminder_then_sla_breach_escalates_to_a_supervisor(process):
    ref = process.submit()["reference"]
    assess(process, ref)  # low severity: 20 business days to respond, a reminder at 10
    task = process.task_for("ivan", ref, scope="mine")
    assert task["due_at"].startswith("2026-12-21T09:00")  # 20 business days after Monday 23 November
    advance(process, days=14, hours=1)  # 10 business days later
    assert process.task_for("ivan", ref, scope="mine")["id"] == task["id"]
    fired = [e["bpmn_id"] for e in trail(process, ref) if e["action"] == "timer_fired"]
    assert fired == ["Timer_investigation_reminder"]
    advance(process, days=15)  # 22 December: the response is overdue
    assert process.tasks("ivan", "mine")["total"] == 0
    breach = process.task_for("sam", ref)
    assert breach["bpmn_id"] == "Task_sla_breach"
    process.work("sam", ref, {"sla_decision": "take_over", "extension_days": 5, "delay_reason": "workload"})
    taken = process.tasks("sam", "mine")["items"] + process.tasks("sue", "mine")["items"]
    assert [t["bpmn_id"] for t in taken if t["complaint_reference"] == ref] == ["Task_investigate"]
    events = trail(process, ref)
    assert [e["bpmn_id"] for e in events if e["action"] == "timer_fired"] == [
        "Timer_investigation_reminder", "Timer_response_due"]
    assert any(e["action"] == "task_cancelled" and e["task_id"] == task["id"] for e in events)


def test_silence_counts_as_acceptance(process):
    ref = process.submit()["reference"]
    assess(process, ref)
    investigate(process, ref)
    advance(process, days=7)
    assert process.tasks("ivan", "mine")["total"] == 0  # waiting for the complainant
    advance(process, days=10)  # 10 business days without a reply
    process.work("ivan", ref, RECORD_ACTION, scope="mine")
    events = closed_with(process, ref, "resolved_no_reply")
    assert "Event_no_reply" in steps(events) and "Event_reply_received" not in steps(events)


def test_dissatisfied_goes_to_internal_review_then_external_recourse(process):
    process.user("sam2", groups=["investigators", "supervisors"], roles=["staff", "supervisor"])
    created = process.submit(category="service")
    ref = created["reference"]
    assess(process, ref, category="service")
    investigator = next(t for who in ("ivan", "sam2") for t in process.tasks(who, "mine")["items"]
                        if t["complaint_reference"] == ref)["assignee"]
    investigate(process, ref, who=investigator)
    reply(process, created, accepted=False)
    review = process.task_for("sue", ref)
    assert review["bpmn_id"] == "Task_internal_review"
    detail = process.get(f"/api/tasks/{review['id']}", "sue").get_json()
    assert detail["excluded_users"] == [investigator]
    if investigator == "sam2":
        assert process.claim("sam2", review["id"]).status_code == 403
    process.work("sue", ref, {
        "review_outcome": "decision_stands", "review_findings": "The first decision was right.",
        "final_decision": "We keep our decision.", "final_explanation": "The charge was correct.",
        "external_body": "ombudsman", "external_body_details": "Financial Ombudsman Service, 0800 023 4567"})
    events = closed_with(process, ref, "final_response_issued")
    order = steps(events)
    assert order.index("Task_internal_review") < order.index("Task_send_final_response")


def test_withdrawal_during_investigation(process):
    created = process.submit()
    ref = created["reference"]
    assess(process, ref)
    task = process.task_for("ivan", ref, scope="mine")
    response = process.post("/api/messages/complainant_withdrew", json={
        "reference": ref, "token": created["status_token"], "payload": {"reason": "Sorted it myself"}})
    assert response.status_code == 200, response.get_json()
    assert process.tasks("ivan", "mine")["total"] == 0
    assert process.get(f"/api/tasks/{task['id']}", "sam").get_json()["state"] == "cancelled"
    events = closed_with(process, ref, "withdrawn")
    assert "Task_close_withdrawn" in steps(events)


def test_withdrawal_leaves_later_complaints_alone(process):
    """All instances of a version share its parsed spec; one complaint's withdrawal must
    not start the withdrawal sub-process in the complaints that come after it."""
    first = process.submit()
    process.post("/api/messages/complainant_withdrew", json={
        "reference": first["reference"], "token": first["status_token"], "payload": {}})
    closed_with(process, first["reference"], "withdrawn")
    later = process.submit()["reference"]
    assert process.task_for("alice", later)["bpmn_id"] == "Task_intake_assessment"
    events = trail(process, later)
    assert "process_interrupted" not in [e["action"] for e in events]


def test_each_missing_answer_is_reported_once(process):
    ref = process.submit()["reference"]
    task = process.task_for("alice", ref)
    assert process.claim("alice", task["id"]).status_code == 200
    bad = process.complete("alice", task["id"], {"is_complaint": True, "severity": "catastrophic"})
    assert bad.status_code == 400
    fields = bad.get_json()["error"]["details"]
    missing = set(ASSESSMENT) - {"is_complaint", "severity", "resolvable_at_once"}
    assert {name: fields[name] for name in missing} == {name: ["This field is required."] for name in missing}
    assert len(fields["severity"]) == 1 and "catastrophic" in fields["severity"][0]


def test_the_intake_officers_category_replaces_the_complainants(process):
    ref = process.submit(category="billing", description="The engineer was rude.")["reference"]
    assess(process, ref, category="staff_conduct")
    detail = process.get(f"/api/complaints/{ref}", "sam").get_json()
    assert detail["category"] == "staff_conduct"
    [changed] = [e for e in process.history(ref, "sam")["events"] if e["action"] == "category_changed"]
    assert changed["details"] == {"before": "billing", "after": "staff_conduct"}
