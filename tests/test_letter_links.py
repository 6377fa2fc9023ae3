"""Letters whose links and promises hold (issue: talking with complainants): every link in
every kind of letter the shipped process sends is followed to a page that shows the
complaint; the reply-by date a letter gives is the diagram's own timer; a letter invites a
reply only where the process waits for one; the status code opens the complaint however a
person types it, and guessing is throttled."""

import re
import shutil
from datetime import timedelta

from sqlalchemy import select

from bpmn_complaints import status_code
from bpmn_complaints.business_calendar import business_calendar
from bpmn_complaints.clock import get_clock
from bpmn_complaints.extensions import db
from bpmn_complaints.models import Complaint, OutboxMessage
from test_case_file import browser
from test_process_paths import (  # noqa: F401
    PROCESSES,
    RECORD_ACTION,
    advance,
    assess,
    investigate,
    process,
    reply,
)
from test_web_staff import Browser, text

LINK = re.compile(r"https?://[^\s\"'<>)]+")


def _letters(api):
    with api.app.app_context():
        return [(m.template, m.subject, m.body_text, m.body_html or "")
                for m in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


def _path(api, url):
    base = api.app.config["PUBLIC_BASE_URL"].rstrip("/")
    assert url.startswith(base), url
    return url[len(base):].replace("&amp;", "&")


def _every_kind_of_letter(process):
    """Run the shipped process down paths that between them send every letter."""
    process.app.config["SUBMIT_RATE_LIMIT"] = "100 per minute"
    process.user("sue2", groups=["supervisors"], roles=["staff", "supervisor"])
    process.runner.invoke(args=["users", "add", "sam", "--email", "sam@acme.example"])
    decided = process.submit()
    assess(process, decided["reference"], severity="high")  # approval, then the decision letter
    investigate(process, decided["reference"])
    process.work("sam", decided["reference"], {"approval_decision": "approve"})
    reply(process, decided, False)  # dissatisfied: internal review, then the final response
    process.work("sue", decided["reference"], {
        "review_outcome": "decision_stands", "review_findings": "The first decision was right.",
        "final_decision": "We keep our decision.", "final_explanation": "The charge was correct.",
        "external_body": "ombudsman", "external_body_details": "The Ombudsman, 1 High Street"})
    outside = process.submit()["reference"]
    assess(process, outside, in_scope=False, out_of_scope_explanation="Not our product.",
           signpost_to="The maker")
    at_once = process.submit()["reference"]
    assess(process, at_once, resolvable_at_once=True)
    process.work("alice", at_once, {"resolution_summary": "Refunded on the phone.", "remedy_type": "refund",
                                    "complainant_satisfied": True})
    late = process.submit()["reference"]
    assess(process, late)
    advance(process, days=40)  # reminder and escalation to staff
    first, second = process.submit()["reference"], process.submit()["reference"]
    browser(process, "sam").post(f"/complaints/{second}", f"/complaints/{second}/duplicate", {"original": first})
    return decided


def test_every_link_in_every_letter_opens_a_page_that_shows_the_complaint(process):
    _every_kind_of_letter(process)
    letters = _letters(process)
    kinds = {template for template, *_ in letters}
    assert {"acknowledgement", "decision", "final_response", "out_of_scope", "summary_resolution",
            "feedback_request", "duplicate_closed", "reminder", "escalation"} <= kinds, kinds
    staff = browser(process, "sam")
    followed = 0
    for template, subject, body_text, body_html in letters:
        named = set(re.findall(r"C-\d{4}-[A-Z0-9]{6}", subject + body_text))
        links = set(LINK.findall(body_text)) | set(LINK.findall(body_html))
        assert links, f"{template} has no link"
        for url in links:
            path = _path(process, url)
            page = staff.get(path) if path.startswith("/complaints/") else Browser(process.app).open_status(path)
            assert page.status_code == 200, (template, path, page.status_code)
            assert any(reference in text(page) for reference in named), (template, path)
            followed += 1
    assert followed >= len(letters)


def test_the_status_page_shows_the_decision_and_the_date_the_letter_gave(process):
    created = process.submit()
    ref = created["reference"]
    assess(process, ref)
    investigate(process, ref)
    [(template, _subject, letter, _html)] = [x for x in _letters(process) if x[0] == "decision"]
    page = text(Browser(process.app).get(f"/status/{ref}?token={created['status_token']}"))
    shown = page.split('id="response"', 1)[1].split("</section>", 1)[0]
    assert "We will refund the second charge." in shown  # the letter itself
    reply_by = re.search(r'id="reply-by">([^<]+)<', page).group(1)
    assert reply_by in letter.replace("\n", " ")
    public = process.get(f"/api/complaints/{ref}", query_string={"token": created["status_code"]}).get_json()
    assert public["response"]["text"] == letter and public["response"]["awaits_reply"] is True


def test_the_reply_by_date_follows_the_diagrams_timer(process, tmp_path):
    folder = tmp_path / "processes"
    shutil.copytree(PROCESSES, folder)
    bpmn = (folder / "complaint_handling.bpmn").read_text()
    before = '<bpmn:timeDate xsi:type="bpmn:tFormalExpression">business_days(10)</bpmn:timeDate>'
    assert bpmn.count(before) == 1
    (folder / "complaint_handling.bpmn").write_text(bpmn.replace(before, before.replace("(10)", "(15)")))
    assert process.runner.invoke(args=["deploy", str(folder)]).exit_code == 0
    ref = process.submit()["reference"]
    assess(process, ref)
    investigate(process, ref)
    [(_t, _s, letter, _h)] = [x for x in _letters(process) if x[0] == "decision"]
    with process.app.app_context():
        due = business_calendar().add_business_days(get_clock().now(), 15)
        ten = business_calendar().add_business_days(get_clock().now(), 10)
    flat = letter.replace("\n", " ")
    assert f"{due:%A} {due.day} {due:%B %Y}" in flat and f"{ten:%A} {ten.day} {ten:%B %Y}" not in flat
    events = process.history(ref, "sam")["events"]
    [delivered] = [e for e in events if e["action"] == "response_delivered"]
    assert delivered["details"]["reply_by"].startswith(due.date().isoformat())


def test_letters_that_close_at_once_promise_no_review(process):
    outside = process.submit()["reference"]
    assess(process, outside, in_scope=False, out_of_scope_explanation="Not our product.", signpost_to="The maker")
    [(_t, _s, letter, html)] = [x for x in _letters(process) if x[0] == "out_of_scope"]
    assert "not satisfied" not in letter and "reviewed by someone senior" not in html
    assert "You can see your complaint's page at any time" in letter


def test_the_status_code_opens_the_complaint_however_it_is_typed_and_guessing_is_throttled(process):
    created = process.submit()
    ref, code = created["reference"], created["status_code"]
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}", code)
    assert status_code.normalize(code) is not None
    for typed in (code, code.lower(), code.replace("-", " "), code.replace("0", "O").replace("1", "l")):
        page = Browser(process.app).get("/status", query_string={"reference": ref.lower(), "token": typed},
                                        follow_redirects=True)
        assert page.status_code == 200 and f"Your complaint {ref}" in text(page), typed
    # One wrong character fails the check, as does a swap of two neighbours.
    plain = code.replace("-", "")
    wrong = plain[:3] + ("A" if plain[3] != "A" else "B") + plain[4:]
    swapped = plain[:4] + plain[5] + plain[4] + plain[6:]
    assert status_code.normalize(wrong) is None
    assert plain[4] == plain[5] or status_code.normalize(swapped) is None
    guesser = Browser(process.app)
    answers = [guesser.get(f"/status/{ref}", query_string={"token": f"guess{n}"}).status_code for n in range(12)]
    assert answers[:10] == [404] * 10 and answers[10:] == [429, 429]
    with process.app.app_context():
        stored = db.session.scalars(select(Complaint.status_code)).one()
    assert stored == plain


def test_a_reply_after_the_date_the_timer_gave_counts_as_the_diagram_says(process):
    created = process.submit()
    ref = created["reference"]
    assess(process, ref)
    investigate(process, ref)
    events = process.history(ref, "sam")["events"]
    [delivered] = [e for e in events if e["action"] == "response_delivered"]
    with process.app.app_context():
        now = get_clock().now()
    from datetime import datetime
    promised = datetime.fromisoformat(delivered["details"]["reply_by"])
    advance(process, seconds=int((promised - now - timedelta(hours=1)).total_seconds()))
    assert process.get(f"/api/complaints/{ref}", "sam").get_json()["status"] == "Awaiting your reply"
    advance(process, hours=2)
    assert process.get(f"/api/complaints/{ref}", "sam").get_json()["status"] != "Awaiting your reply"


def test_the_closing_letter_says_what_was_done_and_a_withdrawal_is_confirmed(process):
    created = process.submit()
    ref = created["reference"]
    assess(process, ref)
    investigate(process, ref)
    reply(process, created, True)
    process.work("ivan", ref, RECORD_ACTION, scope="mine")
    [(_t, subject, letter, html)] = [x for x in _letters(process) if x[0] == "feedback_request"]
    assert "closed" in subject and RECORD_ACTION["action_taken"] in letter and RECORD_ACTION["action_taken"] in html
    withdrawn = process.submit()
    response = process.post("/api/messages/complainant_withdrew", json={
        "reference": withdrawn["reference"], "token": withdrawn["status_token"], "payload": {"comment": "Sorted."}})
    assert response.status_code == 200, response.get_json()
    [(_t, subject, letter, _h)] = [x for x in _letters(process) if x[0] == "feedback_request"
                                   and withdrawn["reference"] in x[1]]
    assert "stopped work" in subject and "This confirms that you withdrew your complaint" in letter
