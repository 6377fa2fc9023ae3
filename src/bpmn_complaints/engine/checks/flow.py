"""Dead ends and unreachable elements.

A token that reaches an activity, gateway or event with no way on stops there: the
complaint then waits for ever, with no task and no incident. That is an error. An element
no path from a start event reaches never runs; that is a warning (it is harmless, but
rarely meant).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .graph import ACTIVITIES, GATEWAYS, Container, containers, event_kind, executable_processes, link_name, local

if TYPE_CHECKING:
    from lxml.etree import _Element

    from ..lint import Linter

MUST_GO_ON = (*ACTIVITIES, *GATEWAYS, "startEvent", "intermediateCatchEvent", "intermediateThrowEvent")


def check(linter: Linter) -> None:
    for file, root in linter.bpmn_roots.items():
        for process in executable_processes(root):
            for container in containers(process):
                if local(container.element) == "adHocSubProcess":
                    continue  # its activities need no flows
                _dead_ends(linter, file, container)
                _unreachable(linter, file, container)


def _exempt(node: _Element) -> bool:
    """Elements that rightly have no outgoing flow."""
    return (node.get("isForCompensation") == "true"
            or node.get("triggeredByEvent") == "true"  # an event sub-process ends on its own
            or (local(node) == "intermediateThrowEvent" and link_name(node) is not None))


def _successors(container: Container, node_id: str) -> list[str]:
    """Where a token goes next: along the flows, to the boundary events of an activity,
    and from a link throw to its catch."""
    nodes = container.nodes
    found = [flow.get("targetRef") or "" for flow in container.outgoing.get(node_id, [])]
    found += [bid for bid, b in nodes.items() if local(b) == "boundaryEvent" and b.get("attachedToRef") == node_id]
    name = link_name(nodes[node_id]) if node_id in nodes else None
    if name is not None and local(nodes[node_id]) == "intermediateThrowEvent":
        found += [cid for cid, c in nodes.items()
                  if local(c) == "intermediateCatchEvent" and link_name(c) == name]
    return [target for target in found if target in nodes]


def _dead_ends(linter: Linter, file: str, container: Container) -> None:
    ends = {nid for nid, node in container.nodes.items() if local(node) == "endEvent" or _exempt(node)}
    # Which elements can still reach an end: walk the flows backwards from the ends.
    predecessors: dict[str, set[str]] = {}
    for node_id in container.nodes:
        for target in _successors(container, node_id):
            predecessors.setdefault(target, set()).add(node_id)
    finishing, todo = set(ends), list(ends)
    while todo:
        for before in predecessors.get(todo.pop(), ()):
            if before not in finishing:
                finishing.add(before)
                todo.append(before)
    for node_id, node in container.nodes.items():
        kind = local(node)
        if _exempt(node) or kind == "endEvent":
            continue
        if not container.outgoing.get(node_id) and kind in MUST_GO_ON:
            linter.add(file, node_id, f"this {_words(kind)} has no outgoing sequence flow: a complaint that "
                                      "reaches it would wait for ever, with no task and no incident. Connect it "
                                      "to the next step or to an end event")
        elif kind == "boundaryEvent" and not container.outgoing.get(node_id):
            if event_kind(node) != "compensateEventDefinition":
                linter.warn(file, node_id, "this boundary event has no outgoing sequence flow, so when it fires "
                                           "nothing happens: connect it, or remove it")
        elif ends and node_id not in finishing:
            linter.add(file, node_id, f"no path from this {_words(kind)} reaches an end event: a complaint "
                                      "that gets here loops for ever. Give the loop a way out")


def _unreachable(linter: Linter, file: str, container: Container) -> None:
    nodes = container.nodes
    seeds = [nid for nid, node in nodes.items()
             if local(node) == "startEvent" or node.get("isForCompensation") == "true"
             or node.get("triggeredByEvent") == "true"
             or (local(node) == "boundaryEvent" and event_kind(node) == "compensateEventDefinition")]
    reached, todo = set(seeds), list(seeds)
    while todo:
        for target in _successors(container, todo.pop()):
            if target not in reached:
                reached.add(target)
                todo.append(target)
    if not seeds:
        return  # "no start event" is the parser's report
    for node_id, node in nodes.items():
        if node_id not in reached:
            linter.warn(file, node_id, f"no path from a start event reaches this {_words(local(node))}, "
                                       "so it never runs")


def _words(kind: str) -> str:
    out = "".join(f" {c.lower()}" if c.isupper() else c for c in kind)
    return out.replace("sub process", "sub-process")
