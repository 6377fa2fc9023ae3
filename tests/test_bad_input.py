"""Hostile input is a 400 in the documented error shape, never a 500 (issue 15): a NUL
character anywhere people type (the public form, the API, the login, a status URL), and
ids, versions, pages and offsets beyond what the database's integers hold (2^31 on
PostgreSQL, 2^63 on SQLite). Runs on SQLite and, when configured, on PostgreSQL."""

import pytest

from conftest import HERE
from test_web_staff import Browser, add_user

PROCESSES = HERE.parent / "processes"
HUGE = [2**31, 2**63, 10**30]


@pytest.fixture
def site(api):
    assert api.deploy(PROCESSES).exit_code == 0
    api.user("sam", groups=["intake", "supervisors"], roles=["staff", "supervisor"])
    add_user(api.runner, "pat", groups=["intake", "supervisors"], roles=["staff", "supervisor", "process_owner"])
    api.app.config["SUBMIT_RATE_LIMIT"] = "100000 per minute"
    return api


def json_error(response, status=400):
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    error = response.get_json()["error"]
    assert set(error) == {"code", "message", "details"} and error["code"] in ("bad_request", "validation_failed")
    return error


def page_error(response):
    assert response.status_code == 400, response.get_data(as_text=True)[:500]
    assert "Traceback" not in response.get_data(as_text=True)


def test_nul_in_the_api_submission_is_a_400(site):
    for field in ("name", "description", "product"):
        body = {"name": "Dana", "email": "dana@example.com", "description": "Charged twice.", field: "a\x00b"}
        json_error(site.post("/api/complaints", json=body))
    json_error(site.post("/api/complaints", data={"name": "Da\x00na", "email": "dana@example.com",
                                                  "description": "x"}))


def test_nul_in_the_public_form_is_a_400(site):
    browser = Browser(site.app)
    page_error(browser.post("/complain", "/complain", {"name": "Dana\x00", "email": "dana@example.com",
                                                        "description": "Charged twice."}))


def test_nul_in_the_login_is_a_400(site):
    browser = Browser(site.app)
    page_error(browser.post("/login", "/login", {"name": "sam\x00", "password": "x"}))
    page_error(browser.post("/login", "/login", {"name": "pat", "password": "x\x00"}))


def test_nul_in_a_status_url_is_a_400(site):
    created = site.submit()
    ref = created["reference"]
    page_error(site.client.get(f"/status/{ref}%00"))
    page_error(site.client.get(f"/status/{ref}", query_string={"token": "a\x00b"}))
    page_error(site.client.get("/status", query_string={"reference": "a\x00", "token": "x"}))
    json_error(site.get(f"/api/complaints/{ref}", query_string={"token": "\x00"}))
    json_error(site.get(f"/api/complaints/{ref}%00", "sam"))


def test_nul_in_staff_api_input_is_a_400(site):
    created = site.submit()
    task = site.task_for("sam", created["reference"])
    json_error(site.get("/api/complaints", "sam", query_string={"q": "a\x00"}))
    json_error(site.get("/api/tasks", "sam", query_string={"lane": "\x00", "scope": "all"}))
    json_error(site.get(f"/api/tasks/{task['id']}%00", "sam"))
    json_error(site.post(f"/api/tasks/{task['id']}/comments", "sam", json={"body": "x\x00y"}))
    json_error(site.post("/api/messages/complainant_reply", json={
        "reference": created["reference"], "token": created["status_token"], "payload": {"comment": "\x00"}}))
    json_error(site.client.get("/api/complaints", headers={"Authorization": "Bearer a\x00b"}), 400)


@pytest.mark.parametrize("huge", HUGE)
def test_huge_ids_and_offsets_are_a_400(site, huge):
    created = site.submit()
    ref = created["reference"]
    json_error(site.get("/api/complaints", "sam", query_string={"offset": huge}))
    json_error(site.get("/api/tasks", "sam", query_string={"offset": huge, "scope": "all"}))
    json_error(site.post(f"/api/incidents/{huge}/retry", "sam"))
    json_error(site.post(f"/api/outbox/{huge}/retry", "sam"))
    json_error(site.get(f"/api/complaints/{ref}/attachments/{huge}", "sam"))
    json_error(site.get(f"/api/complaints/{ref}/attachments/{huge}", query_string={"token": created["status_token"]}))
    json_error(site.get(f"/api/definitions/complaint_handling/{huge}/bpmn", "sam"))
    json_error(site.get("/api/definitions/complaint_handling/compare", "sam", query_string={"from": huge, "to": 1}))


@pytest.mark.parametrize("huge", HUGE)
def test_huge_numbers_on_pages_are_a_400(site, huge):
    created = site.submit()
    ref = created["reference"]
    pat = Browser(site.app).login("pat")
    for path in (f"/complaints?page={huge}", f"/inbox?page={huge}",
                 f"/complaints/{ref}/attachments/{huge}", f"/process/complaint_handling/{huge}/diagram.bpmn",
                 f"/process/complaint_handling/compare?from={huge}&to=1",
                 f"/status/{ref}/attachments/{huge}?token={created['status_token']}"):
        page_error(pat.get(path))



@pytest.mark.parametrize("query", [{"from": "0001-01-01", "to": "9999-12-31"}, {"to": "0001-01-01"},
                                   {"from": "9999-12-31"}])
def test_report_periods_at_the_ends_of_the_calendar_are_a_400(site, query):
    for path in ("/api/reports/summary", "/api/reports/summary.csv", "/api/audit/sample"):
        json_error(site.get(path, "sam", query_string=query))


def test_a_typed_case_file_pointer_is_the_senders_words(site):
    created = site.submit()
    for spoof in ("casefile:message/99999999999/comment", "casefile:message/1/comment"):
        response = site.post("/api/messages/complainant_withdrew", json={
            "reference": created["reference"], "token": created["status_token"], "payload": {"comment": spoof}})
        assert response.status_code in (200, 409), response.get_json()
    with site.app.app_context():
        from bpmn_complaints.extensions import db
        from bpmn_complaints.models import CaseMessage
        from bpmn_complaints.services import case_text

        message = db.session.query(CaseMessage).order_by(CaseMessage.id).first()
        assert message.payload["comment"] == "casefile:message/99999999999/comment"
        assert not case_text.is_code(message.payload["comment"])
