"""The public complainant portal through the Flask test client."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from conftest import DIAGRAMS
from test_web_staff import Browser, add_user, first_task_id, text

FORM = {"name": "Dana Example", "email": "dana@example.com", "phone": "", "product": "Broadband",
        "description": "Charged twice in March.", "remedy_sought": "A refund", "preferred_contact": "email"}


@pytest.fixture
def portal(api):
    assert api.deploy(DIAGRAMS / "simple").exit_code == 0
    return Browser(api.app)


def submit(browser, **changes):
    response = browser.post("/complain", "/complain", {**FORM, **changes})
    assert response.status_code == 302, text(response)
    page = text(browser.get(response.headers["Location"]))
    reference = re.search(r'id="reference">([^<]+)<', page).group(1)
    status_url = re.search(r'id="status-link" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    return reference, status_url


def test_how_to_complain_page_states_the_timelines(client, app):
    page = text(client.get("/"))
    assert "How to make a complaint" in page
    assert f"within {app.config['TARGET_ASSESSMENT_DAYS']} working day" in page
    assert f"within {app.config['TARGET_RESPONSE_DAYS']} working days" in page
    assert 'href="/complain"' in page


def test_complaint_form_is_labelled_and_protected(client):
    page = text(client.get("/complain"))
    assert 'name="csrf_token"' in page
    for field in ("name", "email", "phone", "product", "description", "remedy_sought"):
        assert f'<label for="{field}">' in page, field
    assert 'name="preferred_contact" value="email"' in page and "<legend>How should we contact you?" in page


def test_missing_answers_give_a_linked_summary_and_keep_the_rest(portal):
    response = portal.post("/complain", "/complain", {**FORM, "name": "", "email": "not-an-email",
                                                      "description": " "})
    assert response.status_code == 400
    page = text(response)
    assert "There is a problem" in page and "Error: Make a complaint" in page
    for field in ("name", "email", "description"):
        assert f'<a href="#{field}">' in page
        assert f'id="{field}-error"' in page and f'aria-describedby="{field}' in page
    assert "Enter your email address, like name@example.com." in page
    assert 'value="not-an-email"' in page and 'value="Broadband"' in page and ">A refund</textarea>" in page
    assert 'value="email" checked' in page


def test_submit_confirm_and_status_without_internal_notes(portal, api):
    reference, status_url = submit(portal)
    assert reference.startswith("C-")
    add_user(api.runner, "alice", ["intake"])
    alice = Browser(api.app).login("alice")
    task_id = first_task_id(text(alice.get("/inbox?scope=group")))
    alice.post(f"/tasks/{task_id}", f"/tasks/{task_id}/comments", {"body": "Internal: customer sounds angry"})

    page = text(portal.get(status_url))
    assert f"Your complaint {reference}" in page and "Being assessed" in page
    steps = page[page.index("What has happened so far"):]
    assert steps.index("Received") < steps.index("Acknowledged") < steps.index("Being assessed")
    assert "Internal" not in page and "alice" not in page
    # The date the acknowledgement promised, in words, matching the complainant's API view.
    promised = api.get(f"/api/complaints/{reference}", query_string={"token": status_url.split("token=")[1]})
    promised = datetime.fromisoformat(promised.get_json()["expected_response_by"])
    assert promised > datetime.now(UTC) + timedelta(days=7)
    assert f"We aim to send you our response by <strong>{promised:%A} {promised.day} {promised:%B %Y}</strong>" in page
    # Tasks are being worked on, so there is no decision to accept yet; withdrawing is offered.
    assert "I accept the decision" not in page and "Withdraw my complaint" in page
    # The status page also works when the person types the reference and the code.
    token = status_url.split("token=")[1]
    found = portal.get("/status", query_string={"reference": reference.lower(), "token": token})
    assert found.headers["Location"] == f"/status/{reference}"  # the code does not travel on in a URL


def test_wrong_token_is_a_friendly_404(portal):
    reference, _url = submit(portal)
    response = portal.get(f"/status/{reference}?token=guess")
    assert response.status_code == 404 and "Page not found" in text(response)
    assert reference not in text(response)


def test_script_in_a_description_is_shown_as_text(portal, api):
    reference, status_url = submit(portal, description="<script>alert(1)</script>", name="<b>Eve</b>")
    add_user(api.runner, "alice", ["intake"])
    alice = Browser(api.app).login("alice")
    task_id = first_task_id(text(alice.get("/inbox?scope=group")))
    for page in (text(alice.get(f"/tasks/{task_id}")), text(alice.get(f"/complaints/{reference}"))):
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "<script>alert(1)" not in page and "<b>Eve</b>" not in page


def test_submissions_are_rate_limited_per_address(portal, app):
    app.config["SUBMIT_RATE_LIMIT"] = "2 per minute"
    submit(portal)
    submit(portal)
    blocked = portal.post("/complain", "/complain", FORM)
    assert blocked.status_code == 429 and "Please wait a moment" in text(blocked)
    other = Browser(app)
    assert other.post("/complain", "/complain", FORM, environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 302


def test_accept_the_decision(api):
    assert api.deploy(DIAGRAMS / "reply.bpmn").exit_code == 0
    portal = Browser(api.app)
    reference, status_url = submit(portal)
    page = text(portal.get(status_url))
    assert "Awaiting your reply" in page and "I accept the decision" in page
    assert "We aim to send you our response" not in page  # it has been sent
    token = status_url.split("token=")[1]
    done = portal.post(status_url, f"/status/{reference}/reply", {"token": token, "choice": "accept",
                                                                  "comment": "Thanks"}, follow_redirects=True)
    page = text(done)
    assert "you accept our decision" in page and "Closed" in page
    assert "I accept the decision" not in page and "Withdraw my complaint" not in page


def test_dissatisfied_then_a_second_reply_gets_a_friendly_message(api):
    assert api.deploy(DIAGRAMS / "reply.bpmn").exit_code == 0
    portal = Browser(api.app)
    reference, status_url = submit(portal)
    token = status_url.split("token=")[1]
    first = portal.post(status_url, f"/status/{reference}/reply", {"token": token, "choice": "dissatisfied"},
                        follow_redirects=True)
    assert "you are not satisfied" in text(first)
    second = portal.client.post(f"/status/{reference}/reply", data={
        "csrf_token": portal.token(status_url), "token": token, "choice": "accept"}, follow_redirects=True)
    assert "not at a stage where it applies" in text(second)


def test_withdraw_when_the_process_does_not_expect_it_is_explained(portal):
    reference, status_url = submit(portal)
    token = status_url.split("token=")[1]
    response = portal.post(status_url, f"/status/{reference}/reply", {"token": token, "choice": "withdraw"},
                           follow_redirects=True)
    assert "not at a stage where it applies" in text(response)
    forged = portal.post(status_url, f"/status/{reference}/reply", {"token": "guess", "choice": "withdraw"})
    assert forged.status_code == 404


def test_satisfaction_survey_after_closure(portal, api, app):
    from bpmn_complaints.mail.links import feedback_signature

    reference, _status = submit(portal)
    with app.test_request_context():
        sig = feedback_signature(reference)
    survey = f"/feedback/{reference}?sig={sig}"
    assert portal.get(f"/feedback/{reference}?sig=forged").status_code == 404
    assert "opens when we have closed" in text(portal.get(survey))

    api.user("alice", groups=["intake"])
    api.work("alice", reference, {"in_scope": False, "severity": "low"})
    page = text(portal.get(survey))
    assert "Overall, how satisfied are you" in page and 'name="csrf_token"' in page
    missing = portal.post(survey, survey, {"sig": sig, "comment": "Quick <i>reply</i>"})
    assert missing.status_code == 400
    assert '<a href="#satisfaction">' in text(missing) and "Quick &lt;i&gt;reply&lt;/i&gt;</textarea>" in text(missing)
    done = portal.post(survey, survey, {"sig": sig, "satisfaction": "4", "resolved": "partly",
                                        "comment": "Quick reply"})
    assert done.status_code == 200 and "Thank you for your feedback" in text(done)
    assert "We have your answers" in text(portal.get(survey))
    events = [e for e in api.history(reference, "alice")["events"] if e["action"] == "feedback_received"]
    assert len(events) == 1 and events[0]["details"] == {"satisfaction": 4, "resolved": "partly", "commented": True}
