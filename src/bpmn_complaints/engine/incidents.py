"""When a change fails: schedule a retry of the failed service task, or open (or update)
an incident a person must look at; and resolve incidents once a retry goes through."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from ..clock import utcnow
from ..db.notify import announce
from ..extensions import db
from ..handlers.spec import HandlerIncident, RetryLater
from ..models import Incident, Job, ProcessInstance
from .run import Run, all_workflows
from .service_tasks import HandlerFailed


def failed_tasks(run: Run) -> list[Task]:
    return [t for w in all_workflows(run.workflow) for t in w.get_tasks(state=TaskState.ERROR)]


def open_incidents(instance: ProcessInstance) -> list[Incident]:
    return list(db.session.scalars(
        select(Incident).where(Incident.instance_id == instance.id, Incident.resolved_at.is_(None))))


def record_failure(run: Run, err: Exception) -> None:
    """Schedule a retry when the handler asked for one and attempts remain; otherwise
    open an incident for the failed task (or count another attempt on its open one)."""
    failed = failed_tasks(run)
    task = failed[0] if failed else None
    spec = task.task_spec if task else None
    task_id = str(task.id) if task else None
    bpmn_id = spec.bpmn_id if spec else None
    handler = getattr(spec, "operation_name", None)
    cause = err.__cause__ if isinstance(err, HandlerFailed) and err.__cause__ is not None else err
    message = describe(cause)
    attempts = run.attempts.get(task_id, 0) + 1
    if isinstance(cause, RetryLater) and attempts <= allowed_retries(spec) and task is not None:
        delay = cause.delay or backoff(spec, attempts)
        due = utcnow() + timedelta(seconds=delay)
        db.session.add(Job(kind="retry", instance_id=run.instance.id, due_at=due, created_at=utcnow(),
                           payload={"task_id": task_id, "attempts": attempts}, last_error=message))
        announce(due)
        run.observer.record("retry_scheduled", "engine", task_id=task_id, bpmn_id=bpmn_id, handler=handler,
                            message=message, attempts=attempts, due_at=due.isoformat())
        return
    incident = db.session.scalar(
        select(Incident).where(Incident.instance_id == run.instance.id, Incident.resolved_at.is_(None),
                               Incident.task_id == task_id)
    )
    if incident is None:
        incident = Incident(instance_id=run.instance.id, task_id=task_id, bpmn_id=bpmn_id, handler=handler,
                            message=message, attempts=attempts, created_at=utcnow())
        db.session.add(incident)
    else:
        incident.message, incident.attempts = message, attempts
    db.session.flush()
    run.observer.record("incident", "engine", task_id=task_id, bpmn_id=bpmn_id, handler=handler,
                        message=message, attempts=attempts, incident_id=incident.id)


def resolve(run: Run, incidents: list[Incident], by: str | None = None) -> None:
    """Mark ``incidents`` resolved by ``by`` (default: the run's actor): a retry went through."""
    now = utcnow()
    actor = by or run.actor
    for incident in incidents:
        incident.resolved_at, incident.resolved_by = now, actor
        run.observer.record("incident_resolved", actor, task_id=incident.task_id, bpmn_id=incident.bpmn_id,
                            incident_id=incident.id)


def has_retry_job(instance: ProcessInstance) -> bool:
    return db.session.scalar(
        select(Job.id).where(Job.instance_id == instance.id, Job.kind == "retry").limit(1)) is not None


def describe(err: BaseException) -> str:
    """An error as an incident shows it: our own errors by their message, others with
    their type name in front."""
    text = str(err).strip() or type(err).__name__
    if isinstance(err, (HandlerIncident, RetryLater)) or type(err).__module__.startswith("bpmn_complaints"):
        return text
    return f"{type(err).__name__}: {text}" if not text.startswith(type(err).__name__) else text


def allowed_retries(spec: Any) -> int:
    retries = getattr(spec, "retries", None)
    return int(retries) if retries is not None else int(current_app.config["HANDLER_DEFAULT_RETRIES"])


def backoff(spec: Any, attempts: int) -> float:
    """Seconds before retry ``attempts``: the diagram's fixed delay (Camunda's retry time
    cycle), else ``backoff_base ** attempts`` (default base 2)."""
    delay = getattr(spec, "retry_delay", None)
    if delay is not None:
        return float(delay)
    base = getattr(spec, "retry_backoff_base", None) or 2
    return float(base) ** attempts
