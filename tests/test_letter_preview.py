"""Staff see the letter before it goes: previewing a task shows the exact email that
completing it with the current answers would send, the next step and the status, and
changes nothing."""

import re

from sqlalchemy import func, select

from bpmn_complaints.extensions import db
from bpmn_complaints.models import AuditEvent, HumanTask, OutboxMessage
from test_case_file import browser
from test_process_paths import INVESTIGATION, assess, process  # noqa: F401
from test_web_staff import text


def _counts(process):
    with process.app.app_context():
        return (db.session.scalar(select(func.count()).select_from(OutboxMessage)),
                db.session.scalar(select(func.count()).select_from(AuditEvent)),
                db.session.scalar(select(func.count()).where(HumanTask.state == "ready")))


def test_the_investigator_previews_the_decision_letter_and_nothing_changes(process):
    ref = process.submit()["reference"]
    assess(process, ref)
    task = process.task_for("ivan", ref, scope="mine")
    ivan = browser(process, "ivan")
    page = text(ivan.get(f"/tasks/{task['id']}"))
    assert "Preview what this sends" in page
    before = _counts(process)
    form = {k: str(v) for k, v in INVESTIGATION.items()}
    shown = ivan.post(f"/tasks/{task['id']}", f"/tasks/{task['id']}/preview", form)
    assert shown.status_code == 200, text(shown)
    panel = text(shown).split('id="preview"', 1)[1].split("</section>", 1)[0]
    assert "Email to dana@example.com" in panel and INVESTIGATION["response_decision"] in panel
    assert "Awaiting your reply" in panel or "Decision sent" in panel
    # The answers stay in the form, and only the draft was kept.
    assert INVESTIGATION["findings"] in text(shown)
    after = _counts(process)
    assert after[0] == before[0] and after[2] == before[2]  # no email queued, the task still waits
    assert process.task_for("ivan", ref, scope="mine")["id"] == task["id"]
    # Completing then sends exactly the letter shown.
    letter = re.search(r'<div class="letter prewrap">(.*?)</div>', panel, re.S).group(1)
    assert process.complete("ivan", task["id"], INVESTIGATION).status_code == 200
    with process.app.app_context():
        sent = db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "decision")).one()
    import html
    assert html.unescape(letter) == sent.body_text


def test_a_preview_with_a_missing_answer_shows_the_problem(process):
    ref = process.submit()["reference"]
    assess(process, ref)
    task = process.task_for("ivan", ref, scope="mine")
    shown = browser(process, "ivan").post(f"/tasks/{task['id']}", f"/tasks/{task['id']}/preview",
                                          {"findings": "Only this."})
    assert shown.status_code == 400 and 'id="preview"' not in text(shown)


def test_a_step_that_sends_nothing_says_so_and_names_the_next_step(process):
    ref = process.submit()["reference"]
    assess(process, ref, severity="high")
    task = process.task_for("ivan", ref, scope="mine")
    form = {k: str(v) for k, v in INVESTIGATION.items()}
    shown = browser(process, "ivan").post(f"/tasks/{task['id']}", f"/tasks/{task['id']}/preview", form)
    panel = text(shown).split('id="preview"', 1)[1].split("</section>", 1)[0]
    assert "No letter goes to the complainant" in panel and "Approve the response" in panel
