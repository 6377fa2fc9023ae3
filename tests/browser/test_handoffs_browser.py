"""Each handoff of the shipped process in a real browser: what one person wrote is on the
next person's page (ISO 10002 7.3, 7.6)."""

from test_web_browser import chromium, live_server, new_page, shot, sign_in  # noqa: F401

from test_case_file import NOTES, SEND_BACK, UNHAPPY, to_approval
from test_process_paths import INVESTIGATION, assess, process  # noqa: F401
from test_web_staff import PASSWORD


def passwords(api, *names):
    for name in names:
        result = api.runner.invoke(args=["users", "add", name, "--password", PASSWORD])
        assert result.exit_code == 0, result.output


def open_task(page, name, task_id):
    sign_in(page, name)
    page.goto(f"/tasks/{task_id}")
    return page


def case_file(page):
    return page.locator("#case-file").inner_text()


def test_the_investigator_reads_the_intake_notes(process, new_page, shot):
    passwords(process, "ivan")
    ref = process.submit()["reference"]
    assess(process, ref, assessment_notes=NOTES)
    task = process.task_for("ivan", ref, scope="mine")
    page = open_task(new_page(), "ivan", task["id"])
    text = case_file(page)
    assert "Notes for colleagues" in text and NOTES in text
    shot(page, "handoff_intake_notes")


def test_the_approver_reads_the_proposal(process, new_page, shot):
    passwords(process, "sam")
    _created, ref = to_approval(process)
    approval = process.task_for("sam", ref)
    page = open_task(new_page(), "sam", approval["id"])
    text = case_file(page)
    assert "Our decision (sent to the complainant)" in text and INVESTIGATION["response_decision"] in text
    shot(page, "handoff_approval_proposal")


def test_a_send_back_shows_the_reason_and_the_earlier_answers(process, new_page, shot):
    passwords(process, "sam", "ivan")
    _created, ref = to_approval(process)
    approval = process.task_for("sam", ref)
    page = open_task(new_page(), "sam", approval["id"])
    page.get_by_role("button", name="Claim this task").click()
    page.locator("#f-approval_decision").select_option("reject")
    page.locator("#f-approval_comment").fill(SEND_BACK)
    page.get_by_role("button", name="Complete").click()
    page.wait_for_url("**/inbox")

    rework = process.task_for("ivan", ref, scope="mine")
    page = open_task(new_page(), "ivan", rework["id"])
    notice = page.locator("#rework").inner_text()
    assert "come back to you" in notice and SEND_BACK in notice
    assert page.locator("#f-findings").input_value() == INVESTIGATION["findings"]
    assert page.locator("#f-response_decision").input_value() == INVESTIGATION["response_decision"]
    shot(page, "handoff_send_back")


def test_the_reviewer_reads_why_the_complainant_is_unhappy(process, new_page, shot):
    passwords(process, "sue")
    created, ref = to_approval(process)
    process.work("sam", ref, {"approval_decision": "approve"})
    response = process.post("/api/messages/complainant_reply", json={
        "reference": ref, "token": created["status_token"], "payload": {"accepted": False, "comment": UNHAPPY}})
    assert response.status_code == 200, response.get_json()
    review = process.task_for("sue", ref)
    page = open_task(new_page(), "sue", review["id"])
    text = case_file(page)
    assert "The complainant replied" in text and UNHAPPY in text
    shot(page, "handoff_review_reason")
