"""The *Migrate* page in a real browser (#13), as a process owner who is also a supervisor,
on a copy of the shipped process: version 2 replaces the assessment step where three
complaints wait (a new element id, so the old step is removed). The dry run names them; a
migration without a mapping is refused on the page, never guessed; with the mapping one
complaint moves, then the rest, each with an audit event and its task on the mapped step."""

import re

from test_web_browser import PROCESSES, chromium, live_server, new_page, shot, sign_in  # noqa: F401

from bpmn_complaints.engine.definitions import read_bundle
from test_web_staff import add_user

OLD, NEW = "Task_intake_assessment", "Task_assess_complaint"
MAIN = "complaint_handling.bpmn"


def _version_2(api):
    bundle = read_bundle([PROCESSES])
    assert f'"{OLD}"' in bundle[MAIN]
    bundle[MAIN] = re.sub(rf"\b{OLD}\b", NEW, bundle[MAIN]).replace(
        'name="Assess the complaint"', 'name="Assess and classify the complaint"')
    response = api.post("/api/definitions", "owner", json={"files": bundle, "base_version": 1})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["version"] == 2


def _rows(page):
    """The result table: reference -> (waiting steps, problems, has a box to tick)."""
    rows = {}
    for row in page.locator("form[aria-label=Migrate] tbody tr").all():
        cells = row.locator("td")
        rows[cells.nth(0).inner_text().strip()] = (cells.nth(1).inner_text(), cells.nth(2).inner_text(),
                                                   row.locator("input[type=checkbox]").count() == 1)
    return rows


def _on(api, reference):
    detail = api.get(f"/api/complaints/{reference}", "sam").get_json()
    return detail["definition_version"]


def _migrated_events(api, reference):
    return [e for e in api.history(reference, "sam")["events"] if e["action"] == "instance_migrated"]


def test_dry_run_refusal_then_migrate_one_and_the_rest(api, new_page, shot):  # noqa: F811
    assert api.deploy(PROCESSES).exit_code == 0
    api.user("alice", groups=["intake"])
    api.user("sam", roles=["supervisor"])
    waiting = sorted(api.submit()["reference"] for _ in range(3))
    for reference in waiting:
        assert api.task_for("alice", reference)["bpmn_id"] == OLD
    _version_2(api)
    add_user(api.runner, "paula", roles=("process_owner", "supervisor"))
    page = new_page()
    errors = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    sign_in(page, "paula")

    # From the versions page to the dry run, with no mapping: every complaint is named, none can move.
    page.goto("/process")
    page.locator("a[href*='/process/complaint_handling/migrate?from=1']").first.click()
    page.wait_for_url("**/migrate?**")
    if not page.locator("#migrate-summary").count():
        page.get_by_role("button", name="Dry run").click()
    page.wait_for_selector("#migrate-summary")
    assert "0 of 3 running complaint(s) on version 1 can move to version 2" in page.inner_text("#migrate-summary")
    rows = _rows(page)
    assert sorted(rows) == waiting
    for steps, problems, box in rows.values():
        assert f"{OLD} → (nowhere)" in steps
        assert f"waits at {OLD}, which the new version removed" in problems
        assert f"the human tasks it added: {NEW} (Assess and classify the complaint)" in problems  # to choose from
        assert not box
    assert page.get_by_role("button", name="Migrate the chosen complaints").count() == 0
    shot(page, "migrate_unmapped")

    # Sent anyway (a box added by hand, as a stale or crafted form would): refused on the page, nothing moves.
    page.evaluate("""(reference) => {
      const form = document.querySelector("form[aria-label=Migrate]");
      const box = document.createElement("input");
      box.type = "checkbox"; box.name = "complaint"; box.value = reference; box.checked = true;
      const send = document.createElement("button");
      send.type = "submit"; send.id = "forced-send"; send.textContent = "send";
      form.append(box, send);
    }""", waiting[0])
    page.click("#forced-send")
    page.wait_for_selector("#migrate-summary:has-text('moved')")
    assert "0 of 1 complaint(s) moved to version 2" in page.inner_text("#migrate-summary")
    _steps, problems, _box = _rows(page)[waiting[0]]
    assert f"waits at {OLD}, which the new version removed" in problems and "not moved" in problems
    shot(page, "migrate_refused")
    assert _on(api, waiting[0]) == 1 and _migrated_events(api, waiting[0]) == []
    assert api.task_for("alice", waiting[0])["bpmn_id"] == OLD

    # With the mapping: all three can move; migrate the first one only.
    page.goto("/process/complaint_handling/migrate?from=1&to=2")
    page.get_by_label("Mapping").fill(f"{OLD}={NEW}")
    page.get_by_role("button", name="Dry run").click()
    page.wait_for_selector("#migrate-summary:has-text('3 of 3')")
    rows = _rows(page)
    assert all(f"{OLD} → {NEW}" in steps and box for steps, _p, box in rows.values()), rows
    shot(page, "migrate_dry_run")
    for reference in waiting[1:]:
        page.get_by_label(f"Move {reference}").uncheck()
    page.get_by_role("button", name="Migrate the chosen complaints").click()
    page.wait_for_selector("#migrate-summary:has-text('moved')")
    assert "1 of 1 complaint(s) moved to version 2" in page.inner_text("#migrate-summary")
    assert _rows(page)[waiting[0]][1].strip() == "moved"
    assert [_on(api, r) for r in waiting] == [2, 1, 1]

    # The rest: the dry run now lists the two left on version 1.
    page.goto(f"/process/complaint_handling/migrate?from=1&to=2&map={OLD}%3D{NEW}")
    page.wait_for_selector("#migrate-summary:has-text('2 of 2')")
    assert sorted(_rows(page)) == waiting[1:]
    page.get_by_role("button", name="Migrate the chosen complaints").click()
    page.wait_for_selector("#migrate-summary:has-text('moved')")
    assert "2 of 2 complaint(s) moved to version 2" in page.inner_text("#migrate-summary")
    shot(page, "migrate_applied")

    for reference in waiting:
        assert _on(api, reference) == 2
        events = _migrated_events(api, reference)
        assert len(events) == 1 and events[0]["actor"] == "paula", events
        assert {"from": OLD, "to": NEW, "how": "mapped"} in events[0]["details"]["tokens"]
        task = api.task_for("alice", reference)
        assert (task["bpmn_id"], task["name"]) == (NEW, "Assess and classify the complaint")
    # The case file page shows the move too, and the moved complaint goes on in version 2.
    # The case file says so too: the timeline's event, and the step it waits at now.
    page.goto(f"/complaints/{waiting[0]}")
    timeline = page.locator("ol.timeline li", has_text="Moved to another version of the process")
    assert timeline.count() == 1 and "by paula" in timeline.inner_text()
    assert "definition: complaint_handling v2" in timeline.inner_text()
    assert f"{NEW} Assess and classify the complaint (ready)" in page.inner_text("main")
    assert errors == []
