"""Workload per person (ISO 10002 4.3, 4.14) through the HTTP API and the team page, with
tasks held, overdue and completed on the real process and the test's clock."""

import pytest

from test_process_paths import MONDAY, advance, assess, process  # noqa: F401
from test_web_staff import Browser, add_user


@pytest.fixture
def busy(process):  # noqa: F811
    """Four complaints on Monday 23 November 2026, 09:00 UTC. Alice assesses one (it goes
    to Ivan, assigned to him) and claims two more; the fourth waits unclaimed in intake.
    Then it is Thursday 09:00: the assessments were due on Wednesday 09:00."""
    api = process
    api.app.config["SUBMIT_RATE_LIMIT"] = "60 per minute"
    refs = [api.submit()["reference"] for _ in range(4)]
    assess(api, refs[0])
    for ref in refs[1:3]:
        task = api.task_for("alice", ref)
        assert api.claim("alice", task["id"]).status_code == 200
    advance(api, days=3)
    return api, refs


def people(api, who="sam"):
    response = api.get("/api/workload", who)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    return body, {p["name"]: p for p in body["people"]}


def test_each_person_holding_overdue_and_completed(busy):
    api, _refs = busy
    api.user("quinn", roles=["auditor"])  # not staff: not listed
    body, by_name = people(api)
    assert body["as_of"] == "2026-11-26T09:00:00+00:00" and body["recent_days"] == 7
    assert [p["name"] for p in body["people"]] == ["alice", "ivan", "sam", "sue"]  # overdue, then holding
    counts = {name: (p["held"], p["overdue"], p["completed_recently"]) for name, p in by_name.items()}
    assert counts == {"alice": (2, 2, 1), "ivan": (1, 0, 0), "sam": (0, 0, 0), "sue": (0, 0, 0)}
    assert by_name["alice"]["groups"] == ["intake"] and by_name["sam"]["groups"] == ["supervisors"]
    assert by_name["alice"]["oldest_held_since"] == "2026-11-23T09:00:00+00:00"
    assert by_name["alice"]["oldest_held_seconds"] == 3 * 86400
    assert by_name["ivan"]["oldest_held_since"] == "2026-11-23T09:00:00+00:00"  # assigned on assessment
    assert by_name["sam"]["oldest_held_since"] is None and by_name["sam"]["oldest_held_seconds"] is None

    advance(api, days=7)  # the assessment alice completed is now more than seven days old
    _body, by_name = people(api)
    assert (by_name["alice"]["held"], by_name["alice"]["overdue"], by_name["alice"]["completed_recently"]) == (2, 2, 0)


def test_a_task_handed_back_leaves_the_holder(busy):
    api, refs = busy
    task = api.task_for("alice", refs[1], scope="mine")
    assert api.post(f"/api/tasks/{task['id']}/unclaim", "alice").status_code == 200
    _body, by_name = people(api)
    assert (by_name["alice"]["held"], by_name["alice"]["overdue"]) == (1, 1)


def test_only_supervisors_and_admins_see_workload(process):  # noqa: F811
    api = process
    for name, roles in (("quinn", ["auditor"]), ("root", ["admin"])):
        api.user(name, roles=roles)
    for who in ("sam", "root"):
        assert api.get("/api/workload", who).status_code == 200, who
    for who in ("alice", "quinn"):
        forbidden = api.get("/api/workload", who)
        assert forbidden.status_code == 403 and forbidden.get_json()["error"]["code"] == "forbidden"
    anonymous = api.get("/api/workload")
    assert anonymous.status_code == 401 and anonymous.get_json()["error"]["code"] == "unauthorized"
    assert "/api/workload" in api.client.get("/api/openapi.json").get_json()["paths"]


def test_the_team_page_for_supervisors(busy):
    api, _refs = busy
    add_user(api.runner, "mona", ["supervisors"], roles=("staff", "supervisor"))
    add_user(api.runner, "stan", ["intake"])
    mona = Browser(api.app).login("mona")
    page = mona.get("/team")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'href="/team"' in html
    row = html.split('<th scope="row">alice')[1].split("</tr>")[0]
    assert "<td>intake</td>" in row and '<td class="num">2</td>' in row and "2 overdue" in row
    assert '<td class="num">1</td>' in row and ">3 d</time>" in row
    stan = Browser(api.app).login("stan")
    assert 'href="/team"' not in stan.get("/inbox").get_data(as_text=True)
    assert stan.get("/team").status_code == 403
