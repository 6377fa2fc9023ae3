"""Run and persist process instances: start one, load one, and the changes a person, a
message, a timer or a retry makes to it.

Every change follows one path: restore the workflow (re-attaching our script engine),
apply the change, run engine steps until the process waits (:mod:`.loop`), then write the
state, the human-task projection, the timer job and the trail events in the current
transaction (:mod:`.persist`). The caller commits; the instance row's version column makes
a concurrent change fail at commit (``UPDATE ... WHERE id=? AND version=?``) so it can be
retried. What happened is reported to the instance's observer (:mod:`.observer`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from uuid import UUID

from flask import current_app
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from ..business_calendar import business_calendar
from ..clock import get_clock, utcnow
from ..exceptions import AppError, Conflict, NotFound
from ..extensions import db
from ..models import Definition, ProcessInstance
from . import serializer
from .definitions import load_specs
from .incidents import failed_tasks, open_incidents, person_change_failed, resolve, resolve_person_incidents
from .loop import RunawayProcess, advance
from .observer import InstanceObserver, observer_for
from .persist import persist
from .run import Run
from .script_engine import ComplaintScriptEngine
from .service_tasks import call_handler
from .timers import next_timer

__all__ = ["Run", "RunawayProcess", "cancel", "complete_task", "fire_timers", "load", "next_timer", "retry",
           "send_message", "start_instance"]


def _script_engine(run: Run) -> ComplaintScriptEngine:
    return ComplaintScriptEngine(get_clock().now, business_calendar(),
                                 lambda task, **kw: call_handler(run, task, **kw),
                                 max_instances=int(current_app.config["MULTI_INSTANCE_MAX"]))


def _max_bytes() -> int:
    return int(current_app.config["MAX_DEFINITION_BYTES"])


def _advance(run: Run) -> None:
    advance(run)
    persist(run)


def start_instance(definition: Definition, data: dict[str, Any], actor: str,
                   observer: InstanceObserver | None = None,
                   message: tuple[str, dict[str, Any]] | None = None) -> ProcessInstance:
    """Create an instance of ``definition`` with start ``data`` and run it to its first
    wait. ``observer`` hears what happens (default: the application's for the instance).

    With ``message`` (its name and payload) the instance starts at the start event that
    catches that message, as BPMN has it, rather than at the none start event.

    :raises Conflict: if ``message`` is given and no start event of the process catches it.
    """
    parsed = load_specs(definition, _max_bytes())
    now = utcnow()
    instance = ProcessInstance(definition_id=definition.id, status="running", state="{}",
                               serializer_version=serializer.VERSION, created_at=now, updated_at=now)
    instance.definition = definition
    observer = observer or observer_for(instance)
    observer.started(instance)
    db.session.add(instance)
    db.session.flush()
    run = Run(instance, definition, observer, actor=actor)
    run.workflow = BpmnWorkflow(parsed.spec, parsed.subprocess_specs, script_engine=_script_engine(run))
    start = run.workflow.get_next_task(state=TaskState.READY)
    start.data.update(json.loads(json.dumps(data, default=str)))
    observer.record("instance_started", actor, definition=f"{definition.key} v{definition.version}",
                    instance_id=instance.id, **({"start_message": message[0]} if message else {}))
    if message is not None:
        _start_by_message(run.workflow, *message)
    _advance(run)
    return instance


def _start_by_message(workflow: BpmnWorkflow, name: str, payload: dict[str, Any]) -> None:
    """Open the start split, set aside the start events that need no trigger and deliver
    message ``name``: the first start event to fire cancels the others (SpiffWorkflow's
    StartEventSplit and StartEventJoin), so only the message's path runs."""
    task = workflow.get_next_task(state=TaskState.READY)
    while task is not None and not isinstance(task.task_spec, StartEvent):
        task.run()
        task = workflow.get_next_task(state=TaskState.READY)
    for ready in workflow.get_tasks(state=TaskState.READY):
        if isinstance(ready.task_spec, StartEvent):
            ready.cancel()
    try:
        workflow.send_event(BpmnEvent(MessageEventDefinition(name), payload))
    except WorkflowException:
        raise Conflict(f"this process has no start event for the message {name!r}") from None


def load(instance: ProcessInstance, actor: str) -> Run:
    """Restore ``instance``'s workflow for a change by ``actor``."""
    run = Run(instance, instance.definition, observer_for(instance), actor=actor)
    parsed = load_specs(instance.definition, _max_bytes())
    run.workflow = serializer.loads(instance.state, parsed.spec, parsed.subprocess_specs, _script_engine(run))
    return run


def _find_task(workflow: BpmnWorkflow, task_id: str) -> Task:
    try:
        task = workflow.get_task_from_id(UUID(task_id))
    except (ValueError, WorkflowException):
        task = None
    if task is None:
        raise NotFound(f"task {task_id} is not part of this process instance")
    return task


def complete_task(instance: ProcessInstance, task_id: str, data: dict[str, Any], actor: str) -> Run:
    """Complete a ready user/manual task with submitted ``data`` and move the process on.

    :raises NotFound: if the task is not part of the instance.
    :raises Conflict: if the task is no longer waiting to be completed.
    """
    run = load(instance, actor)
    task = _find_task(run.workflow, task_id)
    if not task.has_state(TaskState.READY) or not task.task_spec.manual:
        raise Conflict("this task is no longer waiting to be completed")

    def complete() -> None:
        task.data.update(data)
        task.run()

    _person_change(run, complete, "completion", task_id)
    return run


def send_message(instance: ProcessInstance, name: str, payload: dict[str, Any], actor: str) -> Run:
    """Deliver message ``name`` to the instance.

    :raises Conflict: if the process is not waiting for that message.
    """
    run = load(instance, actor)
    event = BpmnEvent(MessageEventDefinition(name), payload)

    def deliver() -> None:
        try:
            run.workflow.send_event(event)
        except WorkflowException:
            raise Conflict(f"this complaint is not waiting for the message {name!r} now") from None
        run.observer.record("message_received", actor, message=name, payload=payload)

    _person_change(run, deliver, "message", None, message=name)
    return run


def _person_change(run: Run, change: Callable[[], None], kind: str, task_id: str | None, **payload: Any) -> None:
    """Apply a person's ``change`` and run the process to its next wait. If a step fails
    on the way (a script, a timer, a condition, a loop), nothing of it may be kept: raise
    :class:`~bpmn_complaints.exceptions.ProcessFailed`, which names the element and opens
    the incident after the rollback. If it goes through, the incidents of earlier failed
    attempts at the same change are resolved."""
    try:
        change()
        advance(run, strict=True)
    except AppError:
        raise
    except Exception as err:
        raise person_change_failed(run, err, kind, task_id, **payload) from err
    resolve_person_incidents(run, kind, task_id, **payload)
    persist(run)


def cancel(instance: ProcessInstance, actor: str, reason: str) -> Run:
    """Stop all open work of the instance for ``reason`` (a code): it ends, as completed."""
    run = load(instance, actor)
    run.observer.record("instance_cancelled", actor, reason=reason, instance_id=instance.id)
    run.workflow.cancel()
    persist(run)
    return run


def fire_timers(instance: ProcessInstance) -> Run:
    """Let due timers fire (trap 7: they only do when the host asks)."""
    run = load(instance, "timer")
    run.workflow.refresh_timers()
    _advance(run)
    return run


def retry(instance: ProcessInstance, actor: str, attempts: dict[str, int] | None = None) -> Run:
    """Put failed tasks back to ready and run again; the open incident is resolved if it
    goes through, or its attempt count grows if it fails again. ``attempts`` maps task
    ids to the attempts made so far (for scheduled retries).

    :raises Conflict: if the instance has no failed task.
    """
    run = load(instance, actor)
    run.attempts.update(attempts or {})
    failed = failed_tasks(run)
    if not failed:
        raise Conflict("this instance has no failed task to retry")
    for task in failed:
        task._set_state(TaskState.READY)
    incidents = open_incidents(instance)
    for incident in incidents:
        run.attempts[incident.task_id] = incident.attempts
    _advance(run)
    if run.failure is None:
        resolve(run, incidents)
    return run
