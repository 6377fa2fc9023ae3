"""Email templates: every built-in renders both parts, an override folder wins, the HTML
part is escaped; and an escalation nobody can receive is an incident."""

from datetime import UTC, datetime

import pytest
from jinja2 import TemplateNotFound, UndefinedError
from sqlalchemy import select

from bpmn_complaints.extensions import db
from bpmn_complaints.mail import render
from bpmn_complaints.models import OutboxMessage
from conftest import DIAGRAMS


class Complaint:
    name = "Dana <script>alert(1)</script>"
    category, priority = "billing", "high"
    received_at = datetime(2026, 12, 18, 10, tzinfo=UTC)
    status_code = "7KQ2MX9R4T"


WHEN = datetime(2027, 1, 6, tzinfo=UTC)
CONTEXT = {
    "acknowledgement": dict(received_at=WHEN, expected_response_by=WHEN, target_days=10,
                            status_link="https://x/status/C-1?token=t", has_token=True),
    "decision": dict(decision="Upheld", explanation="Because", remedy="Refund", recourse=None, reply_by=WHEN,
                     awaits_reply=True,
                     status_link="https://x/status/C-1"),
    "escalation": dict(group="supervisors", reason="breach", task_name="SLA", staff_link="https://x/c/C-1"),
    "feedback_request": dict(survey_link="https://x/feedback/C-1?sig=s", status_link="https://x/status/C-1?token=t",
                             withdrawn=False, closed_at=WHEN, action_taken="Refunded",
                             action_completed_on="2027-01-05"),
    "notification": dict(title=None, message="Hello", task_name="T", staff_link="https://x/c/C-1"),
    "reminder": dict(message=None, task_name="T", staff_link="https://x/c/C-1"),
    "staff_notification": dict(kind="assigned", title="C-2026-ABCDEF: Investigate is yours", task_name="Investigate",
                               group="", note="", staff_link="https://x/complaints/C-2026-ABCDEF", recipient="Ivan"),
    "duplicate_closed": dict(same_person=True, original_reference="C-2026-ZZZZZZ",
                             original_link="https://x/status/C-2026-ZZZZZZ?token=t"),
}
for kind in ("final_response", "out_of_scope", "summary_resolution"):
    CONTEXT[kind] = CONTEXT["decision"]


@pytest.mark.parametrize("name", sorted(CONTEXT))
def test_every_builtin_template_renders_both_parts(app, name):
    with app.app_context():
        email = render(name, complaint=Complaint(), reference="C-2026-ABCDEF", **CONTEXT[name])
    assert email.subject and "\n" not in email.subject and "C-2026-ABCDEF" in email.subject + email.text
    assert email.html.startswith("<!doctype html>") and "<script>" not in email.html
    if "Dana" in email.text:
        assert "Dana <script>" in email.text and "Dana &lt;script&gt;" in email.html


def test_a_missing_variable_or_template_is_an_error(app):
    with app.app_context():
        with pytest.raises(UndefinedError):
            render("acknowledgement", complaint=Complaint(), reference="C-1")
        with pytest.raises(TemplateNotFound):
            render("no_such_email", reference="C-1")


def test_the_override_folder_is_searched_first(api, tmp_path):
    (tmp_path / "acknowledgement.txt").write_text(
        '{% set subject = "Got it: " ~ reference %}Hi {{ complaint.name }}, see {{ status_link }}\n')
    api.app.config["EMAIL_TEMPLATE_FOLDER"] = str(tmp_path)
    assert api.deploy(DIAGRAMS / "respond.bpmn").exit_code == 0
    ref = api.submit()["reference"]
    with api.app.app_context():
        row = db.session.scalar(select(OutboxMessage))
        assert row.subject == f"Got it: {ref}" and row.body_text.startswith("Hi Dana Example, see http")
        assert "What happens next" in row.body_html  # no override for the HTML part: the built-in one


def test_an_escalation_nobody_can_receive_is_an_incident(api):
    assert api.deploy(DIAGRAMS / "respond.bpmn").exit_code == 0
    api.user("ivan", groups=["investigators"])
    api.user("sam", groups=["supervisors"], roles=["staff", "supervisor"], email=None)
    ref = api.submit()["reference"]
    api.work("ivan", ref, {"decision": "Not upheld"})
    [incident] = api.get(f"/api/complaints/{ref}", "sam").get_json()["incidents"]
    assert incident["bpmn_id"] == "Task_escalate"
    assert "nobody in the 'supervisors' group has an email address" in incident["message"]
    with api.app.app_context():
        # The decision was written before the escalation failed, and stays queued.
        assert sorted(db.session.scalars(select(OutboxMessage.template))) == ["acknowledgement", "decision"]
