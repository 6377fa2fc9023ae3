"""Staff actions that change a complaint's course (ISO 10002 7.3, 7.9, 8.4): send the
acknowledgement again, close a complaint as a duplicate of another, and reopen a closed
one, which runs the process's reopen path on its newest version. Driven through the
complaint page, checked through the API, the trail, the outbox and the report."""

import json
import shutil

from sqlalchemy import select

from bpmn_complaints.extensions import db
from bpmn_complaints.models import Complaint, OutboxMessage, ProcessInstance
from test_case_file import browser
from test_process_paths import PROCESSES, RECORD_ACTION, assess, closed_with, investigate, process, reply  # noqa: F401
from test_web_staff import PASSWORD, Browser, text

REASON = "She rang: the refund never reached her account, three weeks on."


def _closed_resolved(process):
    created = process.submit()
    ref = created["reference"]
    assess(process, ref)
    investigate(process, ref)
    reply(process, created, True)
    process.work("ivan", ref, RECORD_ACTION, scope="mine")
    closed_with(process, ref, "resolved_accepted")
    return created, ref


def _emails(process, ref, template):
    with process.app.app_context():
        return [(m.to_addrs, m.subject, m.body_text) for m in db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.template == template).order_by(OutboxMessage.id))
            if ref in m.subject]


def test_reopen_runs_the_reopen_path_and_counts_in_the_report(process):
    created, ref = _closed_resolved(process)
    sam = browser(process, "sam")
    page = f"/complaints/{ref}"
    assert 'id="reopen"' in text(sam.get(page))
    empty = sam.post(page, f"/complaints/{ref}/reopen", {"reason": "  "}, follow_redirects=True)
    assert "was not reopened" in text(empty)
    assert sam.post(page, f"/complaints/{ref}/reopen", {"reason": REASON}).status_code == 302

    detail = process.get(f"/api/complaints/{ref}", "sam").get_json()
    assert (detail["state"], detail["closure_reason"], detail["status"]) == ("open", None, "Reopened: being assessed")
    task = process.task_for("sue", ref)
    assert task["bpmn_id"] == "Task_assess_reopened"
    shown = text(browser(process, "sue").get(f"/tasks/{task['id']}"))
    assert REASON in shown  # the reason is in the case file the assessor reads
    process.work("sue", ref, {"priority": "normal", "target_days": 5})
    # The complaint is investigated again, answers the complainant and closes once more.
    investigate(process, ref)
    reply(process, created, True)
    process.work("ivan", ref, RECORD_ACTION, scope="mine")
    detail = process.get(f"/api/complaints/{ref}", "sam").get_json()
    assert (detail["state"], detail["closure_reason"]) == ("closed", "resolved_accepted")

    events = process.history(ref, "sam")["events"]
    reopened = [e for e in events if e["action"] == "complaint_reopened"]
    assert [(e["actor"], e["details"]["previous_reason"], e["details"]["round"]) for e in reopened] == [
        ("sam", "resolved_accepted", 1)]
    assert REASON not in json.dumps(events)  # the trail holds a fingerprint, the case file the words
    targets = [e for e in events if e["action"] == "target_set"]
    assert targets[-1]["details"]["target_days"] == 5
    assert targets[-1]["details"]["target_at"] > reopened[0]["at"]  # counted from the reopening
    with process.app.app_context():
        rounds = db.session.scalars(select(ProcessInstance.status).order_by(ProcessInstance.id)).all()
        assert rounds == ["completed", "completed"]

    november = {"from": "2026-11-01", "to": "2026-12-01"}
    report = process.get("/api/reports/summary", "sam", query_string=november).get_json()
    assert report["kpis"]["reopened"] == {"count": 1, "closed": 1, "rate": 1.0}
    page = text(browser(process, "sam").get("/reports?from=2026-11-01&to=2026-12-01"))
    assert "Reopened" in page and "100% of 1 closed" in page


def test_only_a_closed_complaint_is_reopened_and_only_by_a_supervisor(process):
    created, ref = _closed_resolved(process)
    alice = browser(process, "alice")
    assert 'id="reopen"' not in text(alice.get(f"/complaints/{ref}"))
    assert alice.post(f"/complaints/{ref}", f"/complaints/{ref}/reopen", {"reason": "x"}).status_code == 403
    other = process.submit()["reference"]
    sam = browser(process, "sam")
    answer = sam.post(f"/complaints/{other}", f"/complaints/{other}/reopen", {"reason": REASON},
                      follow_redirects=True)
    assert "only a closed complaint can be reopened" in text(answer)
    assert process.get(f"/api/complaints/{ref}", "sam").get_json()["state"] == "closed"


def test_a_process_without_a_reopen_path_refuses_and_changes_nothing(process, tmp_path):
    _created, ref = _closed_resolved(process)
    folder = tmp_path / "processes"
    shutil.copytree(PROCESSES, folder)
    bpmn = (folder / "complaint_handling.bpmn").read_text()
    start = bpmn.index('<bpmn:startEvent id="StartEvent_reopened"')
    end = bpmn.index("</bpmn:startEvent>", start) + len("</bpmn:startEvent>")
    # A diagram whose reopen start catches no message: nothing can start it by reopening.
    plain = bpmn[:start] + ('<bpmn:startEvent id="StartEvent_reopened" name="Complaint reopened">'
                            '<bpmn:outgoing>Flow_reopened</bpmn:outgoing></bpmn:startEvent>') + bpmn[end:]
    (folder / "complaint_handling.bpmn").write_text(plain)
    result = process.runner.invoke(args=["deploy", str(folder)])
    assert result.exit_code == 0, result.output
    sam = browser(process, "sam")
    answer = sam.post(f"/complaints/{ref}", f"/complaints/{ref}/reopen", {"reason": REASON}, follow_redirects=True)
    assert "no start event for the message" in text(answer)
    detail = process.get(f"/api/complaints/{ref}", "sam").get_json()
    assert (detail["state"], detail["closure_reason"]) == ("closed", "resolved_accepted")
    assert not [e for e in process.history(ref, "sam")["events"] if e["action"] == "complaint_reopened"]


def test_a_duplicate_closes_stops_its_work_links_both_and_tells_the_complainant(process):
    first = process.submit()["reference"]
    second = process.submit()["reference"]  # the same complainant, the same matter
    assess(process, second)
    assert process.task_for("ivan", second, scope="mine")["bpmn_id"] == "Task_investigate"
    alice = browser(process, "alice")
    page = f"/complaints/{second}"
    assert 'id="duplicate"' in text(alice.get(page))
    wrong = alice.post(page, f"/complaints/{second}/duplicate", {"original": second}, follow_redirects=True)
    assert "cannot be a duplicate of" in text(wrong)
    missing = alice.post(page, f"/complaints/{second}/duplicate", {"original": "C-2026-NOPE99"},
                         follow_redirects=True)
    assert "was not closed" in text(missing)
    done = alice.post(page, f"/complaints/{second}/duplicate", {"original": first.lower(), "note": "Same invoice."})
    assert done.status_code == 302

    detail = process.get(f"/api/complaints/{second}", "sam").get_json()
    assert (detail["state"], detail["closure_reason"], detail["instance_status"]) == ("closed", "duplicate",
                                                                                     "completed")
    assert not [t for t in detail["tasks"] if t["state"] == "ready"]
    assert process.tasks("ivan", "mine")["total"] == 0
    assert "was closed as a duplicate of this one" in text(browser(process, "sam").get(f"/complaints/{first}"))
    shown = text(browser(process, "sam").get(page))
    assert "Closed as a duplicate of" in shown and first in shown and "Same invoice." in shown
    (to, subject, body), = _emails(process, second, "duplicate_closed")
    assert first in body  # the same person: they are told which complaint carries on
    assert [e["details"]["of"] for e in process.history(second, "sam")["events"]
            if e["action"] == "marked_duplicate"] == [first]
    # The original goes on untouched.
    assert process.get(f"/api/complaints/{first}", "sam").get_json()["state"] == "open"


def test_a_duplicate_of_another_persons_complaint_does_not_reveal_it(process):
    first = process.submit(email="someone.else@example.com")["reference"]
    second = process.submit()["reference"]
    sam = browser(process, "sam")
    sam.post(f"/complaints/{second}", f"/complaints/{second}/duplicate", {"original": first})
    (to, subject, body), = _emails(process, second, "duplicate_closed")
    assert first not in body and "someone.else" not in body


def test_the_acknowledgement_is_sent_again_to_the_corrected_address(process):
    ref = process.submit()["reference"]
    (to, subject, first_body), = _emails(process, ref, "acknowledgement")
    sam = browser(process, "sam")
    page = f"/complaints/{ref}"
    sam.post(page, f"/complaints/{ref}/contact", {"name": "Dana Example", "email": "dana.right@example.com"})
    assert sam.post(page, f"/complaints/{ref}/acknowledgement", {}).status_code == 302
    sent = _emails(process, ref, "acknowledgement")
    assert len(sent) == 2
    assert "dana.right@example.com" in sent[1][0]
    expected = [line for line in first_body.splitlines() if "response by" in line]
    assert expected and expected[0] in sent[1][2]  # the same date the first one gave
    with process.app.app_context():
        code = db.session.scalars(select(Complaint.status_code)).first()
    assert f"{code[:5]}-{code[5:]}" in sent[1][2] and "#token=" in sent[1][2]
    resent = [e for e in process.history(ref, "sam")["events"] if e["action"] == "acknowledgement_resent"]
    assert [e["actor"] for e in resent] == ["sam"] and "dana.right" not in json.dumps(resent)
    result = process.runner.invoke(args=["users", "add", "audra", "--role", "auditor", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    audra = Browser(process.app).login("audra")
    assert audra.post(page, f"/complaints/{ref}/acknowledgement", {}).status_code == 403


def test_the_api_does_the_same_actions_for_integrators(process):
    created, ref = _closed_resolved(process)
    assert process.post(f"/api/complaints/{ref}/reopen", "alice", json={"reason": REASON}).status_code == 403
    assert process.post(f"/api/complaints/{ref}/reopen", "sam", json={"reason": " "}).status_code == 400
    reopened = process.post(f"/api/complaints/{ref}/reopen", "sam", json={"reason": REASON})
    assert reopened.status_code == 200, reopened.get_json()
    assert reopened.get_json()["state"] == "open"
    again = process.post(f"/api/complaints/{ref}/reopen", "sam", json={"reason": REASON})
    assert again.status_code == 409
    ack = process.post(f"/api/complaints/{ref}/acknowledgement", "sam")
    assert ack.status_code == 200, ack.get_json()
    other = process.submit()["reference"]
    marked = process.post(f"/api/complaints/{other}/duplicate", "alice", json={"original": ref})
    assert marked.status_code == 200, marked.get_json()
    assert marked.get_json()["closure_reason"] == "duplicate"
    assert process.get(f"/api/complaints/{ref}", "sam").get_json()["duplicates"] == [other]
    assert process.get(f"/api/complaints/{other}", "sam").get_json()["duplicate_of"] == ref
