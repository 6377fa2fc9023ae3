"""The process owner's modeler page in a real browser: open the deployed diagram in
bpmn-js, check it, rename a task and deploy it as a new version, then see a broken edit
explained with a link to the element."""

from pathlib import Path

import pytest
from test_web_browser import PASSWORD, PROCESSES, chromium, live_server, new_page, shot  # noqa: F401

from test_web_staff import add_user

RENAME = """(name) => {
  const modeler = window.complaintsModeler;
  const task = modeler.get("elementRegistry").get("Task_intake_assessment");
  modeler.get("modeling").updateLabel(task, name);
}"""
# A service task that names no handler, drawn after the acknowledgement.
APPEND_UNBOUND = """() => {
  const modeler = window.complaintsModeler;
  const source = modeler.get("elementRegistry").get("Task_acknowledge");
  const shape = modeler.get("modeling").appendShape(source, { type: "bpmn:ServiceTask" },
    { x: source.x + 60, y: source.y + 260 });
  return shape.id;
}"""


@pytest.fixture
def owner_page(api, app, new_page):  # noqa: F811
    if not (Path(app.static_folder).parent / "build" / "editor.js").is_file():
        pytest.skip("the editor bundle is not built in web/build: run `make browser-deps` (needs npm)")
    assert api.deploy(PROCESSES).exit_code == 0
    add_user(api.runner, "paula", roles=("process_owner",))
    page = new_page()
    errors = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto("/login")
    page.get_by_label("User name").fill("paula")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/process")
    yield page
    assert errors == []


def test_edit_check_and_deploy_a_new_version(api, owner_page, shot):  # noqa: F811
    page = owner_page
    shot(page, "process_versions")
    page.get_by_role("link", name="Edit in the modeler").click()
    page.wait_for_selector("#modeler.ready")
    assert page.locator('#modeler .djs-element[data-element-id="Task_investigate"]').count() == 1
    assert page.locator("#modeler .djs-palette").count() == 1  # an editor, not a viewer
    page.get_by_role("button", name="Check for problems").click()
    page.wait_for_selector("#modeler-status.flash-success")
    assert "No errors; 1 warning(s)" in page.inner_text("#modeler-status")
    assert "the response target is stated twice" in page.inner_text("#modeler-problems")  # test_drift

    page.evaluate(RENAME, "Assess and classify")
    page.get_by_role("button", name="Deploy as a new version").click()
    page.wait_for_selector("#modeler-status.flash-success:has-text('version 2')")
    shot(page, "modeler_deployed")
    bpmn = api.get("/api/definitions/complaint_handling/2/bpmn", "owner").get_data(as_text=True)
    assert 'name="Assess and classify"' in bpmn
    # Properties this page cannot edit survive the round trip through bpmn-js.
    assert '<spiffworkflow:serviceTaskOperator id="acknowledge"' in bpmn
    assert 'formJsonSchemaFilename' in bpmn
    version_2 = api.post("/api/complaints", json={"name": "Dana", "email": "d@example.com", "description": "x"})
    assert version_2.status_code == 201
    # The versions page links the new version to what changed.
    page.goto("/process")
    page.get_by_role("link", name="Changes from version 1").click()
    page.wait_for_url("**/process/complaint_handling/compare?from=1&to=2")
    assert "name Assess the complaint → Assess and classify" in page.inner_text("main")
    shot(page, "process_compare")


def test_a_broken_edit_is_explained_and_not_deployed(api, owner_page, shot):  # noqa: F811
    page = owner_page
    page.goto("/process/complaint_handling/edit")
    page.wait_for_selector("#modeler.ready")
    new_id = page.evaluate(APPEND_UNBOUND)
    page.get_by_role("button", name="Deploy as a new version").click()
    page.wait_for_selector("#modeler-status.flash-error")
    assert "nothing was deployed" in page.inner_text("#modeler-status")
    problem = page.locator("#modeler-problems li", has_text="names no handler")
    assert problem.count() == 1 and new_id in problem.inner_text()
    # A second plain flow out of Task_acknowledge is an implicit parallel split, as Camunda
    # reads it; the new task's missing outgoing flow is a dead end, named with it.
    dead_end = page.locator("#modeler-problems li", has_text="no outgoing sequence flow")
    assert dead_end.count() == 1 and new_id in dead_end.inner_text()
    assert page.locator("#modeler-problems li", has_text="split the flow with a gateway").count() == 0
    problem.get_by_role("button").click()
    assert page.locator(f'#modeler .djs-element.selected[data-element-id="{new_id}"]').count() == 1
    shot(page, "modeler_problems")
    assert api.get("/api/definitions", "owner").get_json()["total"] == 1
