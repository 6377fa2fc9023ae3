"""Camunda's shorthand rewritten as the standard BPMN that SpiffWorkflow parses, on a copy
of the XML just before it does (the stored files are never changed):

* several unconditional flows leaving a task are an implicit parallel split (BPMN 2.0
  10.5.1, and Camunda 7 and 8 run it so): a parallel gateway is put after the task;
* Camunda 7's ``camunda:collection``/``camunda:elementVariable`` and Camunda 8's
  ``zeebe:loopCharacteristics`` (``inputCollection``, ``inputElement``,
  ``outputCollection``, ``outputElement``) become the ``loopDataInputRef``,
  ``inputDataItem``, ``loopDataOutputRef`` and ``outputDataItem`` SpiffWorkflow reads.

What cannot be rewritten faithfully (a collection that is an expression, not a variable)
is refused at deploy by :mod:`.camunda_checks`, with the element and the reason.
"""

from __future__ import annotations

from copy import deepcopy
from typing import TYPE_CHECKING

from ..expressions.dialects import NS, unwrap

if TYPE_CHECKING:
    from lxml.etree import _Element

BPMN = f"{{{NS['bpmn']}}}"
CAMUNDA = f"{{{NS['camunda']}}}"
# Flow nodes that may have several outgoing flows of their own: gateways split by their
# kind, events have no task semantics to add.
ACTIVITIES = ("task", "userTask", "manualTask", "serviceTask", "scriptTask", "businessRuleTask", "sendTask",
              "receiveTask", "subProcess", "callActivity", "transaction")
SPLIT_SUFFIX = "_implicit_split"


def rewrite(root: _Element) -> _Element:
    """A copy of the BPMN document ``root`` with Camunda's shorthand made explicit."""
    root = deepcopy(root)
    for container in [*root.iterfind(".//bpmn:process", NS), *root.iterfind(".//bpmn:subProcess", NS),
                      *root.iterfind(".//bpmn:transaction", NS)]:
        _implicit_splits(container)
    for loop in root.iterfind(".//bpmn:multiInstanceLoopCharacteristics", NS):
        _collection(loop)
    return root


def variable_name(text: str | None) -> str | None:
    """The variable a Camunda collection names (``items``, ``${items}``, ``=items``), or
    ``None`` when it is an expression rather than a name."""
    name = unwrap(text or "")
    return name if name.isidentifier() else None


def implicit_split_sources(container: _Element) -> dict[str, list[_Element]]:
    """The activities directly in ``container`` left by several flows, none with a
    condition, with those flows."""
    activities = {el.get("id") for tag in ACTIVITIES for el in container.iterfind(f"bpmn:{tag}", NS)}
    outgoing: dict[str, list[_Element]] = {}
    for flow in container.iterfind("bpmn:sequenceFlow", NS):
        source = flow.get("sourceRef")
        if source in activities and source is not None:
            outgoing.setdefault(source, []).append(flow)
    return {source: flows for source, flows in outgoing.items()
            if len(flows) > 1 and all(f.find("bpmn:conditionExpression", NS) is None for f in flows)}


def _implicit_splits(container: _Element) -> None:
    for source, flows in implicit_split_sources(container).items():
        gateway_id = f"{source}{SPLIT_SUFFIX}"
        gateway = container.makeelement(f"{BPMN}parallelGateway", {"id": gateway_id})
        container.append(gateway)
        for flow in flows:
            flow.set("sourceRef", gateway_id)
        container.append(container.makeelement(f"{BPMN}sequenceFlow", {
            "id": f"{gateway_id}_flow", "sourceRef": source, "targetRef": gateway_id}))


def _add(loop: _Element, tag: str, text: str | None = None, **attrs: str) -> None:
    child = loop.makeelement(f"{BPMN}{tag}", attrs)
    child.text = text
    # loopDataInputRef and the items come before a completionCondition in the schema; the
    # parser finds them anywhere among the children.
    loop.insert(0, child)


def _collection(loop: _Element) -> None:
    if loop.find("bpmn:loopDataInputRef", NS) is not None or loop.find("bpmn:loopCardinality", NS) is not None:
        return
    zeebe = loop.find("bpmn:extensionElements/zeebe:loopCharacteristics", NS)
    if zeebe is not None:
        collection, element = zeebe.get("inputCollection"), zeebe.get("inputElement")
        output, output_element = zeebe.get("outputCollection"), zeebe.get("outputElement")
    else:
        collection, element = loop.get(f"{CAMUNDA}collection"), loop.get(f"{CAMUNDA}elementVariable")
        output = output_element = None
    name = variable_name(collection)
    if name is None:
        return
    if output and variable_name(output_element):
        _add(loop, "outputDataItem", id=str(variable_name(output_element)))
        _add(loop, "loopDataOutputRef", output)
    if element:
        _add(loop, "inputDataItem", id=element)
    _add(loop, "loopDataInputRef", name)
