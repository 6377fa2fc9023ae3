"""Safe deploys in the modeler page, in a real browser: a colleague deploys after the page
opened; deploying from the page is refused with the colleague's changes listed, and
*Deploy mine anyway* overrides it, on the record."""

from test_modeler_browser import RENAME, owner_page  # noqa: F401
from test_web_browser import PROCESSES, chromium, live_server, new_page, shot  # noqa: F401

from bpmn_complaints.engine.definitions import read_bundle

MAIN = (PROCESSES / "complaint_handling.bpmn").read_text()


def test_a_stale_page_is_refused_then_confirmed(api, owner_page, shot):  # noqa: F811
    page = owner_page
    page.goto("/process/complaint_handling/edit")
    page.wait_for_selector("#modeler.ready")
    api.user("colleague", roles=("process_owner",))
    bundle = read_bundle([PROCESSES])
    bundle["complaint_handling.bpmn"] = MAIN.replace('name="Acknowledge', 'name="Send the acknowledgement')
    colleague = api.post("/api/definitions", "colleague", json={"files": bundle, "base_version": 1})
    assert colleague.status_code == 201, colleague.get_json()

    page.evaluate(RENAME, "Assess and classify")
    page.get_by_role("button", name="Deploy as a new version").click()
    page.wait_for_selector("#modeler-status.flash-error")
    assert "based on version 1, but version 2" in page.inner_text("#modeler-status")
    assert "Send the acknowledgement" in page.inner_text("#modeler-problems")
    assert page.locator("#modeler-confirm").is_visible()
    shot(page, "modeler_stale_base")
    page.get_by_role("button", name="Deploy mine anyway").click()
    page.wait_for_selector("#modeler-status.flash-success:has-text('version 3')")
    latest = api.get("/api/definitions", "colleague").get_json()["items"][0]
    assert (latest["version"], latest["based_on"], latest["forced"], latest["source"]) == (3, 1, True, "modeler")
