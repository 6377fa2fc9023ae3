"""The heatmap (#13, ISO 10002 8.7): figures per element and per flow from the trail and
the task table, checked against a known set of complaints on the injected clock."""

import html
import json
import re
from datetime import UTC, datetime, timedelta

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
    # People read names: an element's own, its id when it has none, a flow's ends.
    assert (review["name"], figures["EndEvent_accepted"]["name"]) == ("Internal review", "EndEvent_accepted")
    assert ">Internal review</a> <span class=\"muted small\">Task_review</span>" in page
    assert "Gateway_accepted → EndEvent_accepted <span class=\"muted small\">Flow_yes</span>" in page

    # A period before the complaints has none of them.
    empty = browser.get("/process/complaint_handling/1/heatmap?from=2026-10-01&to=2026-10-31").get_data(as_text=True)
    assert {k: v for k, v in _data(empty, "figures").items() if v["passed"]} == {}

    # Clicking an element lists its complaints: passed, and waiting there now.
    listed = browser.get("/process/complaint_handling/1/heatmap/Task_review?from=2026-11-01&to=2026-11-30")
    at = {c["reference"]: c["at"] for c in listed.get_json()["complaints"]}
    assert at == {second: "waiting", third: "passed"} and listed.get_json()["name"] == "Internal review"
    listed = browser.get("/process/complaint_handling/1/heatmap/EndEvent_accepted?from=2026-11-01&to=2026-11-30")
    assert [c["reference"] for c in listed.get_json()["complaints"]] == [first]


def _figures(browser, period="from=2026-11-01&to=2026-11-30"):
    page = browser.get(f"/process/complaint_handling/1/heatmap?{period}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    return _data(text, "figures"), _data(text, "flows"), text


def _at(browser, element):
    listed = browser.get(f"/process/complaint_handling/1/heatmap/{element}?from=2026-11-01&to=2026-11-30")
    return {c["reference"]: c["at"] for c in listed.get_json()["complaints"]}


def _close(value, hours):
    return value is not None and abs(value - hours * HOUR) < 0.01


def test_heatmap_with_parallel_branches_a_timer_a_loop_a_message_and_a_reopened_round(api, monkeypatch):
    """tests/diagrams/heatmap.bpmn: after the start, a parallel split into a 2-hour timer
    and a check task; then decide (a loop back to it, a reopen path into it, and a 30-day
    non-interrupting reminder on it), then a message from the complainant."""
    with api.app.app_context():
        get_clock().set(T0)
    assert api.deploy(DIAGRAMS / "heatmap.bpmn").exit_code == 0
    api.user("sam", groups=["supervisors"], roles=["staff", "supervisor"])
    add_user(api.runner, "rita", roles=("supervisor",), groups=["supervisors"])
    a, b, c = (api.submit()["reference"] for _ in range(3))
    _advance(api, 1)
    api.work("sam", a, {})                 # 1 h: A checked
    _advance(api, 1)
    api.run_worker()                       # 2 h: the three timers fire; A goes on to decide
    _advance(api, 1)
    api.work("sam", b, {})                 # 3 h: B checked, goes on to decide
    d = api.submit()["reference"]          # D waits at the timer and the check
    _advance(api, 1)
    api.work("sam", a, {"again": True})    # 4 h: A decides to decide again (the loop)
    _advance(api, 1)
    api.work("sam", a, {"again": False})   # 5 h: A, then B, wait for the complainant
    api.work("sam", b, {"again": False})
    _advance(api, 1)
    _reply(api, b, True)                   # 6 h: B's reply ends its process

    figures, flows, _page = _figures(Browser(api.app).login("rita"))
    assert figures["Catch_reply"]["passed"] == 1 and _close(figures["Catch_reply"]["median"], 1)
    assert "StartEvent_reopened" not in figures
    assert (figures["Catch_reply"]["waiting"], figures["Catch_reply"]["waiting_by"]) == (1, {"message": 1})  # A

    _advance(api, 1)
    reopened = api.post(f"/api/complaints/{b}/reopen", "sam", json={"reason": "She rang again."})
    assert reopened.status_code == 200, reopened.get_json()
    _advance(api, 1)
    api.work("sam", b, {"again": False})   # 8 h: B's second round decides, waits for a reply
    _advance(api, 1)
    api.work("sam", c, {})                 # 9 h: C checked at last: waits to decide (and its reminder)

    # The rollup caught up with the events since the first view.
    browser = Browser(api.app).login("rita")  # (a session would have expired on the clock)
    figures, flows, page = _figures(browser)
    assert 'of the 5 complaints (or reopenings)' in page  # A, B twice, C, D
    assert {k: v["passed"] for k, v in figures.items() if v["passed"]} == {
        "StartEvent_1": 4, "Split": 4, "Timer_wait": 3, "Task_check": 3, "Join": 3,
        "Task_decide": 2,  # A twice (the loop) and B in both rounds: two complaints
        "Gateway_again": 2, "Catch_reply": 1, "EndEvent_1": 1, "StartEvent_reopened": 1}
    # Check: A 1 h, B 3 h, C 9 h. Median 3 h; 90th percentile 3 h + 0.8 x 6 h.
    assert _close(figures["Task_check"]["median"], 3) and _close(figures["Task_check"]["p90"], 7.8)
    # Decide: A 2 h and 1 h (the loop), B 2 h and 1 h (after the reopening).
    assert _close(figures["Task_decide"]["median"], 1.5) and _close(figures["Task_decide"]["p90"], 2)
    # The timer: 2 h from the split for B and C; A's counts from its check (1 h), as the
    # trail interleaves the branches (the module docstring).
    assert _close(figures["Timer_wait"]["median"], 2) and _close(figures["Timer_wait"]["p90"], 2)
    assert figures["StartEvent_1"]["median"] is None
    assert flows == {"Flow_1": 4, "Flow_b": 4, "Flow_a": 2, "Flow_a2": 1, "Flow_b2": 2, "Flow_2": 3,
                     "Flow_3": 4, "Flow_again": 1, "Flow_done": 1, "Flow_4": 1, "Flow_r": 1}

    # Waiting now, from each table that can tell it.
    waiting = {k: (v["waiting"], v["waiting_by"]) for k, v in figures.items() if v["waiting"]}
    assert waiting == {
        "Timer_wait": (1, {"timer": 1}),        # D: the trail's token, and its timer job
        "Task_check": (1, {"task": 1}),         # D
        "Task_decide": (1, {"task": 1}),        # C
        "Timer_remind": (1, {"timer": 1}),      # C's reminder on the task it waits at
        "Catch_reply": (2, {"message": 2}),     # A, and B's second round
    }
    assert _at(browser, "Catch_reply") == {a: "waiting", b: "waiting"}
    assert _at(browser, "Timer_wait") == {d: "waiting", a: "passed", b: "passed", c: "passed"}
    assert _at(browser, "Timer_remind") == {c: "waiting"}
    assert _at(browser, "Task_decide") == {c: "waiting", a: "passed", b: "passed"}

    # A period that is not whole days counts the same rounds (from the visits, not the days).
    with api.app.app_context():
        from bpmn_complaints.services import definitions, heatmap

        definition = definitions.get_definition("complaint_handling", 1)
        part = heatmap.heatmap(definition, T0 - timedelta(minutes=1), T0 + timedelta(hours=4))
        whole = heatmap.heatmap(definition, datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
    # The percentiles seeking in their time buckets (as for many times) say the same as
    # sorting the few times here.
    monkeypatch.setattr(heatmap, "READ_ALL", 0)
    with api.app.app_context():
        for period in ((T0 - timedelta(minutes=1), T0 + timedelta(hours=4)),
                       (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))):
            sought = heatmap.heatmap(definition, *period)
            assert sought.elements == (part if period[1].day == 2 else whole).elements
    assert whole.elements["Task_check"].p90_seconds == figures["Task_check"]["p90"]
    assert part.rounds == 4  # B's reopening started later
    assert part.elements["Task_decide"].passed == 2 and part.flows.get("Flow_r") is None
    assert part.elements["Task_check"].median_seconds == whole.elements["Task_check"].median_seconds


def test_the_worker_rolls_the_trail_up_on_its_schedule(api):
    """The worker's recurring ``heatmap_rollup`` job reads the trail up to its newest
    event, so a view has little left to do; it schedules the next one."""
    from sqlalchemy import func, select

    from bpmn_complaints.extensions import db
    from bpmn_complaints.models import AuditEvent, HeatmapCursor, HeatmapVisit, Job

    with api.app.app_context():
        get_clock().set(T0)
    api.app.config["TASK_COUNTS_FOLD_EVERY_SECONDS"] = None  # the rollup is the only recurring job here
    assert api.deploy(DIAGRAMS / "reply.bpmn").exit_code == 0
    api.user("sam", groups=["supervisors"], roles=["staff", "supervisor"])
    reference = api.submit()["reference"]
    assert api.runner.invoke(args=["worker", "--once"]).exit_code == 0  # schedules the rollup, not due yet
    with api.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(HeatmapVisit)) == 0
    _advance(api, 1)
    _reply(api, reference, True)
    result = api.runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0 and "1 job(s) run" in result.output, result.output
    with api.app.app_context():
        newest = db.session.scalar(select(func.max(AuditEvent.id)))
        assert db.session.get(HeatmapCursor, 1).last_event_id == newest
        visits = db.session.scalars(select(HeatmapVisit.bpmn_id).order_by(HeatmapVisit.id)).all()
        assert visits == ["StartEvent_1", "Catch_reply", "Gateway_accepted", "EndEvent_accepted"]
        due = db.session.scalars(select(Job.due_at).where(Job.kind == "heatmap_rollup")).all()
        assert len(due) == 1 and due[0] > get_clock().now()
