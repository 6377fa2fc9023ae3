"""Staff actions on the complaint page (ISO 10002 7.3): a reply that came by phone becomes
the complainant's message, with their words, and contact details are corrected; each is
named in the trail, and only roles that work complaints may do them."""

import json

from sqlalchemy import select

from bpmn_complaints.extensions import db
from bpmn_complaints.models import CaseMessage, Complaint
from test_case_file import browser, to_approval
from test_process_paths import process  # noqa: F401
from test_web_staff import PASSWORD, Browser, text

SAID = "On the phone she said the refund is not enough for three wasted afternoons."


def test_a_reply_by_phone_moves_the_process_and_lands_in_the_case_file(process):
    _created, ref = to_approval(process)
    process.work("sam", ref, {"approval_decision": "approve"})
    sam = browser(process, "sam")
    page = f"/complaints/{ref}"
    assert 'id="record-reply"' in text(sam.get(page))
    answer = sam.post(page, f"/complaints/{ref}/reply", {"kind": "dissatisfied", "channel": "phone", "text": SAID})
    assert answer.status_code == 302
    review = process.task_for("sue", ref)
    assert review["bpmn_id"] == "Task_internal_review"
    shown = text(browser(process, "sue").get(f"/tasks/{review['id']}"))
    assert SAID in shown and "recorded by sam (phone)" in shown
    events = process.history(ref, "sam")["events"]
    recorded = [e for e in events if e["action"] == "reply_recorded"]
    assert [(e["actor"], e["details"]["channel"], e["details"]["kind"]) for e in recorded] == [
        ("sam", "phone", "dissatisfied")]
    assert SAID not in json.dumps(events)
    with process.app.app_context():
        message = db.session.scalars(select(CaseMessage)).one()
        assert (message.sender, message.channel, message.payload["comment"]) == ("sam", "phone", SAID)


def test_a_reply_the_process_does_not_wait_for_is_refused_and_kept_nowhere(process):
    ref = process.submit()["reference"]
    sam = browser(process, "sam")
    answer = sam.post(f"/complaints/{ref}", f"/complaints/{ref}/reply",
                      {"kind": "accept", "channel": "letter", "text": "Fine"}, follow_redirects=True)
    assert "The reply was not recorded" in text(answer)
    with process.app.app_context():
        assert db.session.scalars(select(CaseMessage)).all() == []


def test_an_auditor_may_read_but_not_speak_for_the_complainant(process):
    _created, ref = to_approval(process)
    process.work("sam", ref, {"approval_decision": "approve"})
    result = process.runner.invoke(args=["users", "add", "audra", "--role", "auditor", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    audra = Browser(process.app).login("audra")
    assert 'id="record-reply"' not in text(audra.get(f"/complaints/{ref}"))
    answer = audra.post(f"/complaints/{ref}", f"/complaints/{ref}/reply",
                        {"kind": "withdraw", "channel": "phone", "text": "stop"})
    assert answer.status_code == 403
    assert process.get(f"/api/complaints/{ref}", "sam").get_json()["state"] == "open"


def test_contact_details_are_corrected_and_the_trail_names_only_the_fields(process):
    ref = process.submit()["reference"]
    sam = browser(process, "sam")
    page = f"/complaints/{ref}"
    bad = sam.post(page, f"/complaints/{ref}/contact", {"name": "Dana Example", "email": "not an address"},
                   follow_redirects=True)
    assert "were not changed" in text(bad)
    good = sam.post(page, f"/complaints/{ref}/contact", {"name": "Dana Example", "email": "dana.new@example.com",
                                                          "phone": "0161 496 0000", "preferred_contact": "phone"})
    assert good.status_code == 302
    with process.app.app_context():
        complaint = db.session.scalars(select(Complaint)).one()
        assert (complaint.email, complaint.phone, complaint.preferred_contact) == (
            "dana.new@example.com", "0161 496 0000", "phone")
    events = process.history(ref, "sam")["events"]
    corrected = [e for e in events if e["action"] == "contact_corrected"]
    assert [e["details"]["fields"] for e in corrected] == [["email", "phone", "preferred_contact"]]
    assert "dana.new@example.com" not in json.dumps(events) and "0161 496 0000" not in json.dumps(events)


def test_the_inbox_says_what_each_task_is_about_and_lanes_are_a_choice(process):
    ref = process.submit(product="Broadband", description="I was charged twice in October and nobody answers.")[
        "reference"]
    alice = browser(process, "alice")
    page = text(alice.get("/inbox?scope=group"))
    row = page.split(ref, 1)[1].split("</tr>", 1)[0]
    assert "Broadband · billing" in row and "I was charged twice in October" in row
    lane_filter = page.split('id="f-lane"', 1)[1].split("</select>", 1)[0]
    assert '<option value="intake"' in lane_filter and "investigators" not in lane_filter


def test_the_complaint_page_lists_the_same_persons_other_complaints(process):
    first = process.submit(email="Dana@Example.com")["reference"]
    second = process.submit(email="dana@example.com")["reference"]
    other = process.submit(email="someone.else@example.com")["reference"]
    page = text(browser(process, "sam").get(f"/complaints/{second}"))
    box = page.split('id="same-person"', 1)[1].split("</div>", 1)[0]
    assert first in box and other not in box and second not in box
