"""Personal data (ISO 10002 4.10): the audit trail never keeps it, a supervisor can export
it, an admin can erase it once the complaint is closed, and a retention period erases it
in bulk. Through the API and the CLI, on the shipped process."""

import json

import pytest

from bpmn_complaints.clock import get_clock
from test_outbox import run_worker, smtp  # noqa: F401  (the real SMTP server fixture)
from test_process_paths import INVESTIGATION, RECORD_ACTION, advance, assess, investigate, process, reply  # noqa: F401

FINDINGS = "Mr Jones at the Leeds branch charged Dana twice."
COMMENT = "Dana rang back about her neighbour, Mrs Patel."


@pytest.fixture
def closed(process, smtp):  # noqa: F811
    """A complaint closed after an investigation, with free text everywhere, its emails sent."""
    process.user("root", roles=["admin"])
    smtp.start()
    created = process.submit(name="Dana Example", email="dana@example.com", phone="0123 456789",
                             description="Charged twice in October.", remedy_sought="A refund")
    ref = created["reference"]
    assess(process, ref)
    task = process.task_for("ivan", ref, scope="mine")
    assert process.post(f"/api/tasks/{task['id']}/comments", "ivan", json={"body": COMMENT}).status_code in (200, 201)
    investigate(process, ref, findings=FINDINGS)
    reply(process, created, accepted=True)
    process.work("ivan", ref, RECORD_ACTION, scope="mine")
    assert process.get(f"/api/complaints/{ref}", "sam").get_json()["state"] == "closed"
    run_worker(process)
    return process, created


def trail_text(api, ref) -> str:
    history = api.history(ref, "sam")
    assert history["chain_intact"], history["chain_problems"]
    return json.dumps(history["events"])


def test_the_trail_keeps_coded_answers_and_only_fingerprints_of_free_text(closed):
    api, created = closed
    text = trail_text(api, created["reference"])
    for secret in (FINDINGS, INVESTIGATION["response_explanation"], COMMENT, "Dana Example", "dana@example.com"):
        assert secret not in text
    events = api.history(created["reference"], "sam")["events"]
    investigation = next(e for e in events if e["action"] == "task_completed" and e["bpmn_id"] == "Task_investigate")
    answers = investigation["details"]["data"]
    assert answers["outcome"] == "upheld" and answers["root_cause"] == "system_error"  # chosen from a list
    assert answers["remedy_amount"] == 39.5
    assert answers["findings"].startswith("sha256:") and len(answers["findings"]) == 7 + 64
    message = next(e for e in events if e["action"] == "message_received")
    assert message["details"]["payload"]["accepted"] is True
    assert message["details"]["payload"]["comment"].startswith("sha256:")


def test_export_gives_everything_to_a_supervisor_only(closed):
    api, created = closed
    ref = created["reference"]
    assert api.get(f"/api/complaints/{ref}/personal-data", "ivan").status_code == 403
    export = api.get(f"/api/complaints/{ref}/personal-data", "sam")
    assert export.status_code == 200, export.get_json()
    data = export.get_json()
    assert data["complaint"]["name"] == "Dana Example" and data["complaint"]["phone"] == "0123 456789"
    assert [c["text"] for c in data["comments"]] == [COMMENT]
    assert any(a["answers"].get("findings") == FINDINGS for a in data["task_answers"])
    assert data["emails"] and all(e["to"] == "dana@example.com" for e in data["emails"])
    assert data["erased_at"] is None
    assert data["exported_at"].startswith("2026-11-23T09:00:00")  # the test's frozen clock
    exports = [e for e in api.history(ref, "sam")["events"] if e["action"] == "personal_data_exported"]
    assert [e["actor"] for e in exports] == ["sam"]


def test_erase_after_closure_keeps_records_reports_and_the_chain(closed):
    api, created = closed
    ref = created["reference"]
    assert api.post(f"/api/complaints/{ref}/erase", "sam", json={"reason": "request"}).status_code == 403
    erased = api.post(f"/api/complaints/{ref}/erase", "root", json={"reason": "erasure request of 22 Nov"})
    assert erased.status_code == 200, erased.get_json()
    assert "findings" in erased.get_json()["task_fields"] and erased.get_json()["comments"] == 1
    again = api.post(f"/api/complaints/{ref}/erase", "root", json={"reason": "again"})
    assert again.status_code == 409

    data = api.get(f"/api/complaints/{ref}/personal-data", "sam").get_json()
    assert data["erased_at"] is not None
    for field in ("name", "email", "phone", "description", "remedy_sought"):
        assert data["complaint"][field] == "[erased]"
    assert data["complaint"]["category"] == "billing" and data["complaint"]["closure_reason"] == "resolved_accepted"
    assert [c["text"] for c in data["comments"]] == ["[erased]"]
    assert all(e["to"] == "[erased]" and e["text"] == "[erased]" for e in data["emails"])
    investigation = next(a for a in data["task_answers"] if "findings" in a["answers"])
    assert investigation["answers"]["findings"] == "[erased]"
    assert investigation["answers"]["outcome"] == "upheld"  # coded answers stay for the reports
    # Nothing of it is left anywhere the API can reach, and the trail's chain still holds.
    everything = json.dumps([api.get(f"/api/complaints/{ref}", "sam").get_json(), data, trail_text(api, ref)])
    for secret in (FINDINGS, COMMENT, "Dana Example", "dana@example.com", "0123 456789"):
        assert secret not in everything
    with api.app.app_context():
        from bpmn_complaints.extensions import db
        from bpmn_complaints.models import ProcessInstance
        states = [i.state for i in db.session.query(ProcessInstance).all()]
    assert states and not any(FINDINGS in s for s in states)
    erasures = [e for e in api.history(ref, "sam")["events"] if e["action"] == "personal_data_erased"]
    assert [(e["actor"], e["details"]["reason"]) for e in erasures] == [("root", "erasure request of 22 Nov")]


def test_an_open_complaint_is_not_erased(process):
    process.user("root", roles=["admin"])
    ref = process.submit()["reference"]
    answer = process.post(f"/api/complaints/{ref}/erase", "root", json={"reason": "request"})
    assert answer.status_code == 409 and "closed" in answer.get_json()["error"]["message"]
    assert process.post(f"/api/complaints/{ref}/erase", "root", json={}).status_code == 400


def test_retention_erases_what_is_past_its_period(closed):
    api, created = closed
    ref = created["reference"]
    runner = api.runner
    result = runner.invoke(args=["retention"])
    assert result.exit_code == 1 and "no retention period" in result.output
    assert "0 closed complaint(s)" in runner.invoke(args=["retention", "--days", "30"]).output
    with api.app.app_context():
        get_clock().advance(days=31)
    dry = runner.invoke(args=["retention", "--days", "30", "--dry-run"])
    assert f"would erase {ref}" in dry.output
    assert api.get(f"/api/complaints/{ref}/personal-data", "sam").get_json()["erased_at"] is None
    api.app.config["RETENTION_DAYS"] = 30
    done = runner.invoke(args=["retention"])
    assert done.exit_code == 0 and f"[1/1] erased {ref}" in done.output
    assert api.get(f"/api/complaints/{ref}/personal-data", "sam").get_json()["complaint"]["name"] == "[erased]"
    assert "0 closed complaint(s)" in runner.invoke(args=["retention"]).output
