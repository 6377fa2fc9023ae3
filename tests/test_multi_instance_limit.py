"""A multi-instance activity creates at most MULTI_INSTANCE_MAX instances (issue 15): a
literal cardinality beyond it is refused at deploy, a count or collection beyond it met at
run time is an incident, and nothing is created."""

import pytest

from test_deploy import deploy, problems

DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
                  id="Definitions_many" targetNamespace="http://example.org/many">
  <bpmn:process id="complaint_handling" name="Many" isExecutable="true">
    <bpmn:laneSet id="LaneSet_1">
      <bpmn:lane id="Lane_intake" name="intake">
        <bpmn:flowNodeRef>StartEvent_1</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>Script_set</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>Task_many</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>EndEvent_1</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="Script_set" name="Set">
      <bpmn:incoming>Flow_1</bpmn:incoming><bpmn:outgoing>Flow_2</bpmn:outgoing>
      <bpmn:script>{script}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:userTask id="Task_many" name="One of many">
      <bpmn:incoming>Flow_2</bpmn:incoming><bpmn:outgoing>Flow_3</bpmn:outgoing>
      <bpmn:multiInstanceLoopCharacteristics>{loop}</bpmn:multiInstanceLoopCharacteristics>
    </bpmn:userTask>
    <bpmn:endEvent id="EndEvent_1"><bpmn:incoming>Flow_3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Script_set"/>
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Script_set" targetRef="Task_many"/>
    <bpmn:sequenceFlow id="Flow_3" sourceRef="Task_many" targetRef="EndEvent_1"/>
  </bpmn:process>
</bpmn:definitions>
"""
CARDINALITY = "<bpmn:loopCardinality>{}</bpmn:loopCardinality>"
COLLECTION = ("<bpmn:loopDataInputRef>items</bpmn:loopDataInputRef>"
              "<bpmn:inputDataItem id=\"item\" name=\"item\"/>")


def diagram(loop, script="n = 3"):
    return {"many.bpmn": DIAGRAM.format(loop=loop, script=script)}


def test_a_literal_cardinality_beyond_the_maximum_is_refused_at_deploy(api):
    found = problems(deploy(api, diagram(CARDINALITY.format(1001))))
    assert [p["element"] for p in found] == ["Task_many"] and "MULTI_INSTANCE_MAX" in found[0]["message"]
    assert deploy(api, diagram(CARDINALITY.format(3))).status_code == 201


def test_the_maximum_is_configured(api):
    api.app.config["MULTI_INSTANCE_MAX"] = 2
    assert problems(deploy(api, diagram(CARDINALITY.format(3))))


@pytest.mark.parametrize(("loop", "script"), [(CARDINALITY.format("n"), "n = 5000"),
                                              (COLLECTION, "items = [1] * 1001")])
def test_a_count_beyond_the_maximum_at_run_time_is_an_incident(api, loop, script):
    assert deploy(api, diagram(loop, script)).status_code == 201
    api.user("sam", groups=["intake"], roles=["staff", "supervisor"])
    created = api.submit()
    incidents = api.get("/api/incidents", "sam").get_json()
    assert len(incidents) == 1 and "more than the maximum of 1000" in incidents[0]["message"], incidents
    assert api.tasks("sam", "group")["total"] == 0
    detail = api.get(f"/api/complaints/{created['reference']}", "sam").get_json()
    assert detail["instance_status"] == "error"


def test_within_the_maximum_the_instances_are_made(api):
    assert deploy(api, diagram(CARDINALITY.format("n"), "n = 3")).status_code == 201
    api.user("sam", groups=["intake"], roles=["staff", "supervisor"])
    api.submit()
    assert api.tasks("sam", "group")["total"] == 3
