"""Staff notifications, delivered through a real SMTP server on loopback: each event
reaches the person it concerns, as they chose on their own page, and carries no personal
data of the complainant."""

from test_case_file import browser, to_approval
from test_outbox import run_worker, smtp  # noqa: F401
from test_process_paths import RECORD_ACTION, advance, assess, investigate, process, reply  # noqa: F401


def mails(smtp):
    return [(m["To"], m["Subject"], m.get_body(preferencelist=("plain",)).get_content())
            for m in smtp.sink.messages]


def to(smtp, address, words):
    return [m for m in mails(smtp) if m[0] == address and words in m[1]]


def test_assignment_send_back_reply_and_a_supervisors_reassignment_reach_the_right_people(process, smtp):
    smtp.start()
    created, ref = to_approval(process)
    run_worker(process)
    assert to(smtp, "ivan@example.com", f"{ref}: Investigate and propose response is yours")
    process.work("sam", ref, {"approval_decision": "reject", "approval_comment": "Say what the refund covers."})
    run_worker(process)
    [(_to, _subject, text)] = to(smtp, "ivan@example.com", "came back to you")
    assert ref in text and "/complaints/" in text
    assert "Dana" not in text and "dana@example.com" not in text  # no personal data of the complainant
    # A supervisor gives the rework to someone else: both hear of it.
    process.user("irene", groups=["investigators"], skills=["billing"])
    task = process.task_for("ivan", ref, scope="mine")
    assert process.post(f"/api/tasks/{task['id']}/assign", "sam", json={"assignee": "irene"}).status_code == 200
    run_worker(process)
    assert to(smtp, "irene@example.com", "is yours") and to(smtp, "ivan@example.com", "is no longer yours")
    events = [e for e in process.history(ref, "sam")["events"] if e["action"] == "staff_notified"]
    assert {(e["details"]["kind"], tuple(e["details"]["to"])) for e in events} >= {
        ("assigned", ("ivan",)), ("sent_back", ("ivan",)), ("assigned", ("irene",)), ("taken_away", ("ivan",))}


def test_a_reply_reaches_who_worked_the_complaint_and_a_missed_target_its_holder(process, smtp):
    smtp.start()
    created = process.submit()
    ref = created["reference"]
    assess(process, ref)
    investigate(process, ref)
    reply(process, created, False)
    run_worker(process)
    assert to(smtp, "alice@example.com", f"{ref}: the complainant replied")
    assert to(smtp, "ivan@example.com", f"{ref}: the complainant replied")
    late = process.submit()["reference"]
    assess(process, late)
    advance(process, days=40)
    run_worker(process)
    assert to(smtp, "ivan@example.com", f"{late}: Investigate and propose response passed its target")


def test_urgent_cases_reach_the_group_and_incidents_the_supervisors(process, smtp):
    smtp.start()
    ref = process.submit()["reference"]
    assess(process, ref, severity="critical", safety_implication=True, immediate_action_needed=True)
    run_worker(process)
    detail = process.get(f"/api/complaints/{ref}", "sam").get_json()
    assert detail["priority"] == "urgent", detail["priority"]
    assert to(smtp, "sam@example.com", f"Urgent: {ref} waits in supervisors")
    assert to(smtp, "sue@example.com", f"Urgent: {ref} waits in supervisors")


def test_each_person_chooses_on_their_own_page(process, smtp):
    smtp.start()
    ivan = browser(process, "ivan")
    page = ivan.get("/me").get_data(as_text=True)
    assert 'name="kinds" value="assigned" checked' in page.replace("  ", " ") or 'value="assigned" checked' in page
    done = ivan.post("/me", "/me", {"email": "ivan.new@example.com", "kinds": ["reply", "sent_back"]})
    assert done.status_code == 302
    bad = ivan.post("/me", "/me", {"email": "not an address", "kinds": ["reply"]}, follow_redirects=True)
    assert "Nothing was saved" in bad.get_data(as_text=True)
    _created, ref = to_approval(process)
    run_worker(process)
    assert not [m for m in mails(smtp) if "is yours" in m[1]]  # assignment turned off
    process.work("sam", ref, {"approval_decision": "reject", "approval_comment": "More, please."})
    run_worker(process)
    assert to(smtp, "ivan.new@example.com", "came back to you")  # the new address


def test_an_incident_reaches_the_supervisors(api, smtp):
    from conftest import DIAGRAMS

    def crm_update(ctx):
        raise ConnectionError("CRM at crm.example.com refused the connection")

    smtp.start()
    api.app.extensions["complaints_handlers"].register("crm_update", crm_update)
    assert api.deploy(DIAGRAMS / "flaky.bpmn").exit_code == 0
    api.user("alice", groups=["intake"])
    api.user("sam", groups=["supervisors"], roles=["staff", "supervisor"])
    ref = api.submit()["reference"]
    run_worker(api)
    [(_to, subject, text)] = to(smtp, "sam@example.com", "a step failed")
    assert ref in subject and "crm_update" in text
    assert not [m for m in mails(smtp) if m[0] == "alice@example.com" and "failed" in m[1]]


def test_the_inbox_tabs_show_their_counts(process):
    for _ in range(2):
        process.submit()
    alice = browser(process, "alice").get("/inbox").get_data(as_text=True)
    assert 'id="count-mine">0<' in alice and 'id="count-group">2<' in alice
    task = process.tasks("alice", "group")["items"][0]
    assert process.claim("alice", task["id"]).status_code == 200
    alice = browser(process, "alice").get("/inbox").get_data(as_text=True)
    assert 'id="count-mine">1<' in alice and 'id="count-group">1<' in alice
    assert 'id="count-all">2<' in browser(process, "sam").get("/inbox").get_data(as_text=True)


def test_the_daily_digest_goes_at_its_hour_to_who_wants_it_and_then_daily(process, smtp):
    from datetime import timedelta

    from sqlalchemy import select

    from bpmn_complaints.clock import get_clock
    from bpmn_complaints.extensions import db
    from bpmn_complaints.models import Job
    from bpmn_complaints.services import digest

    smtp.start()
    for _ in range(2):
        process.submit()
    browser(process, "sue").post("/me", "/me", {"email": "sue@example.com", "kinds": ["assigned"]})  # no digest
    with process.app.app_context():
        process.app.config["DIGEST_HOUR"] = 7
        job = digest.ensure_scheduled()
        db.session.commit()
        assert job.due_at == (get_clock().now() + timedelta(days=1)).replace(hour=7, minute=0)
    run_worker(process)
    assert not [m for m in mails(smtp) if "What waits for you" in m[1]]  # not yet
    advance(process, hours=23)  # Tuesday 08:00
    run_worker(process)
    digests = {m[0]: m for m in mails(smtp) if "What waits for you" in m[1]}
    assert "alice@example.com" in digests and "sue@example.com" not in digests
    _to, subject, text = digests["alice@example.com"]
    assert "2 in your groups" in subject and "intake" in text and "/inbox" in text
    assert "ivan@example.com" not in digests  # nothing waits for him
    with process.app.app_context():
        [job] = db.session.scalars(select(Job).where(Job.kind == "digest")).all()
        assert job.due_at.day == (get_clock().now() + timedelta(days=1)).day and job.due_at.hour == 7
