"""Messages correlate to a complaint by its reference."""

from conftest import DIAGRAMS


def setup(api):
    assert api.deploy(DIAGRAMS / "reply.bpmn").exit_code == 0
    api.user("sam", groups=["supervisors"], roles=["staff", "supervisor"])
    return api.submit()


def reply(api, created, accepted, name="complainant_reply", token=None):
    return api.post(f"/api/messages/{name}", json={
        "reference": created["reference"], "token": token or created["status_token"],
        "payload": {"accepted": accepted, "comment": "thanks"}})


def test_complainant_accepts_with_their_token(api):
    created = setup(api)
    status = api.get(f"/api/complaints/{created['reference']}", query_string={"token": created["status_token"]})
    assert status.get_json()["status"] == "Awaiting your reply"
    response = reply(api, created, True)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "Closed"
    assert api.tasks("sam", "group")["total"] == 0
    events = api.history(created["reference"], "sam")["events"]
    received = [e for e in events if e["action"] == "message_received"]
    assert received[0]["actor"] == "complainant" and received[0]["details"]["payload"]["accepted"] is True


def test_dissatisfied_goes_to_review_and_a_second_reply_conflicts(api):
    created = setup(api)
    assert reply(api, created, False).status_code == 200
    assert api.task_for("sam", created["reference"])["bpmn_id"] == "Task_review"
    again = reply(api, created, True)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "conflict"


def test_wrong_token_and_foreign_message_names_are_refused(api):
    created = setup(api)
    assert reply(api, created, True, token="guess").status_code == 404
    assert reply(api, created, True, name="internal_override").status_code == 403
    staff = api.post("/api/messages/complainant_reply", "sam",
                     json={"reference": created["reference"], "channel": "phone", "payload": {"accepted": True}})
    assert staff.status_code == 200
