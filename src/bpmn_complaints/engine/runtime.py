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
from sqlalchemy import text

from ..business_calendar import business_calendar
from ..clock import get_clock, utcnow
from ..exceptions import AppError, Conflict, NotFound
from ..extensions import db
from ..handlers.spec import BpmnError, HandlerContext, HandlerFunc
from ..models import Definition, Job, ProcessInstance
from . import correlation, serializer
from .continuations import defer
from .definitions import load_specs
from .incidents import (
    failed_tasks,
    open_incidents,
    person_change_failed,
    record_failure,
    resolve,
    resolve_person_incidents,
)
from .loop import RunawayProcess, advance
from .observer import InstanceObserver, observer_for
from .persist import persist
from .run import Run, ready_human_tasks
from .script_engine import ComplaintScriptEngine
from .service_tasks import (
    ErrorThrown,
    HandlerFailed,
    Outcome,
    call_handler,
    catch_error,
    error_catcher,
    handler_context,
    registered,
)
from .timers import next_timer

__all__ = ["Run", "RunawayProcess", "cancel", "complete_external", "complete_task", "external_bpmn_error",
           "fail_service_task", "fire_timers", "load",
           "next_timer", "prepare_service_task", "retry", "run_service_task", "send_message", "start_instance"]


def _script_engine(run: Run) -> ComplaintScriptEngine:
    return ComplaintScriptEngine(get_clock().now, business_calendar(),
                                 lambda task, **kw: call_handler(run, task, **kw),
                                 max_instances=int(current_app.config["MULTI_INSTANCE_MAX"]),
                                 deferrer=lambda task: defer(run, task))


def _max_bytes() -> int:
    return int(current_app.config["MAX_DEFINITION_BYTES"])


def _advance(run: Run, first: Task | None = None, complete_first: bool = False) -> None:
    advance(run, first, complete_first)
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
    # Its id now, its row at the end of the change with the state it reached: the state
    # is written once (an INSERT), not as "{}" and then again.
    instance.id = _new_instance_id()
    db.session.add(instance)
    run = Run(instance, definition, observer, actor=actor, new=True)
    run.workflow = BpmnWorkflow(parsed.spec, parsed.subprocess_specs, script_engine=_script_engine(run))
    start = run.workflow.get_next_task(state=TaskState.READY)
    start.data.update(json.loads(json.dumps(data, default=str)))
    observer.record("instance_started", actor, definition=f"{definition.key} v{definition.version}",
                    instance_id=instance.id, **({"start_message": message[0]} if message else {}))
    if message is not None:
        _start_by_message(run.workflow, *message)
    _advance(run)
    return instance


def _new_instance_id() -> int:
    """The id the next instance row gets: from its sequence on PostgreSQL; on SQLite the
    one it would pick itself (max + 1: the table has no AUTOINCREMENT), which no other
    writer can take first, since a change holds the write lock from its BEGIN IMMEDIATE."""
    if db.session.get_bind().dialect.name == "postgresql":
        query = text("SELECT nextval(pg_get_serial_sequence('process_instances', 'id'))")
    else:
        query = text("SELECT coalesce(max(id), 0) + 1 FROM process_instances")
    return int(db.session.scalar(query))


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
    run.loaded_ready = frozenset(ready_human_tasks(run.workflow))
    run.loaded_timer = next_timer(run.workflow) is not None
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


def send_message(instance: ProcessInstance, name: str, payload: dict[str, Any], actor: str,
                 correlation_key: str | None = None) -> Run:
    """Deliver message ``name`` to the one receiver waiting for it (:mod:`.correlation`),
    chosen by ``correlation_key`` where the diagram declares one.

    :raises Conflict: if the process is not waiting for that message, or several receivers
        wait for it and nothing tells them apart.
    """
    run = load(instance, actor)
    event = BpmnEvent(MessageEventDefinition(name), payload)

    def deliver() -> None:
        try:
            correlation.deliver(run.workflow, event, correlation_key,
                                getattr(run.workflow.spec, "correlation_keys", {}))
        except correlation.NoReceiver:
            raise Conflict(f"this complaint is not waiting for the message {name!r} now"
                           + (f" with the correlation key {correlation_key!r}" if correlation_key else "")) from None
        except correlation.AmbiguousReceivers as err:
            raise Conflict(str(err)) from None
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


def fire_timers(instance: ProcessInstance, job: Job | None = None) -> Run:
    """Let due timers fire (trap 7: they only do when the host asks). ``job`` is the
    instance's timer job if the caller holds it: it is moved to the next timer, or
    deleted when none is left."""
    run = load(instance, "timer")
    run.timer_job = job
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
    if run.failure is None and not run.deferred:
        resolve(run, incidents)
    return run


def _waiting_service_task(run: Run, task_id: str) -> Task | None:
    """The service task ``task_id`` if it still waits for its job (a boundary event or a
    cancellation may have moved the process on since)."""
    try:
        task = _find_task(run.workflow, task_id)
    except NotFound:
        return None
    return task if task.has_state(TaskState.STARTED) and hasattr(task.task_spec, "operation_name") else None


def prepare_service_task(instance: ProcessInstance, task_id: str,
                         attempts: int) -> tuple[HandlerFunc, HandlerContext] | None:
    """What the worker needs to call a deferred service task's handler outside any
    transaction: the handler and its context. ``None`` when the task no longer waits, its
    handler is unknown, or its parameters fail (:func:`run_service_task` then records why)."""
    run = load(instance, "worker")
    task = _waiting_service_task(run, task_id)
    func = registered(task.task_spec.operation_name) if task is not None else None
    if task is None or func is None:
        return None
    run.attempts[task_id] = attempts
    try:
        params = task.task_spec.evaluate_params(task)
    except Exception:  # noqa: BLE001 - the same evaluation fails again in run_service_task, as an incident
        return None
    return func, handler_context(run, task, params)


def run_service_task(instance: ProcessInstance, task_id: str, attempts: int,
                     requested_by: str | None = None, outcome: Outcome | None = None) -> Run | None:
    """The worker's job for a deferred service task: run its handler (``attempts`` made
    before), or take the ``outcome`` of the call the worker made, and move the process on;
    an open incident on the task is resolved in the name of ``requested_by`` (who retried
    it). ``None`` when the task no longer waits."""
    run = load(instance, "worker")
    task = _waiting_service_task(run, task_id)
    if task is None:
        return None
    run.attempts[task_id] = attempts
    run.inline.add(task_id)
    if outcome is not None:
        run.outcomes[task_id] = outcome
    incidents = [i for i in open_incidents(instance) if i.task_id == task_id]
    _advance(run, first=task)
    if run.failure is None:
        resolve(run, incidents, by=requested_by)
    return run


def fail_service_task(instance: ProcessInstance, task_id: str, attempts: int, err: Exception) -> Run | None:
    """Record that a deferred service task's handler failed outside the engine (it ran past
    its timeout): a scheduled retry or an incident, as any handler failure."""
    run = load(instance, "worker")
    task = _waiting_service_task(run, task_id)
    if task is None:
        return None
    run.attempts[task_id] = attempts
    task._set_state(TaskState.ERROR)
    run.failure = err
    record_failure(run, err)
    persist(run)
    return run


def _external(instance: ProcessInstance, task_id: str, actor: str) -> tuple[Run, Task]:
    run = load(instance, actor)
    task = _waiting_service_task(run, task_id)
    if task is None:
        raise Conflict("this external task no longer waits: the process moved on")
    return run, task


def complete_external(instance: ProcessInstance, task_id: str, variables: dict[str, Any], actor: str) -> Run:
    """An external worker completed service task ``task_id`` with ``variables``.

    :raises Conflict: if the task no longer waits.
    """
    run, task = _external(instance, task_id, actor)
    try:
        task.task_spec.store_result(task, variables, merge=True)
    except WorkflowException as err:  # an output mapping failed: an incident, as a handler's would
        task._set_state(TaskState.ERROR)
        run.failure = err
        record_failure(run, err)
        persist(run)
        return run
    run.observer.record("external_task_completed", actor, task_id=task_id, bpmn_id=task.task_spec.bpmn_id,
                        topic=task.task_spec.operation_name, variables=sorted(variables))
    incidents = [i for i in open_incidents(instance) if i.task_id == task_id]
    _advance(run, first=task, complete_first=True)
    if run.failure is None:
        resolve(run, incidents)
    return run


def external_bpmn_error(instance: ProcessInstance, task_id: str, code: str, message: str,
                        variables: dict[str, Any], actor: str) -> Run:
    """An external worker reported BPMN error ``code``: its task's boundary error event
    catches it, or (none does) it is an incident.

    :raises Conflict: if the task no longer waits.
    """
    run, task = _external(instance, task_id, actor)
    task.data.update(variables)
    topic = task.task_spec.operation_name
    catcher = error_catcher(task, code)
    if catcher is None:
        task._set_state(TaskState.ERROR)
        run.failure = HandlerFailed(f"BPMN error {code!r} ({message or code}) is not caught: no boundary error "
                                    f"event on {task.task_spec.bpmn_id} has that error code")
        record_failure(run, run.failure)
        persist(run)
        return run
    incidents = [i for i in open_incidents(instance) if i.task_id == task_id]
    catch_error(run, ErrorThrown(task, catcher, BpmnError(code, message), topic))
    _advance(run)
    if run.failure is None:
        resolve(run, incidents)
    return run
