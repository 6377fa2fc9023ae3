"""Where a handler's result goes, as each modeler's diagram says (issue 14):
``spiffworkflow:resultVariable``, ``camunda:resultVariable`` and ``camunda:inputOutput``,
``zeebe:ioMapping``; and Camunda's ``failedJobRetryTimeCycle`` sets the retries."""

from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy import select

from bpmn_complaints.clock import get_clock
from bpmn_complaints.engine import runtime
from bpmn_complaints.extensions import db
from bpmn_complaints.handlers import RetryLater
from bpmn_complaints.models import Complaint, Job, ProcessInstance

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
                  xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
                  xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"
                  id="Definitions_results" targetNamespace="http://example.org/results">
  <bpmn:process id="complaint_handling" name="Results" isExecutable="true">
    <bpmn:laneSet id="LaneSet_1">
      <bpmn:lane id="Lane_intake" name="intake">
        <bpmn:flowNodeRef>StartEvent_1</bpmn:flowNodeRef><bpmn:flowNodeRef>Task_crm</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>Task_check</bpmn:flowNodeRef><bpmn:flowNodeRef>EndEvent_1</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>
    SERVICE_TASK
    <bpmn:userTask id="Task_check" name="Check">
      <bpmn:incoming>Flow_2</bpmn:incoming><bpmn:outgoing>Flow_3</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="EndEvent_1"><bpmn:incoming>Flow_3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Task_crm"/>
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_crm" targetRef="Task_check"/>
    <bpmn:sequenceFlow id="Flow_3" sourceRef="Task_check" targetRef="EndEvent_1"/>
  </bpmn:process>
</bpmn:definitions>"""
FLOWS = '<bpmn:incoming>Flow_1</bpmn:incoming><bpmn:outgoing>Flow_2</bpmn:outgoing>'
SPIFF = f"""<bpmn:serviceTask id="Task_crm"><bpmn:extensionElements>
  <spiffworkflow:serviceTaskOperator id="crm_update" resultVariable="crm"/></bpmn:extensionElements>{FLOWS}
</bpmn:serviceTask>"""
CAMUNDA_RESULT = f"""<bpmn:serviceTask id="Task_crm" camunda:type="external" camunda:topic="crm_update"
  camunda:resultVariable="crm">{FLOWS}</bpmn:serviceTask>"""
CAMUNDA_IO = f"""<bpmn:serviceTask id="Task_crm" camunda:type="external" camunda:topic="crm_update">
  <bpmn:extensionElements><camunda:inputOutput>
    <camunda:inputParameter name="ref">${{complaint_reference}}</camunda:inputParameter>
    <camunda:outputParameter name="doubled">${{score * 2}}</camunda:outputParameter>
    <camunda:outputParameter name="crm_ticket">${{ticket}}</camunda:outputParameter>
  </camunda:inputOutput></bpmn:extensionElements>{FLOWS}</bpmn:serviceTask>"""
CAMUNDA_PLAIN = f"""<bpmn:serviceTask id="Task_crm" camunda:type="external" camunda:topic="crm_update">{FLOWS}
</bpmn:serviceTask>"""
ZEEBE_IO = f"""<bpmn:serviceTask id="Task_crm"><bpmn:extensionElements>
  <zeebe:taskDefinition type="crm_update"/>
  <zeebe:ioMapping><zeebe:input source="=complaint_reference" target="ref"/>
    <zeebe:output source="=score + 1" target="next_score"/></zeebe:ioMapping>
  </bpmn:extensionElements>{FLOWS}</bpmn:serviceTask>"""
CAMUNDA_RETRY = f"""<bpmn:serviceTask id="Task_crm" camunda:type="external" camunda:topic="crm_update">
  <bpmn:extensionElements><camunda:failedJobRetryTimeCycle>R3/PT10S</camunda:failedJobRetryTimeCycle>
  </bpmn:extensionElements>{FLOWS}</bpmn:serviceTask>"""


def run(api, tmp_path, service_task, handler=None):
    """Deploy the diagram with ``service_task``, submit, let the worker run the handler, and
    return the data the next task was given, with the parameters the handler saw."""
    seen = {}

    def crm_update(ctx):
        seen.update(ctx.params)
        return handler(ctx) if handler else {"ticket": "T-1", "score": 4}

    api.app.extensions["complaints_handlers"].register("crm_update", crm_update)
    path = tmp_path / "results.bpmn"
    path.write_text(DIAGRAM.replace("SERVICE_TASK", service_task))
    result = api.deploy(path)
    assert result.exit_code == 0, result.output
    api.user("alice", groups=["intake"])
    api.user("sam", roles=["staff", "supervisor"])
    ref = api.submit()["reference"]
    api.run_worker()
    return ref, seen


def next_task_data(api, ref):
    task = api.task_for("alice", ref)
    with api.app.app_context():
        complaint = db.session.scalars(select(Complaint).where(Complaint.reference == ref)).one()
        instance = db.session.scalars(select(ProcessInstance).where(ProcessInstance.complaint_id == complaint.id)).one()
        return runtime.load(instance, "test").workflow.get_task_from_id(UUID(task["id"])).data


def test_spiffworkflow_result_variable(api, tmp_path):
    ref, _ = run(api, tmp_path, SPIFF)
    data = next_task_data(api, ref)
    assert data["crm"] == {"ticket": "T-1", "score": 4} and "ticket" not in data


def test_camunda_result_variable(api, tmp_path):
    ref, _ = run(api, tmp_path, CAMUNDA_RESULT)
    data = next_task_data(api, ref)
    assert data["crm"] == {"ticket": "T-1", "score": 4}
    assert not any(name.startswith("spiff__") for name in data)


def test_camunda_input_output_mapping(api, tmp_path):
    ref, seen = run(api, tmp_path, CAMUNDA_IO)
    assert seen == {"ref": ref}
    data = next_task_data(api, ref)
    assert data["doubled"] == 8 and data["crm_ticket"] == "T-1"
    assert "score" not in data and "ticket" not in data  # only the mapped outputs leave the task


def test_camunda_without_mapping_sets_the_result_s_variables(api, tmp_path):
    ref, _ = run(api, tmp_path, CAMUNDA_PLAIN)
    data = next_task_data(api, ref)
    assert data["ticket"] == "T-1" and data["score"] == 4
    assert not any(name.startswith("spiff__") for name in data)


def test_zeebe_io_mapping(api, tmp_path):
    ref, seen = run(api, tmp_path, ZEEBE_IO)
    assert seen == {"ref": ref}
    data = next_task_data(api, ref)
    assert data["next_score"] == 5 and "score" not in data


def test_failed_job_retry_time_cycle_sets_attempts_and_delay(api, tmp_path):
    calls = []

    def busy(ctx):
        calls.append(ctx.attempt)
        raise RetryLater("CRM busy")

    with api.app.app_context():
        get_clock().set(MONDAY)
    ref, _ = run(api, tmp_path, CAMUNDA_RETRY, busy)
    for seconds in (10, 20):
        with api.app.app_context():
            [due] = db.session.scalars(select(Job.due_at).where(Job.kind == "retry"))
        assert due == MONDAY + timedelta(seconds=seconds)  # PT10S apart, not backing off
        with api.app.app_context():
            get_clock().set(due)
        api.run_worker()
    assert calls == [1, 2, 3]  # R3: three attempts in all
    [incident] = api.get(f"/api/complaints/{ref}", "sam").get_json()["incidents"]
    assert incident["attempts"] == 3

