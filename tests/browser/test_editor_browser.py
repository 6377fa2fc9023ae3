"""The process owner's editor in a real browser, on a copy of the shipped process: draw a
gateway with two branches and give them conditions, a form and a timer in the properties
panel, change a decision-table rule in dmn-js, add a required field in the form editor,
check and deploy; then a new complaint takes the new branch, with the new form and rule.
Also: the compare page colours what changed."""


import io
import zipfile

import pytest
from test_modeler_browser import owner_page  # noqa: F401
from test_web_browser import chromium, live_server, new_page, shot  # noqa: F401

# A gateway after the acknowledgement: billing complaints get a billing check first, the
# rest go straight on; both meet again before the assessment.
DRAW_BRANCHES = """() => {
  const modeler = window.complaintsModeler;
  const registry = modeler.get("elementRegistry");
  const modeling = modeler.get("modeling");
  const ack = registry.get("Task_acknowledge");
  const assess = registry.get("Task_intake_assessment");
  modeling.removeElements([registry.get("Flow_acknowledged")]);
  const split = modeling.appendShape(ack, { type: "bpmn:ExclusiveGateway" },
    { x: ack.x + ack.width + 40, y: ack.y + 150 });
  const check = modeling.appendShape(split, { type: "bpmn:UserTask" }, { x: split.x + 120, y: split.y + 25 });
  modeling.updateLabel(check, "Check the billing");
  const merge = modeling.appendShape(check, { type: "bpmn:ExclusiveGateway" }, { x: check.x + 200, y: split.y + 25 });
  const other = modeling.connect(split, merge);
  modeling.connect(merge, assess);
  const billing = split.outgoing.find((flow) => flow.target === check);
  return { split: split.id, check: check.id, billing: billing.id, other: other.id };
}"""


def select(page, element_id, group):
    page.wait_for_timeout(400)  # the panel writes what was typed after a 300 ms debounce
    page.evaluate("""(id) => {
      const modeler = window.complaintsModeler;
      modeler.get("selection").select(modeler.get("elementRegistry").get(id));
    }""", element_id)
    page.wait_for_selector(f'#properties [data-group-id="group-{group}"]')


def panel_input(page, entry_id):
    return page.locator(f"#bio-properties-panel-{entry_id}")


@pytest.fixture
def owner(owner_page):  # noqa: F811
    return owner_page


def test_a_change_made_in_the_editor_runs(api, owner, shot):  # noqa: F811
    page = owner
    page.goto("/process/complaint_handling/edit")
    page.wait_for_selector("#modeler.ready")
    page.wait_for_selector("#dmn.ready", state="attached")

    # The form editor: a new form with a required field, previewed as the task page draws it.
    page.get_by_role("tab", name="Forms").click()
    page.once("dialog", lambda dialog: dialog.accept("billing_check"))
    page.get_by_role("button", name="New form…").click()
    page.get_by_role("button", name="Add a field").click()
    field = page.locator(".form-field").last
    field.get_by_label("Name").fill("account_number")
    field.get_by_label("Name").press("Tab")
    field = page.locator('.form-field[data-field="account_number"]')
    field.get_by_label("Label").fill("Account number")
    field.get_by_label("Help text").fill("As printed on the bill.")
    field.get_by_label("Required always").check()
    page.wait_for_selector("#form-preview label[for='f-account_number']:has-text('(required)')")
    assert "As printed on the bill." in page.inner_text("#form-preview")
    # A choice, and a field required only for one of its answers.
    page.get_by_role("button", name="Add a field").click()
    field = page.locator(".form-field").last
    field.get_by_label("Name").fill("charge")
    field.get_by_label("Name").press("Tab")
    field = page.locator('.form-field[data-field="charge"]')
    field.get_by_label("Label").fill("Which charge")
    field.get_by_label("Type").select_option("choice")
    field.get_by_label("Choices").fill("fee: Monthly fee\nother: Something else")
    field.get_by_label("Choices").press("Tab")
    page.wait_for_selector("#form-preview select#f-charge option[value='other']:has-text('Something else')",
                           state="attached")
    page.get_by_role("button", name="Add a field").click()
    field = page.locator(".form-field").last
    field.get_by_label("Name").fill("charge_details")
    field.get_by_label("Name").press("Tab")
    field = page.locator('.form-field[data-field="charge_details"]')
    field.get_by_label("Required only when").select_option("charge")
    field.get_by_label("Value of the condition for charge_details").fill("other")
    field.get_by_label("Value of the condition for charge_details").press("Tab")
    page.wait_for_selector("#form-preview label[for='f-charge_details']")
    shot(page, "editor_forms")

    # The decision table in dmn-js: low-severity simple complaints become high priority.
    page.get_by_role("tab", name="Decision tables").click()
    cell = page.locator('#dmn [data-element-id="Rule_9_priority"]')
    cell.click()
    page.keyboard.press("Control+A")
    page.keyboard.type('"high"')
    page.locator('#dmn [data-element-id="Rule_9_days"]').click()
    shot(page, "editor_dmn")

    # The diagram: a gateway with two branches, conditions typed in the properties panel.
    page.get_by_role("tab", name="Diagram").click()
    ids = page.evaluate(DRAW_BRANCHES)
    select(page, ids["billing"], "complaints-condition")
    panel_input(page, "complaints-condition").fill("categroy == 'billing'")
    page.wait_for_selector("[data-check-for='complaints-condition'].check-bad")
    assert "nothing in this process sets categroy" in page.inner_text("[data-check-for='complaints-condition']")
    panel_input(page, "complaints-condition").fill("category == 'billing'")
    page.wait_for_selector("[data-check-for='complaints-condition'].check-ok")
    select(page, ids["other"], "complaints-condition")
    panel_input(page, "complaints-condition").fill("category != 'billing'")
    page.wait_for_selector("[data-check-for='complaints-condition'].check-ok")

    # The new task's form, group and status; then a timer with its due-date preview.
    select(page, ids["check"], "complaints-work")
    panel_input(page, "complaints-form").select_option("billing_check.schema.json")
    panel_input(page, "complaints-candidate-group").fill("'intake'")
    panel_input(page, "complaints-status-text").fill("Checking your bill")
    panel_input(page, "complaints-exclude-workers-of").fill("Task_investigat")
    page.wait_for_selector("[data-entry-id='complaints-exclude-workers-of'] .bio-properties-panel-error"
                           ":has-text('Not a user or manual task here: Task_investigat')")
    panel_input(page, "complaints-exclude-workers-of").fill("Task_investigate")
    page.wait_for_selector("[data-entry-id='complaints-exclude-workers-of'] .bio-properties-panel-error",
                           state="detached")
    select(page, "Timer_assessment_overdue", "complaints-timer")
    panel_input(page, "complaints-timer-value").fill("P3X")
    page.wait_for_selector("[data-check-for='complaints-timer-value'].check-bad")
    panel_input(page, "complaints-timer-value").fill("add_business_days(received_at, 3)")
    page.wait_for_selector("[data-check-for='complaints-timer-value'].check-ok:has-text('in 3 business days')")
    page.evaluate("""(id) => { const m = window.complaintsModeler; const el = m.get("elementRegistry").get(id);
      m.get("canvas").viewbox({ x: el.x - 420, y: el.y - 260, width: 900, height: 640 }); }""", ids["check"])
    shot(page, "editor_properties")

    page.get_by_role("button", name="Check for problems").click()
    page.wait_for_selector("#modeler-status.flash-success, #modeler-status.flash-error")
    assert "No errors; 1 warning(s)" in page.inner_text("#modeler-status"), page.inner_text("main")
    assert "the response target is stated twice" in page.inner_text("#modeler-problems")  # test_drift
    page.get_by_role("button", name="Deploy as a new version").click()
    page.wait_for_selector("#modeler-status.flash-success:has-text('version 2')")
    shot(page, "editor_deployed")

    # What was deployed is what SpiffArena's modeler writes.
    files = api.get("/api/definitions/complaint_handling/2/bundle.zip", "owner")
    assert files.status_code == 200 and files.mimetype == "application/zip"
    bpmn = api.get("/api/definitions/complaint_handling/2/bpmn", "owner").get_data(as_text=True)
    assert '<spiffworkflow:property name="formJsonSchemaFilename" value="billing_check.schema.json"' in bpmn
    assert "add_business_days(received_at, 3)</bpmn:timeDate>" in bpmn
    assert '<spiffworkflow:property name="excludeWorkersOf" value="Task_investigate"' in bpmn

    # A new billing complaint takes the new branch, with the new form.
    api.user("alice", groups=["intake"])
    created = api.submit(category="billing")
    ref = created["reference"]
    task = api.task_for("alice", ref)
    public = api.get(f"/api/complaints/{ref}", query_string={"token": created["status_token"]}).get_json()
    assert public["status"] == "Checking your bill"
    assert task["bpmn_id"] == ids["check"]
    detail = api.get(f"/api/tasks/{task['id']}", "alice").get_json()
    assert detail["form_schema"]["required"] == ["account_number"]
    assert api.claim("alice", task["id"]).status_code == 200
    assert api.complete("alice", task["id"], {}).status_code == 400
    assert api.complete("alice", task["id"], {"account_number": "A-12", "charge": "other"}).status_code == 400
    assert api.complete("alice", task["id"], {"account_number": "A-12", "charge": "fee"}).status_code == 200
    # ... and the changed rule: a low, simple complaint is now high priority (it was low).
    assessment = api.task_for("alice", ref)
    assert assessment["bpmn_id"] == "Task_intake_assessment"
    api.work("alice", ref, {"is_complaint": True, "in_scope": True, "category": "billing", "severity": "low",
                            "safety_implication": False, "impact": "single", "complexity": "simple",
                            "immediate_action_needed": False, "resolvable_at_once": False})
    api.user("sam", groups=["supervisors"], roles=["staff", "supervisor"])
    assert api.get(f"/api/complaints/{ref}", "sam").get_json()["priority"] == "high"
    # A complaint of another category goes straight to the assessment.
    other = api.submit(category="service")["reference"]
    assert api.task_for("alice", other)["bpmn_id"] == "Task_intake_assessment"

    # The compare page draws both versions with the changes coloured.
    page.goto("/process/complaint_handling/compare?from=1&to=2")
    page.wait_for_selector("#visual-diff.ready")
    assert page.locator(f'#diagram-to .djs-element.diff-added[data-element-id="{ids["split"]}"]').count() == 1
    assert page.locator('#diagram-from .djs-element.diff-removed[data-element-id="Flow_acknowledged"]').count() == 1
    changed = '#diagram-to .djs-element.diff-changed[data-element-id="Timer_assessment_overdue"]'
    assert page.locator(changed).count() == 1
    assert int(page.inner_text("[data-count='diff-added']")) >= 5
    page.evaluate("""(id) => { const { after } = window.complaintsCompare;
      const el = after.get("elementRegistry").get(id);
      after.get("canvas").viewbox({ x: el.x - 250, y: el.y - 220, width: 700, height: 520 }); }""", ids["split"])
    shot(page, "compare_diff")


def test_a_bundle_zip_opens_in_the_editor(api, owner, tmp_path):
    page = owner
    zipped = api.get("/api/definitions/complaint_handling/1/bundle.zip", "owner")
    assert zipped.status_code == 200
    path = tmp_path / "bundle.zip"
    path.write_bytes(zipped.data)
    page.goto("/process/complaint_handling/edit")
    page.wait_for_selector("#modeler.ready")
    page.set_input_files("#open-bundle", str(path))
    page.wait_for_selector("#modeler-status.flash-info:has-text('Opened bundle.zip')")
    assert page.locator("#form-file option").count() == 9
    page.get_by_role("button", name="Deploy as a new version").click()
    page.wait_for_selector("#modeler-status.flash-success:has-text('version 2')")
    # bpmn-js writes the diagram its own way; the tables and forms nobody touched are kept byte for byte.
    v1 = api.get("/api/definitions", "owner").get_json()["items"]
    assert [d["version"] for d in v1] == [2, 1]
    with zipfile.ZipFile(io.BytesIO(zipped.data)) as before, zipfile.ZipFile(io.BytesIO(
            api.get("/api/definitions/complaint_handling/2/bundle.zip", "owner").data)) as after:
        assert before.namelist() == after.namelist()
        for name in before.namelist():
            if not name.endswith(".bpmn"):
                assert before.read(name) == after.read(name), name





def test_a_handler_and_its_parameters_in_the_properties_panel(api, owner):
    page = owner
    page.goto("/process/complaint_handling/edit")
    page.wait_for_selector("#modeler.ready")
    select(page, "Task_escalate_assessment", "complaints-handler")
    handler = panel_input(page, "complaints-handler")
    assert handler.input_value() == "escalate"
    offered = handler.locator("option").all_inner_texts()
    assert {"acknowledge", "escalate", "notify", "request_feedback"} <= set(offered)
    page.locator('[data-entry-id="complaints-parameter-1"] .bio-properties-panel-collapsible-entry-header').click()
    assert panel_input(page, "complaints-parameter-1-id").input_value() == "to_group"
    panel_input(page, "complaints-parameter-1-value").fill("'quality'")
    page.wait_for_selector("[data-check-for='complaints-parameter-1-value'].check-ok")
    page.locator('[data-group-id="group-complaints-parameters"] .bio-properties-panel-add-entry').click()
    panel_input(page, "complaints-parameter-2-id").fill("urgent")
    panel_input(page, "complaints-parameter-2-type").select_option("bool")
    panel_input(page, "complaints-parameter-2-value").fill("True")
    handler.select_option("notify")
    page.wait_for_timeout(200)
    xml = page.evaluate("async () => (await window.complaintsModeler.saveXML()).xml")
    task = xml[xml.index('<bpmn:serviceTask id="Task_escalate_assessment"'):]
    task = task[:task.index("</bpmn:serviceTask>")]
    assert '<spiffworkflow:serviceTaskOperator id="notify" resultVariable="assessment_escalation">' in task
    assert '<spiffworkflow:parameter id="to_group" type="str" value="&#39;quality&#39;" />' in task \
        or "<spiffworkflow:parameter id=\"to_group\" type=\"str\" value=\"'quality'\" />" in task, task
    assert '<spiffworkflow:parameter id="urgent" type="bool" value="True" />' in task, task
    # Undo takes the last change back, as for any drawing change.
    page.evaluate("() => window.complaintsModeler.get('commandStack').undo()")
    xml = page.evaluate("async () => (await window.complaintsModeler.saveXML()).xml")
    assert '<spiffworkflow:serviceTaskOperator id="escalate"' in xml


def test_an_assignee_and_a_due_date_in_the_properties_panel(api, owner):
    """The panel's due-date preview is the date the task then gets, and its assignee holds it."""
    import re
    from datetime import datetime

    page = owner
    api.user("alice", groups=["intake"])
    page.goto("/process/complaint_handling/edit")
    page.wait_for_selector("#modeler.ready")
    select(page, "Task_intake_assessment", "complaints-work")
    panel_input(page, "complaints-assignee").fill("'alice'")
    page.wait_for_selector("[data-check-for='complaints-assignee'].check-ok")
    panel_input(page, "complaints-due-date").fill("business_days(5)")
    preview = page.locator("[data-check-for='complaints-due-date'].check-ok:has-text('in 5 business days')")
    preview.wait_for()
    promised = re.search(r"due \w{3} (\d{2} \w{3} \d{4})", preview.inner_text()).group(1)
    page.get_by_role("button", name="Deploy as a new version").click()
    page.wait_for_selector("#modeler-status.flash-success:has-text('version 2')")
    bpmn = api.get("/api/definitions/complaint_handling/2/bpmn", "owner").get_data(as_text=True)
    task = bpmn[bpmn.index('<bpmn:userTask id="Task_intake_assessment"'):]
    task = task[:task.index("</bpmn:userTask>")]
    assert '<spiffworkflow:property name="assignee" value="&#39;alice&#39;"' in task \
        or "<spiffworkflow:property name=\"assignee\" value=\"'alice'\"" in task, task
    assert '<spiffworkflow:property name="dueDate" value="business_days(5)"' in task, task

    ref = api.submit()["reference"]
    mine = [t for t in api.tasks("alice", "mine")["items"] if t["complaint_reference"] == ref]
    assert len(mine) == 1 and mine[0]["assignee"] == "alice" and mine[0]["bpmn_id"] == "Task_intake_assessment"
    assert datetime.fromisoformat(mine[0]["due_at"]).strftime("%d %b %Y") == promised
