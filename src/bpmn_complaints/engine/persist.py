"""Write what a change did: the serialized state, the instance status, the human-task
projection and the timer job, all in the current transaction, then tell the observer how
the instance settled."""

from __future__ import annotations

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from ..clock import utcnow
from ..extensions import db
from . import serializer
from .external_tasks import drop_stale_external_tasks
from .incidents import has_retry_job
from .observer import Settled
from .projection import sync_projection
from .run import Run, all_workflows, properties
from .timers import schedule_timer


def persist(run: Run) -> None:
    """Write what the change did. Nothing here flushes on its way (no autoflush): the rows
    it adds and changes, and the trail events the change recorded, reach the database in
    one flush at the end, one statement per table (the instance: one ``UPDATE ... WHERE
    version=?``)."""
    instance, workflow = run.instance, run.workflow
    now = utcnow()
    with db.session.no_autoflush:
        ready_human = sync_projection(run)
        ended = bool(workflow.completed or run.ended)
        if run.failure is not None and not has_retry_job(instance):
            instance.status = "error"
        elif ended:
            instance.status = "completed"
            instance.completed_at = now
        else:
            instance.status = "running" if ready_human else "waiting"
        data = workflow.last_task.data if workflow.last_task else {}
        run.observer.settled(Settled(data=data, ended=ended,
                                     active_property=lambda name: newest_active_property(workflow, name)))
        schedule_timer(run)
        drop_stale_external_tasks(run)
        instance.state = serializer.dumps(workflow)
        instance.serializer_version = serializer.VERSION
        instance.updated_at = now
    if run.new and instance in db.session.new:
        # Its row first, with the state it reached: the rows that refer to it follow.
        db.session.flush([instance])
    db.session.flush()


def newest_active_property(workflow: BpmnWorkflow, name: str) -> str | None:
    """The extension property ``name`` of the newest active element that has it. An
    event-based gateway waits on behalf of the events after it, so theirs count too."""
    best, best_time = None, -1.0
    for wf in all_workflows(workflow):
        for task in wf.get_tasks(state=TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR):
            value = properties(task.task_spec).get(name)
            if not value and task.has_state(TaskState.WAITING):
                value = next((v for v in (properties(c.task_spec).get(name) for c in task.children) if v), None)
            if value and task.last_state_change >= best_time:
                best, best_time = value, task.last_state_change
    return best
