"""Settings stated twice (#13): one test per row of engine/checks/drift.py, each on a copy
of the shipped process deployed through the API, checking both that the drift is named and
that the same pair, agreeing, is not."""

import pytest

from bpmn_complaints.engine.checks import drift
from bpmn_complaints.engine.definitions import read_bundle
from conftest import HERE

PROCESSES = HERE.parent / "processes"
MAIN, DMN = "complaint_handling.bpmn", "initial_assessment.dmn"


def _edited(*changes, name=MAIN):
    bundle = read_bundle([PROCESSES])
    for old, new in changes:
        assert old in bundle[name], old
        bundle[name] = bundle[name].replace(old, new, 1)
    return bundle


def _drift(api, bundle):
    """Deploy as a new process (no base needed) and return the drift warnings, by element."""
    api.user("owner", roles=("process_owner",))
    response = api.post("/api/definitions", "owner", json={"files": bundle})
    assert response.status_code == 201, response.get_json()
    found: dict[str, list[str]] = {}
    for warning in response.get_json()["warnings"]:
        if "stated twice" in warning["message"]:
            found.setdefault(warning["element"], []).append(warning["message"])
    return found


def test_the_acknowledgements_promise_shorter_than_a_decision_target(api):
    """The shipped process promises 20 business days and gives complex cases 35 (rule 6)."""
    found = _drift(api, read_bundle([PROCESSES]))
    assert list(found) == ["Task_acknowledge"], found
    message = found["Task_acknowledge"][0]
    assert message.startswith("the response target is stated twice")
    assert "target_days=20" in message and "35 in rule Rule_6 of initial_assessment" in message


def test_a_promise_as_long_as_every_target_is_not_drift(api):
    bundle = _edited(('<spiffworkflow:parameter id="target_days" type="int" value="20"/>',
                      '<spiffworkflow:parameter id="target_days" type="int" value="35"/>'))
    assert _drift(api, bundle) == {}


def test_the_investigators_group_beside_the_lane_of_the_task_they_get(api):
    group = ("'supervisors' if defined(&quot;sla_decision&quot;) and sla_decision == 'take_over' "
             "else 'investigators'")
    bundle = _edited((group, group.replace("else 'investigators'", "else 'specialists'")),
                     ('<spiffworkflow:parameter id="target_days" type="int" value="20"/>',
                      '<spiffworkflow:parameter id="target_days" type="int" value="35"/>'))
    found = _drift(api, bundle)
    assert list(found) == ["Task_assign_investigator"], found
    message = found["Task_assign_investigator"][0]
    assert message.startswith("the group that handles the task is stated twice")
    assert "specialists or supervisors" in message and "Task_investigate" in message
    assert "lane investigators" in message


@pytest.mark.parametrize("timer, warned", [
    ("add_business_days(received_at, 2)", False),  # the same deadline, stated twice but in step
    ("add_business_days(received_at, 3)", True),
])
def test_a_due_date_beside_the_interrupting_timer_on_the_task(api, timer, warned):
    bundle = _edited(
        ('attachedToRef="Task_intake_assessment" cancelActivity="false"', 'attachedToRef="Task_intake_assessment"'),
        ('<bpmn:timeDate xsi:type="bpmn:tFormalExpression">add_business_days(received_at, 2)</bpmn:timeDate>',
         f'<bpmn:timeDate xsi:type="bpmn:tFormalExpression">{timer}</bpmn:timeDate>'),
        ('<spiffworkflow:parameter id="target_days" type="int" value="20"/>',
         '<spiffworkflow:parameter id="target_days" type="int" value="35"/>'))
    found = _drift(api, bundle)
    if not warned:
        assert found == {}
        return
    assert list(found) == ["Task_intake_assessment"], found
    message = found["Task_intake_assessment"][0]
    assert message.startswith("the task's deadline is stated twice")
    assert "Timer_assessment_overdue (add_business_days(received_at, 3))" in message


def test_a_reminder_timer_that_differs_from_the_due_date_is_not_drift(api):
    """A non-interrupting timer may be a reminder before the deadline."""
    bundle = _edited(
        ('<bpmn:timeDate xsi:type="bpmn:tFormalExpression">add_business_days(received_at, 2)</bpmn:timeDate>',
         '<bpmn:timeDate xsi:type="bpmn:tFormalExpression">add_business_days(received_at, 1)</bpmn:timeDate>'),
        ('<spiffworkflow:parameter id="target_days" type="int" value="20"/>',
         '<spiffworkflow:parameter id="target_days" type="int" value="35"/>'))
    assert _drift(api, bundle) == {}


@pytest.mark.parametrize("group, warned", [("'intake'", False), ("'supervisors'", True)])
def test_a_candidate_group_beside_the_lane_drawn_around_the_task(api, group, warned):
    due = '<spiffworkflow:property name="dueDate" value="add_business_days(received_at, 2)"/>'
    bundle = _edited((due, due + f'<spiffworkflow:property name="candidateGroup" value="{group}"/>'),
                     ('<spiffworkflow:parameter id="target_days" type="int" value="20"/>',
                      '<spiffworkflow:parameter id="target_days" type="int" value="35"/>'))
    found = _drift(api, bundle)
    if not warned:
        assert found == {}
        return
    assert list(found) == ["Task_intake_assessment"], found
    assert found["Task_intake_assessment"][0].startswith("who the task is offered to is stated twice")
    assert "lane intake" in found["Task_intake_assessment"][0]


def test_a_camunda_candidate_group_is_read_too(api):
    bundle = _edited(
        ('<bpmn:definitions ', '<bpmn:definitions xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '),
        ('<bpmn:userTask id="Task_intake_assessment" name="Assess the complaint"',
         '<bpmn:userTask id="Task_intake_assessment" name="Assess the complaint" camunda:candidateGroups="quality"'),
        ('<spiffworkflow:parameter id="target_days" type="int" value="20"/>',
         '<spiffworkflow:parameter id="target_days" type="int" value="35"/>'))
    found = _drift(api, bundle)
    assert list(found) == ["Task_intake_assessment"] and "lane intake" in found["Task_intake_assessment"][0], found


def test_every_row_of_the_table_has_a_test():
    """A new row of drift.PARAMETERS or drift.PROPERTIES comes with its test here."""
    source = (HERE / "test_drift.py").read_text() + (HERE / "test_lint.py").read_text()
    for (_handler, parameter), (meaning, _compare) in drift.PARAMETERS.items():
        assert parameter in source and meaning in source, parameter
    for name, (meaning, _compare) in drift.PROPERTIES.items():
        assert name in source and meaning in source, name
