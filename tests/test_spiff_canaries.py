"""Canaries for the SpiffWorkflow behaviours that ``engine/workarounds.py`` and
``engine/script_engine.py`` work around.

Each test runs plain SpiffWorkflow (none of our classes) and asserts the upstream
behaviour is still there. When one fails after an upgrade, upstream changed: review the
workaround it names, and delete it if it is no longer needed.
"""

from types import SimpleNamespace

import pytest
from lxml import etree
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import TaskDataEnvironment
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser import SpiffBpmnParser
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState

WITHDRAWABLE = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:message id="Msg" name="withdraw"/>
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="work"/>
    <bpmn:userTask id="work"/>
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="e"/>
    <bpmn:endEvent id="e"/>
    <bpmn:subProcess id="withdrawal" triggeredByEvent="true">
      <bpmn:startEvent id="es" isInterrupting="true"><bpmn:messageEventDefinition messageRef="Msg"/></bpmn:startEvent>
      <bpmn:sequenceFlow id="f3" sourceRef="es" targetRef="ee"/>
      <bpmn:endEvent id="ee"/>
    </bpmn:subProcess>
  </bpmn:process>
</bpmn:definitions>"""


@pytest.fixture
def specs():
    parser = SpiffBpmnParser()
    parser.add_bpmn_xml(etree.fromstring(WITHDRAWABLE), filename="withdrawable.bpmn")
    return parser.get_spec("p"), parser.get_subprocess_specs("p")


def _withdraw(workflow):
    workflow.send_event(BpmnEvent(MessageEventDefinition("withdraw"), {}))
    workflow.do_engine_steps()


def test_an_interrupting_event_subprocess_leaves_the_rest_running(specs):
    """Worked around by ``workarounds.interrupt_for_event_subprocesses``."""
    workflow = BpmnWorkflow(*specs)
    workflow.do_engine_steps()
    work = workflow.get_next_task(spec_name="work")
    _withdraw(workflow)
    assert work.has_state(TaskState.READY)
    assert not workflow.completed


def test_a_message_started_subprocess_rewires_the_shared_spec(specs):
    """Worked around by ``workarounds.StartTask`` and ``freeze_start``."""
    spec, subprocess_specs = specs
    first = BpmnWorkflow(spec, subprocess_specs)
    first.do_engine_steps()
    assert spec.task_specs["withdrawal"] not in spec.start.outputs
    _withdraw(first)
    assert spec.task_specs["withdrawal"] in spec.start.outputs
    # So the next instance of the same (cached) spec starts the sub-process at once.
    second = BpmnWorkflow(spec, subprocess_specs)
    second.do_engine_steps()
    started = [t for t in second.get_tasks() if t.task_spec.name == "withdrawal"]
    assert started and started[0].has_state(TaskState.STARTED)


def test_call_service_hides_the_cause_behind_a_name_error():
    """Trap 1, worked around by ``ComplaintScriptEngine.call_service``."""

    class Failing(TaskDataEnvironment):
        def call_service(self, context, **kwargs):
            raise ValueError("the real cause")

    engine = PythonScriptEngine(environment=Failing())
    with pytest.raises(NameError, match="script"):
        engine.call_service(SimpleNamespace(data={}), operation_name="x", operation_params={})


GATEWAY = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="g"/>
    <bpmn:exclusiveGateway id="g" default="f3"/>
    <bpmn:sequenceFlow id="f2" sourceRef="g" targetRef="e">
      <bpmn:conditionExpression>=x</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f3" sourceRef="g" targetRef="e"/>
    <bpmn:endEvent id="e"/>
  </bpmn:process>
</bpmn:definitions>"""


def test_gateway_conditions_are_plain_bpmn_conditions_holding_their_text():
    # engine/specs.strict_conditions swaps them for StrictCondition by type and reads args[0].
    from SpiffWorkflow.bpmn.specs.bpmn_task_spec import _BpmnCondition

    parser = SpiffBpmnParser()
    parser.add_bpmn_xml(etree.fromstring(GATEWAY))
    gateway = parser.get_spec("p").task_specs["g"]
    conditions = [c for c, _ in gateway.cond_task_specs if c is not None]
    assert [type(c) for c in conditions] == [_BpmnCondition] and conditions[0].args[0] == "=x"


LOOPING = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="t">
  <bpmn:process id="loop" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="count"/>
    <bpmn:scriptTask id="count"><bpmn:script>n = n + 1</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="count" targetRef="more"/>
    <bpmn:exclusiveGateway id="more" default="again"/>
    <bpmn:sequenceFlow id="again" sourceRef="more" targetRef="count"/>
    <bpmn:sequenceFlow id="done" sourceRef="more" targetRef="e">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">n &gt;= 600</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:endEvent id="e"/>
  </bpmn:process>
</bpmn:definitions>"""


def test_a_long_loop_falls_out_of_sight_of_get_tasks():
    """Worked around by ``workarounds.out_of_sight`` (the runaway guard in ``engine/loop.py``):
    past ``TaskIterator``'s depth, ``do_engine_steps`` stops as if the process waited."""
    parser = SpiffBpmnParser()
    parser.add_bpmn_xml(etree.fromstring(LOOPING), filename="loop.bpmn")
    workflow = BpmnWorkflow(parser.get_spec("loop"))
    workflow.get_next_task(state=TaskState.READY).data["n"] = 0
    workflow.do_engine_steps()
    assert not workflow.completed
    assert workflow.get_tasks(state=TaskState.READY) == []
    assert workflow.get_tasks(state=TaskState.READY, max_depth=10**6) != []
