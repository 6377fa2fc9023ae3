"""Lint before deploy (#13): one test per class of problem, through POST /api/definitions
and the CLI, plus every parser problem of a diagram in one deploy (#12)."""

from conftest import HERE
from test_deploy import FORMS, SIMPLE, deploy, problems

PROCESSES = HERE.parent / "processes"


def _found(response, element):
    return [p for p in problems(response) if p["element"] == element and p["severity"] == "error"]


def _warnings(response):
    assert response.status_code == 201, response.get_json()
    return response.get_json()["warnings"]


def test_a_user_task_with_no_outgoing_flow_is_a_dead_end(api):
    dead = SIMPLE.replace('<bpmn:sequenceFlow id="Flow_4" sourceRef="Task_investigate" targetRef="EndEvent_done"/>',
                          "").replace("<bpmn:outgoing>Flow_4</bpmn:outgoing>", "")
    found = _found(deploy(api, {"simple.bpmn": dead, **FORMS}), "Task_investigate")
    assert found and "no outgoing sequence flow" in found[0]["message"], found
    assert api.get("/api/definitions", "owner").get_json()["total"] == 0


def test_a_loop_with_no_way_out_is_a_dead_end(api):
    loop = SIMPLE.replace(
        '<bpmn:sequenceFlow id="Flow_4" sourceRef="Task_investigate" targetRef="EndEvent_done"/>',
        '<bpmn:sequenceFlow id="Flow_4" sourceRef="Task_investigate" targetRef="Task_again"/>'
        '<bpmn:userTask id="Task_again" name="Again"><bpmn:extensionElements><spiffworkflow:properties>'
        '<spiffworkflow:property name="formJsonSchemaFilename" value="investigate.schema.json"/>'
        '</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>'
        '<bpmn:sequenceFlow id="Flow_back" sourceRef="Task_again" targetRef="Task_investigate"/>').replace(
        "<bpmn:flowNodeRef>EndEvent_done</bpmn:flowNodeRef>",
        "<bpmn:flowNodeRef>EndEvent_done</bpmn:flowNodeRef><bpmn:flowNodeRef>Task_again</bpmn:flowNodeRef>")
    found = problems(deploy(api, {"simple.bpmn": loop, **FORMS}))
    looping = {p["element"] for p in found if "reaches an end event" in p["message"]}
    assert looping == {"Task_investigate", "Task_again"}, found


def test_an_unreachable_element_is_a_warning_kept_with_the_version(api):
    orphan = SIMPLE.replace("<bpmn:flowNodeRef>EndEvent_out</bpmn:flowNodeRef>",
                            "<bpmn:flowNodeRef>EndEvent_out</bpmn:flowNodeRef>"
                            "<bpmn:flowNodeRef>Task_orphan</bpmn:flowNodeRef>").replace(
        '<bpmn:endEvent id="EndEvent_done" name="Done">',
        '<bpmn:manualTask id="Task_orphan" name="Never reached"><bpmn:outgoing>Flow_orphan</bpmn:outgoing>'
        '</bpmn:manualTask><bpmn:sequenceFlow id="Flow_orphan" sourceRef="Task_orphan" targetRef="EndEvent_done"/>'
        '<bpmn:endEvent id="EndEvent_done" name="Done">')
    warnings = _warnings(deploy(api, {"simple.bpmn": orphan, **FORMS}))
    assert [w["element"] for w in warnings] == ["Task_orphan"], warnings
    assert "never runs" in warnings[0]["message"]
    stored = api.get("/api/definitions", "owner").get_json()["items"][0]
    assert stored["warnings"] == warnings


def test_a_condition_naming_a_variable_nothing_sets_is_an_error(api):
    typo = SIMPLE.replace(">not in_scope<", ">not in_scoep<")
    found = _found(deploy(api, {"simple.bpmn": typo, **FORMS}), "Flow_out")
    assert found and "in_scoep" in found[0]["message"], found
    # Spelled right, it reads a field of the assessment form: no problem.
    assert deploy(api, {"simple.bpmn": SIMPLE, **FORMS}).status_code == 201


def test_variables_from_start_data_decisions_results_and_messages_are_known(api):
    # The shipped process reads form fields, the decision table's priority, handler results
    # and the reply message's variable, and passes with no unknown name.
    result = api.deploy(PROCESSES)
    assert result.exit_code == 0, result.output
    # Its one warning is a setting stated twice (the acknowledgement's promise and the decision
    # table's longest target, see test_drift), not an unknown variable.
    warnings = [line for line in result.output.splitlines() if "warning" in line]
    assert len(warnings) == 1 and "Task_acknowledge: the response target is stated twice" in warnings[0], warnings


def test_an_invalid_duration_names_its_element(api):
    timed = SIMPLE.replace(
        '<bpmn:endEvent id="EndEvent_done" name="Done">',
        '<bpmn:boundaryEvent id="Timer_late" attachedToRef="Task_investigate" cancelActivity="false">'
        '<bpmn:outgoing>Flow_late</bpmn:outgoing><bpmn:timerEventDefinition id="Def_late">'
        '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">P3X</bpmn:timeDuration>'
        '</bpmn:timerEventDefinition></bpmn:boundaryEvent>'
        '<bpmn:sequenceFlow id="Flow_late" sourceRef="Timer_late" targetRef="EndEvent_late"/>'
        '<bpmn:endEvent id="EndEvent_late"/><bpmn:endEvent id="EndEvent_done" name="Done">')
    found = _found(deploy(api, {"simple.bpmn": timed, **FORMS}), "Timer_late")
    assert found and "'P3X' is not a valid ISO 8601" in found[0]["message"], found
    quoted = timed.replace(">P3X<", ">\"2026-13-01\"<")
    found = _found(deploy(api, {"simple.bpmn": quoted, **FORMS}), "Timer_late")
    assert found and "'2026-13-01'" in found[0]["message"], found
    assert deploy(api, {"simple.bpmn": timed.replace(">P3X<", ">P3D<"), **FORMS}).status_code == 201


def test_camunda_settings_we_ignore_are_named_as_warnings(api):
    camunda = SIMPLE.replace('xmlns:xsi=', 'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:xsi=').replace(
        '<bpmn:userTask id="Task_investigate" name="Investigate">',
        '<bpmn:userTask id="Task_investigate" name="Investigate" camunda:asyncBefore="true" '
        'camunda:formHandlerClass="org.example.Handler">')
    warnings = _warnings(deploy(api, {"simple.bpmn": camunda, **FORMS}))
    named = {(w["element"], w["message"].split(" ")[0]) for w in warnings}
    expected = {("Task_investigate", "camunda:asyncBefore"), ("Task_investigate", "camunda:formHandlerClass")}
    assert named == expected, warnings
    assert all(w["severity"] == "warning" for w in warnings)


def test_input_output_mappings_outside_a_service_task_are_refused(api):
    # Camunda maps variables on any activity; here mappings run with handlers, so one on a
    # user task would be silently ignored: refused, naming the element.
    camunda = SIMPLE.replace('xmlns:xsi=', 'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:xsi=').replace(
        '<bpmn:userTask id="Task_investigate" name="Investigate">',
        '<bpmn:userTask id="Task_investigate" name="Investigate"><bpmn:extensionElements><camunda:inputOutput>'
        '<camunda:outputParameter name="outcome">${findings}</camunda:outputParameter></camunda:inputOutput>'
        '</bpmn:extensionElements>')
    found = _found(deploy(api, {"simple.bpmn": camunda, **FORMS}), "Task_investigate")
    assert any("camunda:inputOutput on a userTask is not supported" in p["message"] for p in found), found


def test_a_reply_window_stated_twice_is_a_warning(api, tmp_path):
    bundle = tmp_path / "processes"
    bundle.mkdir()
    for path in PROCESSES.rglob("*"):
        if path.is_file():
            target = bundle / path.relative_to(PROCESSES)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(path.read_text())
    main = bundle / "complaint_handling.bpmn"
    anchor = '<spiffworkflow:parameter id="remedy" type="str" value="remedy_details if'
    assert anchor in main.read_text()
    main.write_text(main.read_text().replace(
        anchor, '<spiffworkflow:parameter id="reply_days" type="int" value="14"/>' + anchor))
    result = api.deploy(bundle)
    assert result.exit_code == 0, result.output
    assert "warning: complaint_handling.bpmn: Task_deliver_decision: the reply window is stated twice" \
        .replace(": Task", ":Task") in result.output, result.output
    assert "Event_no_reply" in result.output


def test_three_parser_problems_are_reported_in_one_deploy(api):
    """SpiffWorkflow's parser stops at the first; the sweep finds the other two."""
    broken = (SIMPLE
              .replace('<bpmn:exclusiveGateway id="Gateway_scope" name="In scope?" default="Flow_in">',
                       '<bpmn:complexGateway id="Gateway_scope" name="In scope?" default="Flow_in">')
              .replace("</bpmn:exclusiveGateway>", "</bpmn:complexGateway>")
              .replace('<bpmn:userTask id="Task_investigate" name="Investigate">',
                       '<bpmn:subProcess id="Task_investigate" name="Investigate"><bpmn:endEvent id="Sub_end"/>')
              .replace("<bpmn:outgoing>Flow_4</bpmn:outgoing>\n    </bpmn:userTask>",
                       "<bpmn:outgoing>Flow_4</bpmn:outgoing>\n    </bpmn:subProcess>")
              .replace('<bpmn:sequenceFlow id="Flow_4" sourceRef="Task_investigate" targetRef="EndEvent_done"/>',
                       '<bpmn:intermediateCatchEvent id="Event_wait"><bpmn:conditionalEventDefinition id="Cond"/>'
                       '</bpmn:intermediateCatchEvent>'
                       '<bpmn:sequenceFlow id="Flow_4" sourceRef="Task_investigate" targetRef="Event_wait"/>'
                       '<bpmn:sequenceFlow id="Flow_5" sourceRef="Event_wait" targetRef="EndEvent_done"/>'))
    found = problems(deploy(api, {"simple.bpmn": broken, **FORMS}))
    by_element = {p["element"]: p for p in found}
    assert "no support implemented" in by_element["Gateway_scope"]["message"], found
    assert "start event" in by_element["Task_investigate"]["message"], found
    assert "missing condition" in by_element["Event_wait"]["message"], found
    assert {by_element[e]["file"] for e in ("Gateway_scope", "Task_investigate", "Event_wait")} == {"simple.bpmn"}

