"""The heatmap (#13, ISO 10002 8.7): figures per element and per flow from the trail and
the task table, checked against a known set of complaints on the injected clock."""

import html
import json
import re
from datetime import UTC, datetime

from bpmn_complaints.clock import get_clock
from conftest import DIAGRAMS
from test_web_staff import Browser, add_user

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
HOUR = 3600.0


def _advance(api, hours):
    with api.app.app_context():
        get_clock().advance(hours=hours)


def _reply(api, ref, accepted):
    answer = api.post("/api/messages/complainant_reply", "sam",
                      json={"reference": ref, "channel": "phone", "payload": {"accepted": accepted}})
    assert answer.status_code in (200, 202), answer.get_json()


def _data(page, name):
    found = re.search(rf"data-{name}='([^']*)'", page)
    assert found, name
    return json.loads(html.unescape(found.group(1)))


def test_heatmap_figures_for_a_known_set_of_complaints(api):
    with api.app.app_context():
        get_clock().set(T0)
    assert api.deploy(DIAGRAMS / "reply.bpmn").exit_code == 0
    api.user("sam", groups=["supervisors"], roles=["staff", "supervisor"])
    add_user(api.runner, "rita", roles=("supervisor",), groups=["supervisors"])
    add_user(api.runner, "stan", roles=("staff",))
    first, second, third = (api.submit()["reference"] for _ in range(3))
    _advance(api, 2)
    _reply(api, first, True)    # waited 2 h, accepted: the end
    _advance(api, 2)
    _reply(api, second, False)  # waited 4 h, then waits at the review
    _advance(api, 2)
    _reply(api, third, False)   # waited 6 h, reviewed an hour later
    _advance(api, 1)
    api.work("sam", third, {})

    page_url = "/process/complaint_handling/1/heatmap?from=2026-11-01&to=2026-11-30"
    assert Browser(api.app).login("stan").get(page_url).status_code == 403
    browser = Browser(api.app).login("rita")
    response = browser.get(page_url)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    figures, flows = _data(page, "figures"), _data(page, "flows")

    assert figures["Catch_reply"]["passed"] == 3
    assert abs(figures["Catch_reply"]["median"] - 4 * HOUR) < 0.01
    assert abs(figures["Catch_reply"]["p90"] - 5.6 * HOUR) < 1  # 4 h + 0.8 of the way to 6 h
    assert figures["Gateway_accepted"]["passed"] == 3 and figures["Gateway_accepted"]["median"] < 1
    review = figures["Task_review"]
    assert (review["passed"], review["waiting"]) == (1, 1)
    assert abs(review["median"] - HOUR) < 0.01 and abs(review["p90"] - HOUR) < 0.01
    assert figures["EndEvent_accepted"]["passed"] == 1 and figures["EndEvent_reviewed"]["passed"] == 1
    assert flows == {"Flow_1": 3, "Flow_2": 3, "Flow_yes": 1, "Flow_no": 2, "Flow_3": 1}

    # A period before the complaints has none of them.
    empty = browser.get("/process/complaint_handling/1/heatmap?from=2026-10-01&to=2026-10-31").get_data(as_text=True)
    assert {k: v for k, v in _data(empty, "figures").items() if v["passed"]} == {}

    # Clicking an element lists its complaints: passed, and waiting there now.
    listed = browser.get("/process/complaint_handling/1/heatmap/Task_review?from=2026-11-01&to=2026-11-30")
    at = {c["reference"]: c["at"] for c in listed.get_json()["complaints"]}
    assert at == {second: "waiting", third: "passed"}
    listed = browser.get("/process/complaint_handling/1/heatmap/EndEvent_accepted?from=2026-11-01&to=2026-11-30")
    assert [c["reference"] for c in listed.get_json()["complaints"]] == [first]
