"""The heatmap in a real browser (#13): a supervisor opens it from the process page, sees
the elements coloured and badged and the flows counted, and clicks an element to list its
complaints. No page error (the CSP forbids inline script and style)."""

from pathlib import Path

import pytest
from test_web_browser import PROCESSES, chromium, live_server, new_page, shot, sign_in  # noqa: F401

from test_process_paths import ASSESSMENT
from test_web_staff import add_user


def test_heatmap_colours_badges_and_lists_on_click(api, app, new_page, shot):  # noqa: F811
    if not (Path(app.static_folder).parent / "node_modules" / "bpmn-js" / "dist").is_dir():
        pytest.skip("bpmn-js is not installed in web/node_modules: run `make browser-deps` (needs npm)")
    assert api.deploy(PROCESSES).exit_code == 0  # the shipped process has a layout to draw
    add_user(api.runner, "sam", ["intake"], roles=("staff", "supervisor"))
    references = {api.submit()["reference"] for _ in range(3)}
    api.user("alice", groups=["intake"])
    api.work("alice", sorted(references)[0], ASSESSMENT)  # one goes on: assessed, waits for an investigator
    page = new_page()
    problems = []
    page.on("pageerror", lambda err: problems.append(str(err)))
    sign_in(page, "sam")
    page.goto("/process")
    page.get_by_role("link", name="Heatmap").first.click()
    page.wait_for_selector("#heatmap.ready")
    assert page.locator(".djs-element[class*=heat-]").count() >= 2
    assert page.locator(".heat-badge.heat-element").count() >= 2
    assert page.locator(".heat-badge.heat-flow").count() >= 1
    # Where complaints wait now: outlined and badged (the two not yet assessed, and their
    # overdue timer on the task's edge).
    assert page.locator("#heatmap .djs-element.heat-waiting").count() >= 2
    now = page.locator(".heat-badge.heat-now").all_inner_texts()
    assert "2 now" in now, now
    start = page.locator("#heatmap .djs-element.heat-0, #heatmap .djs-element[class*=heat-]").first
    element_id = start.get_attribute("data-element-id")
    start.click()
    page.wait_for_selector("#heatmap-complaints li a")
    listed = set(page.locator("#heatmap-complaints li a").all_inner_texts())
    assert listed == references
    # The list is headed by the element's name, as the table below names it.
    name = page.locator(f"#heatmap-table a[href*='/heatmap/{element_id}?']").inner_text()
    assert page.inner_text("#heatmap-element") == name and name != element_id
    assert problems == []
    shot(page, "heatmap")
