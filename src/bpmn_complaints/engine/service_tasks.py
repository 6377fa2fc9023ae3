"""Calling a service task's handler, and routing the BPMN errors it raises to the
boundary error event of its own task."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, cast

from flask import current_app
from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import ErrorEventDefinition
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from ..db import trail
from ..extensions import db
from ..handlers.registry import plugin_config
from ..handlers.spec import BpmnError, DefinitionInfo, HandlerContext, HandlerFunc, TaskInfo
from .lookahead import waits_after
from .run import Run


class HandlerFailed(RuntimeError):
    """Carries a handler's own exception (as ``__cause__``) through SpiffWorkflow."""


class ErrorThrown(Exception):
    """A handler's :class:`BpmnError` that a boundary error event on its task catches."""

    def __init__(self, task: Task, catcher: Task, error: BpmnError, handler: str):
        super().__init__(str(error))
        self.task, self.catcher, self.error, self.handler = task, catcher, error, handler


@dataclass
class Outcome:
    """What one handler call gave: its result, or the exception it raised."""

    result: Any = None
    error: Exception | None = None


def invoke(func: HandlerFunc, ctx: HandlerContext) -> Outcome:
    """Call ``func``, keeping what it raised; its result must be JSON."""
    try:
        result = func(ctx)
        json.dumps(result)
    except Exception as err:  # kept intact: :func:`call_handler` sorts it
        return Outcome(error=err)
    return Outcome(result=result)


def handler_context(run: Run, task: Task, operation_params: dict[str, Any]) -> HandlerContext:
    """The context the handler of service task ``task`` gets in this run."""
    spec = task.task_spec
    complaint, services = run.observer.handler_context()
    registry = current_app.extensions["complaints_handlers"]
    name = spec.operation_name
    if complaint is not None and not registry.options(name).personal_data:
        complaint = complaint.without_personal_data()
    return HandlerContext(
        complaint=complaint,
        task=TaskInfo(str(task.id), spec.bpmn_id, spec.bpmn_name or spec.bpmn_id, spec.lane,
                      json.loads(json.dumps(task.data, default=str)), waits_after(task)),
        definition=DefinitionInfo(run.definition.key, run.definition.version),
        params=operation_params,
        attempt=run.attempts.get(str(task.id), 0) + 1,
        services=services,
        idempotency_key=f"{run.definition.key}:{run.instance.id}:{task.id}",
        config=plugin_config(current_app.config, registry.plugin(name)),
    )


def registered(operation_name: str) -> HandlerFunc | None:
    return cast("HandlerFunc | None", current_app.extensions["complaints_handlers"].get(operation_name))


def call_handler(run: Run, task: Task, operation_name: str, operation_params: dict[str, Any]) -> Any:
    """Run the handler registered as ``operation_name`` for service task ``task``, or take
    the outcome the worker got by calling it outside the transaction (:attr:`Run.outcomes`).

    :raises HandlerFailed: the handler is unknown, failed, or returned data that is not JSON.
    :raises ErrorThrown: the handler raised a :class:`BpmnError` that a boundary event catches.
    """
    func = registered(operation_name)
    spec = task.task_spec
    if func is None:
        blocked = current_app.extensions["complaints_handlers"].blocked.get(operation_name)
        if blocked:
            raise HandlerFailed(f"the handler {operation_name!r} comes from the plugin {blocked}, which the "
                                "operator blocked (BLOCKED_PLUGINS)")
        raise HandlerFailed(f"no handler is registered under {operation_name!r}")
    ctx = handler_context(run, task, operation_params)
    outcome = run.outcomes.pop(str(task.id), None)
    if outcome is None:
        # A savepoint: whatever a failing handler wrote is undone, the step's other work kept.
        savepoint, written = db.session.begin_nested(), trail.mark()
        outcome = invoke(func, ctx)
        if outcome.error is None:
            savepoint.commit()
        else:
            savepoint.rollback()
            trail.undo(written)
    err = outcome.error
    if isinstance(err, BpmnError):
        catcher = error_catcher(task, err.code)
        if catcher is None:
            raise HandlerFailed(
                f"BPMN error {err.code!r} ({err}) is not caught: no boundary error event on "
                f"{spec.bpmn_id} has that error code") from None
        raise ErrorThrown(task, catcher, err, operation_name) from err
    if isinstance(err, TypeError):
        raise HandlerFailed(f"handler {operation_name!r} returned data that is not JSON: {err}") from err
    if err is not None:  # the handler's own error, kept intact for the incident
        raise HandlerFailed(str(err)) from err
    run.observer.record("handler_ran", "engine", task_id=str(task.id), bpmn_id=spec.bpmn_id,
                        handler=operation_name, attempt=ctx.attempt)
    return outcome.result


def error_catcher(task: Task, code: str) -> Task | None:
    """The waiting boundary error event attached to ``task`` that catches ``code``: one
    naming that code first, else one without a code (BPMN's catch-all).

    Only this task's own boundary events are asked. SpiffWorkflow's event manager would
    offer the error to every waiting error event in the workflow, so a parallel branch
    could catch an error that is not its own."""
    split = task.parent
    if split is None or not isinstance(split.task_spec, BoundaryEventSplit):
        return None
    waiting = [t for t in split.children if t is not task and t.has_state(TaskState.WAITING)
               and isinstance(getattr(t.task_spec, "event_definition", None), ErrorEventDefinition)]
    for wanted in (code, None):
        for candidate in waiting:
            if candidate.task_spec.event_definition.code == wanted:
                return candidate
    return None


def catch_error(run: Run, thrown: ErrorThrown) -> None:
    """Route a caught BPMN error down its boundary event: the service task is cancelled
    (it produced no result), and the boundary event gets the error as data."""
    task, catcher, error = thrown.task, thrown.catcher, thrown.error
    details = {"code": error.code, "message": str(error), "task": task.task_spec.bpmn_id}
    definition = catcher.task_spec.event_definition
    definition.catch(catcher, BpmnEvent(definition, payload=details, target=task.workflow))
    catcher.data["bpmn_error"] = details
    task._set_state(TaskState.CANCELLED)
    catcher.task_spec._update(catcher)
    run.observer.record("bpmn_error_caught", "engine", task_id=str(task.id), bpmn_id=task.task_spec.bpmn_id,
                        handler=thrown.handler, code=error.code, message=str(error),
                        caught_by=catcher.task_spec.bpmn_id)
