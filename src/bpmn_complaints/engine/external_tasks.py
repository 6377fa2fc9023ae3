"""External tasks (Camunda 7 semantics): a service task bound by topic with no in-process
handler waits, STARTED, for a worker outside this application. Reaching it writes an
``external_tasks`` row in the same transaction; the REST API (``services/external_tasks``)
hands it out under a lock and reports back here: complete, BPMN error, or a failure with
no retries left (an incident)."""

from __future__ import annotations

import uuid
from typing import Any

from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import delete, select

from ..clock import utcnow
from ..extensions import db
from ..models import ExternalTask
from .run import Run

EXTERNAL_DIALECTS = ("camunda", "zeebe")  # bound by topic / job type: an external worker may serve it


def open_external_task(run: Run, task: Task) -> None:
    """Write the row an external worker fetches for service task ``task``."""
    now = utcnow()
    spec = task.task_spec
    db.session.add(ExternalTask(id=str(uuid.uuid4()), instance_id=run.instance.id, task_id=str(task.id),
                                bpmn_id=spec.bpmn_id, topic=spec.operation_name, due_at=now, created_at=now))
    run.observer.record("external_task_created", "engine", task_id=str(task.id), bpmn_id=spec.bpmn_id,
                        topic=spec.operation_name)


def drop_stale_external_tasks(run: Run) -> None:
    """Delete the instance's external tasks whose service task no longer waits (a boundary
    event or a cancellation moved the process on), so no worker fetches them."""
    specs = [run.workflow.spec, *run.workflow.subprocess_specs.values()]
    if not any(getattr(spec, "dialect", None) in EXTERNAL_DIALECTS
               for process in specs for spec in process.task_specs.values()):
        return  # the diagram has no task an external worker could hold: no query per change
    rows = list(db.session.execute(select(ExternalTask.id, ExternalTask.task_id)
                                   .where(ExternalTask.instance_id == run.instance.id)))
    if not rows:
        return
    waiting = {str(t.id) for t in run.workflow.get_tasks(state=TaskState.STARTED)}
    stale = [row.id for row in rows if row.task_id not in waiting]
    if stale:
        db.session.execute(delete(ExternalTask).where(ExternalTask.id.in_(stale)))


def typed_variables(data: dict[str, Any], names: list[str] | None) -> dict[str, dict[str, Any]]:
    """Task data as Camunda's REST API writes variables: ``{name: {"value", "type"}}``."""
    chosen = data if names is None else {name: data[name] for name in names if name in data}
    return {name: {"value": value, "type": _camunda_type(value)} for name, value in chosen.items()}


def _camunda_type(value: Any) -> str:
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer" if -2**31 <= value < 2**31 else "Long"
    if isinstance(value, float):
        return "Double"
    if isinstance(value, str):
        return "String"
    if value is None:
        return "Null"
    return "Json"
