"""When an instance's next timer is due, and the one timer job per instance that wakes
the worker for it (timers only fire when the host asks: trap 7)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task
from sqlalchemy import delete, select

from ..clock import utcnow
from ..db.notify import announce
from ..extensions import db
from ..models import Job
from .run import Run


def next_timer(workflow: BpmnWorkflow) -> datetime | None:
    """The earliest moment a waiting timer in ``workflow`` is due, or ``None``."""
    return min((due for _task, due in pending_timers(workflow)), default=None)


def pending_timers(workflow: BpmnWorkflow) -> list[tuple[Task, datetime]]:
    """Each waiting timer of ``workflow`` with its next due moment, soonest first.

    The event manager knows every task that waits for an event, including the events
    after an event-based gateway (which are not in the WAITING state themselves)."""
    found = []
    for task in list(workflow.event_manager.tasks.values()):
        if not _waits_on_timer(getattr(task.task_spec, "event_definition", None)):
            continue
        value = task._get_internal_data("event_value")
        if isinstance(value, dict):
            value = value.get("next") if value.get("cycles") != 0 else None
        if value:
            found.append((task, TimerEventDefinition.get_datetime(value)))
    return sorted(found, key=lambda pair: pair[1])


def _waits_on_timer(definition: Any) -> bool:
    """A timer, or (an event-based gateway's) multiple definition that includes one."""
    if isinstance(definition, TimerEventDefinition):
        return True
    return isinstance(definition, MultipleEventDefinition) and any(
        isinstance(d, TimerEventDefinition) for d in definition.event_definitions)


def schedule_timer(run: Run) -> None:
    """Create, move or delete the instance's timer job to match its next due timer."""
    instance = run.instance
    due = None if (run.workflow.completed or run.ended) else next_timer(run.workflow)
    job = run.timer_job
    # A new instance has no job yet, nor one whose stored state had no waiting timer.
    if job is None and not run.new and run.loaded_timer is not False:
        job = db.session.scalar(select(Job).where(Job.instance_id == instance.id, Job.kind == "timer"))
    if due is None:
        if job is not None:
            db.session.execute(delete(Job).where(Job.id == job.id))
        return
    if job is None or due < job.due_at:
        announce(due)  # a sleeping worker may have planned to wake later than this
    if job is None:
        db.session.add(Job(kind="timer", instance_id=instance.id, due_at=due, created_at=utcnow(), payload={}))
    elif job.due_at != due:
        job.due_at, job.attempts, job.last_error = due, 0, None
