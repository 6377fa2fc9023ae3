"""A message correlates to exactly one waiting receiver, as Camunda correlates it.

SpiffWorkflow hands a message to every task that waits for its name, so one reply could
complete two waiting branches of a multi-instance activity. Here a message goes to one
receiver: the only one waiting for it, or, where the diagram declares a correlation key
(Camunda 8's ``<zeebe:subscription correlationKey="=..."/>`` on the ``bpmn:message``), the
one whose key (evaluated in that receiver's data) equals the key the message carries.
Several receivers that nothing tells apart are refused (Camunda 7's "Cannot correlate
message: N executions match"), never all served.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..expressions.dialects import NS

if TYPE_CHECKING:
    from lxml.etree import _Element
    from SpiffWorkflow.bpmn.util import BpmnEvent
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
    from SpiffWorkflow.task import Task


class NoReceiver(LookupError):
    """Nothing waits for the message (with that key)."""


class AmbiguousReceivers(LookupError):
    """Several receivers wait for the message and nothing tells them apart."""


def declared_keys(root: _Element) -> dict[str, str]:
    """Message name -> correlation-key expression, as a BPMN document declares them."""
    keys = {}
    for message in root.iterfind(".//bpmn:message", NS):
        subscription = message.find("bpmn:extensionElements/zeebe:subscription", NS)
        key = (subscription.get("correlationKey") or "").strip() if subscription is not None else ""
        if message.get("name") and key:
            keys[str(message.get("name"))] = key
    return keys


def _key_of(task: Task, expression: str) -> str:
    value: Any = task.workflow.script_engine.evaluate(task, expression)
    return str(value)


def receiver(workflow: BpmnWorkflow, event: BpmnEvent, key: str | None, keys: dict[str, str]) -> Task:
    """The one task that is to catch ``event``.

    :raises NoReceiver: if nothing waits for it, or nothing with ``key``.
    :raises AmbiguousReceivers: if several wait and ``key`` (or its absence) does not choose one.
    """
    manager = workflow.event_manager
    manager.update_collaboration(event)
    waiting = [t for t in list(manager.tasks.values()) if t.task_spec.catches(t, event)]
    name = event.event_definition.name
    expression = keys.get(name)
    if expression and key is not None:
        waiting = [t for t in waiting if _key_of(t, expression) == key]
    if not waiting:
        raise NoReceiver(f"nothing waits for the message {name!r}" + (f" with the key {key!r}" if key else ""))
    if len(waiting) > 1:
        ids = ", ".join(sorted({t.task_spec.bpmn_id or t.task_spec.name for t in waiting}))
        hint = ("send its correlation key" if expression else
                "declare a correlation key on the message (zeebe:subscription correlationKey)")
        raise AmbiguousReceivers(f"{len(waiting)} receivers wait for the message {name!r} ({ids}) and nothing "
                                 f"tells them apart: {hint}")
    return waiting[0]


def deliver(workflow: BpmnWorkflow, event: BpmnEvent, key: str | None, keys: dict[str, str]) -> Task:
    """Hand ``event`` to its one receiver (:func:`receiver`); return that task."""
    task = receiver(workflow, event, key, keys)
    task.task_spec.catch(task, event)
    task.task_spec._update(task)
    return task
