"""The shape of a diagram as the checks need it: its containers (processes and
sub-processes), their flow nodes and sequence flows, and how tokens move between them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ...expressions.dialects import NS

if TYPE_CHECKING:
    from lxml.etree import _Element

BPMN = f"{{{NS['bpmn']}}}"
CONTAINERS = ("process", "subProcess", "transaction", "adHocSubProcess")
ACTIVITIES = ("task", "userTask", "manualTask", "serviceTask", "scriptTask", "businessRuleTask", "sendTask",
              "receiveTask", "callActivity", "subProcess", "transaction", "adHocSubProcess")
GATEWAYS = ("exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway", "complexGateway")
EVENTS = ("startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent")
FLOW_NODES = ACTIVITIES + GATEWAYS + EVENTS


def local(element: _Element) -> str:
    tag = element.tag
    return tag[len(BPMN):] if isinstance(tag, str) and tag.startswith(BPMN) else ""


@dataclass
class Container:
    """A process or sub-process: its own flow nodes (not those nested deeper) and flows."""

    element: _Element
    nodes: dict[str, _Element] = field(default_factory=dict)
    outgoing: dict[str, list[_Element]] = field(default_factory=dict)
    incoming: dict[str, list[_Element]] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.element.get("id") or ""

    @property
    def is_event_subprocess(self) -> bool:
        return self.element.get("triggeredByEvent") == "true"


def containers(root: _Element) -> Iterator[Container]:
    """Every process and sub-process in a BPMN document, each with its direct children."""
    for element in root.iter():
        if local(element) not in CONTAINERS:
            continue
        container = Container(element)
        for child in element:
            kind = local(child)
            child_id = child.get("id")
            if kind in FLOW_NODES and child_id:
                container.nodes[child_id] = child
        for child in element:
            if local(child) == "sequenceFlow":
                container.outgoing.setdefault(child.get("sourceRef") or "", []).append(child)
                container.incoming.setdefault(child.get("targetRef") or "", []).append(child)
        yield container


def event_kind(node: _Element) -> str | None:
    """The local name of an event's first event definition (``timerEventDefinition``...)."""
    for child in node:
        name = local(child)
        if name.endswith("EventDefinition"):
            return name
    return None


def link_name(node: _Element) -> str | None:
    link = node.find("bpmn:linkEventDefinition", NS)
    return (link.get("name") or link.get("id")) if link is not None else None


def executable_processes(root: _Element) -> Iterator[_Element]:
    for process in root.iterfind("bpmn:process", NS):
        if process.get("isExecutable", "false").lower() == "true":
            yield process
