"""Who may speak for the complainant through ``POST /api/messages/complainant_*`` (issue 15):
the complainant with their status token, or staff who record a reply that came by phone,
letter, email or in person, as the same named, audited action the complaint page offers.
A read-only auditor, a process owner, or staff without a channel are refused."""

import pytest

from conftest import DIAGRAMS


def setup(api):
    assert api.deploy(DIAGRAMS / "reply.bpmn").exit_code == 0
    api.user("sam", groups=["supervisors"], roles=["staff", "supervisor"])
    api.user("audra", roles=["auditor"])
    api.user("olga", roles=["process_owner", "auditor"])
    return api.submit()


def send(api, created, who, name="complainant_reply", payload=None, **extra):
    body = {"reference": created["reference"], "payload": {"accepted": True, "comment": "fine"}
            if payload is None else payload, **extra}
    return api.post(f"/api/messages/{name}", who, json=body)


def state(api, created):
    return api.get(f"/api/complaints/{created['reference']}", "sam").get_json()["state"]


@pytest.mark.parametrize("name", ["complainant_reply", "complainant_withdrew"])
@pytest.mark.parametrize("who", ["audra", "olga"])
def test_readers_may_not_speak_for_the_complainant(api, who, name):
    created = setup(api)
    for extra in ({}, {"channel": "phone"}):
        response = send(api, created, who, name, **extra)
        assert response.status_code == 403, response.get_json()
        assert response.get_json()["error"]["code"] == "forbidden"
    assert state(api, created) == "open"
    assert [e for e in api.history(created["reference"], "sam")["events"]
            if e["action"] in ("message_received", "reply_recorded")] == []


def test_staff_must_say_how_the_reply_reached_them(api):
    created = setup(api)
    missing = send(api, created, "sam")
    assert missing.status_code == 400 and "channel" in missing.get_json()["error"]["details"]
    wrong = send(api, created, "sam", channel="carrier pigeon")
    assert wrong.status_code == 400 and "channel" in wrong.get_json()["error"]["details"]
    assert state(api, created) == "open"


def test_staff_record_a_reply_by_phone_as_the_audited_action(api):
    created = setup(api)
    response = send(api, created, "sam", channel="phone", payload={"accepted": True, "comment": "She is happy"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "Closed"
    events = api.history(created["reference"], "sam")["events"]
    recorded = [e for e in events if e["action"] == "reply_recorded"]
    assert [(e["actor"], e["details"]["channel"], e["details"]["kind"]) for e in recorded] == [
        ("sam", "phone", "accept")]
    received = [e for e in events if e["action"] == "message_received"]
    assert received[0]["actor"] == "sam"


def test_a_staff_reply_needs_a_yes_or_no(api):
    created = setup(api)
    response = send(api, created, "sam", channel="letter", payload={"comment": "unclear"})
    assert response.status_code == 400, response.get_json()
    assert "accepted" in response.get_json()["error"]["details"]
    assert state(api, created) == "open"


def test_staff_record_only_the_replies_the_complaint_page_knows(api):
    created = setup(api)
    response = send(api, created, "sam", "complainant_rating", channel="email")
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["error"]["code"] == "validation_failed"


def test_the_complainant_still_replies_with_their_token(api):
    created = setup(api)
    response = send(api, created, None, token=created["status_token"])
    assert response.status_code == 200, response.get_json()
    events = api.history(created["reference"], "sam")["events"]
    assert [e["actor"] for e in events if e["action"] == "message_received"] == ["complainant"]
    assert not [e for e in events if e["action"] == "reply_recorded"]


def test_an_auditor_sends_no_message_at_all(api):
    created = setup(api)
    response = send(api, created, "audra", "escalate_now", payload={})
    assert response.status_code == 403, response.get_json()
