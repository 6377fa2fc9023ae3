"""The case file at each handoff (ISO 10002 7.3, 7.6): what one step writes reaches the
next person, on the page they use; and the engine keeps no one's words."""

from sqlalchemy import select

from bpmn_complaints.extensions import db
from bpmn_complaints.models import CaseMessage, OutboxMessage, ProcessInstance
from test_process_paths import INVESTIGATION, assess, investigate, process  # noqa: F401
from test_web_staff import PASSWORD, Browser, text

SEND_BACK = "Offer an apology too, and say when the refund arrives."
NOTES = "Dana is hard of hearing: write, do not phone."
UNHAPPY = "You refunded one charge but I was charged three times."


def browser(api, name):
    result = api.runner.invoke(args=["users", "add", name, "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    return Browser(api.app).login(name)


def to_approval(api, **assessment):
    created = api.submit()
    ref = created["reference"]
    assess(api, ref, severity="high", **assessment)
    investigate(api, ref)
    return created, ref


def test_the_approver_sees_the_proposal_with_its_labels(process):
    _created, ref = to_approval(process)
    approval = process.task_for("sam", ref)
    page = text(browser(process, "sam").get(f"/tasks/{approval['id']}"))
    assert "Our decision (sent to the complainant)" in page
    assert INVESTIGATION["response_decision"] in page
    assert INVESTIGATION["findings"] in page
    assert '<dd class="prewrap">Yes: upheld</dd>' in page  # a coded answer, as the form showed it


def test_a_send_back_shows_the_reason_and_keeps_the_earlier_answers(process):
    _created, ref = to_approval(process)
    process.work("sam", ref, {"approval_decision": "reject", "approval_comment": SEND_BACK})
    rework = process.task_for("ivan", ref, scope="mine")
    assert rework["bpmn_id"] == "Task_investigate"
    ivan = browser(process, "ivan")
    page = text(ivan.get(f"/tasks/{rework['id']}"))
    notice = page.split('id="rework"', 1)[1].split("</div>", 1)[0]
    assert "This step has come back to you" in notice and SEND_BACK in notice
    # Her own answers are in the form again, ready to change.
    assert f">{INVESTIGATION['findings']}</textarea>" in page
    assert f'value="{INVESTIGATION["remedy_amount"]}"' in page or "39.5" in page
    # And she may open the approval that sent it back (a finished step of her complaint).
    approval = [t for t in process.get(f"/api/complaints/{ref}", "sam").get_json()["tasks"]
                if t["bpmn_id"] == "Task_approve_response"][0]
    assert ivan.get(f"/tasks/{approval['id']}").status_code == 200
    assert process.get(f"/api/tasks/{approval['id']}", "ivan").status_code == 200


def test_the_intake_notes_reach_the_investigator(process):
    ref = process.submit()["reference"]
    assess(process, ref, assessment_notes=NOTES)
    task = process.task_for("ivan", ref, scope="mine")
    page = text(browser(process, "ivan").get(f"/tasks/{task['id']}"))
    assert "Notes for colleagues" in page and NOTES in page


def test_the_reviewer_reads_the_complainants_reason(process):
    created, ref = to_approval(process)
    process.work("sam", ref, {"approval_decision": "approve"})
    response = process.post("/api/messages/complainant_reply", json={
        "reference": ref, "token": created["status_token"], "payload": {"accepted": False, "comment": UNHAPPY}})
    assert response.status_code == 200, response.get_json()
    review = process.task_for("sue", ref)
    assert review["bpmn_id"] == "Task_internal_review"
    page = text(browser(process, "sue").get(f"/tasks/{review['id']}"))
    assert "The complainant replied" in page and UNHAPPY in page
    with process.app.app_context():
        kept = db.session.scalars(select(CaseMessage)).one()
        assert kept.payload == {"accepted": False, "comment": UNHAPPY} and kept.sender == "complainant"


def test_the_engine_keeps_codes_and_the_letter_keeps_the_words(process):
    created, ref = to_approval(process, assessment_notes=NOTES)
    process.work("sam", ref, {"approval_decision": "approve"})
    process.post("/api/messages/complainant_reply", json={
        "reference": ref, "token": created["status_token"], "payload": {"accepted": False, "comment": UNHAPPY}})
    with process.app.app_context():
        state = db.session.scalars(select(ProcessInstance)).one().state
        for words in (NOTES, UNHAPPY, INVESTIGATION["findings"], INVESTIGATION["response_decision"],
                      INVESTIGATION["corrective_action"], "Dana Example", "dana@example.com"):
            assert words not in state, words
        assert '"outcome": "upheld"' in state or '"outcome":"upheld"' in state  # codes still route
        letters = db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "decision")).all()
        assert len(letters) == 1
        assert INVESTIGATION["response_decision"] in letters[0].body_text
        assert INVESTIGATION["response_explanation"] in letters[0].body_text
        assert "casefile:" not in letters[0].body_text


def test_a_finished_step_is_hidden_from_a_group_member_who_may_not_open_its_complaint(process):
    process.user("bob", groups=["intake"])
    ref = process.submit()["reference"]
    intake = process.task_for("alice", ref)
    assess(process, ref, assessment_notes=NOTES)
    assert process.get(f"/api/tasks/{intake['id']}", "alice").status_code == 200  # she did it
    assert process.get(f"/api/tasks/{intake['id']}", "bob").status_code == 404
    assert process.get(f"/api/complaints/{ref}", "bob").status_code == 404
