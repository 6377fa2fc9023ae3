"""A setting stated twice, so the two can drift apart.

A handler parameter that restates what the diagram already says is read from the diagram
at run time, so the parameter is dead and, once someone edits one and not the other,
wrong: ``reply_days`` on ``deliver_response`` is the reply window, but when the process
waits for the reply with a timer, the letter's reply-by date is that timer's
(:mod:`..lookahead`). Each such parameter is named, with the element that wins.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...expressions.dialects import NS, BindingError, read_binding
from .graph import Container, containers, event_kind, executable_processes, local

if TYPE_CHECKING:
    from lxml.etree import _Element

    from ..lint import Linter

# parameter -> (what it states, what states it in the diagram)
RESTATED = {"reply_days": ("the reply window", "timer")}


def check(linter: Linter) -> None:
    for file, root in linter.bpmn_roots.items():
        for process in executable_processes(root):
            for container in containers(process):
                for node_id, node in container.nodes.items():
                    if local(node) == "serviceTask":
                        _service_task(linter, file, container, node_id, node)


def _service_task(linter: Linter, file: str, container: Container, node_id: str, node: _Element) -> None:
    try:
        binding = read_binding(node)
    except BindingError:
        return
    if binding is None:
        return
    for name, value in binding.params.items():
        if name not in RESTATED:
            continue
        meaning, _kind = RESTATED[name]
        for timer_id, timer_value in _timers_waited_on_after(container, node_id):
            linter.warn(file, node_id, f"{meaning} is stated twice: the parameter {name}={value} here, and the "
                                       f"timer {timer_id} ({timer_value}) the process waits on next, which is what "
                                       f"the letter promises. {name} is not used and can drift: remove it")


def _timers_waited_on_after(container: Container, node_id: str) -> list[tuple[str, str]]:
    """The timer events the process waits on right after ``node_id``: directly, or behind
    an event-based gateway (as :mod:`..lookahead` reads them at run time)."""
    found = []
    targets = [flow.get("targetRef") or "" for flow in container.outgoing.get(node_id, [])]
    for target in targets:
        node = container.nodes.get(target)
        if node is None:
            continue
        if local(node) == "eventBasedGateway":
            targets += [f.get("targetRef") or "" for f in container.outgoing.get(target, [])]
        elif local(node) == "intermediateCatchEvent" and event_kind(node) == "timerEventDefinition":
            value = node.find("bpmn:timerEventDefinition/*", NS)
            found.append((target, " ".join((value.text or "").split()) if value is not None else ""))
    return found
