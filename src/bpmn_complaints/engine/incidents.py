"""When a change fails: schedule a retry of the failed service task, or open (or update)
an incident a person must look at; and resolve incidents once a retry goes through.

A person's change (completing a task, delivering a message) that fails is rolled back
instead: :func:`person_change_failed` names the element and the reason, and opens its
incident after the rollback."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import exists, select
from sqlalchemy.orm import with_expression
from sqlalchemy.sql.base import ExecutableOption

from ..clock import utcnow
from ..db.notify import announce
from ..exceptions import ProcessFailed
from ..extensions import db
from ..handlers.spec import HandlerIncident, RetryLater
from ..models import Incident, Job, ProcessInstance
from .observer import observer_for
from .run import Run, all_workflows
from .service_tasks import HandlerFailed


def failed_tasks(run: Run) -> list[Task]:
    return [t for w in all_workflows(run.workflow) for t in w.get_tasks(state=TaskState.ERROR)]


_flag: list[ExecutableOption] = []


def incident_flag() -> ExecutableOption:
    """A loader option for a query of instances: each one knows whether it has an open
    incident (``has_open_incidents``), so a change without any looks none up. Built once:
    building the expression costs more than the query's compiled-cache lookup."""
    if not _flag:
        _flag.append(with_expression(ProcessInstance.has_open_incidents, exists().where(
            Incident.instance_id == ProcessInstance.id, Incident.resolved_at.is_(None))))
    return _flag[0]


def open_incidents(instance: ProcessInstance) -> list[Incident]:
    """The instance's open incidents of steps the engine ran (what a retry runs again)."""
    if instance.has_open_incidents is False:
        return []
    return list(db.session.scalars(
        select(Incident).where(Incident.instance_id == instance.id, Incident.resolved_at.is_(None),
                               Incident.kind == "engine")))


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
                               Incident.kind == "engine", Incident.task_id == task_id)
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


def element_of(run: Run, err: BaseException) -> str | None:
    """The element a failed step belongs to: the task in error, else the one the error
    names (SpiffWorkflow's ``task_spec``, our ``RunawayProcess``'s ``bpmn_id``)."""
    failed = failed_tasks(run)
    if failed:
        return str(failed[0].task_spec.bpmn_id or failed[0].task_spec.name)
    named = getattr(err, "bpmn_id", None)
    if named:
        return str(named)
    spec = getattr(err, "task_spec", None) or getattr(getattr(err, "task", None), "task_spec", None)
    return str(spec.bpmn_id) if spec is not None and spec.bpmn_id else None


def person_change_failed(run: Run, err: Exception, kind: str, task_id: str | None, **payload: Any) -> ProcessFailed:
    """What to raise when a person's change (``kind``: ``completion`` of task ``task_id``,
    or ``message``) failed on a step: the answer names the element and the reason, and
    after the rollback the incident is opened (or its attempts counted) for supervisors."""
    bpmn_id = element_of(run, err)
    reason = describe(err).rstrip(".")
    instance_id, actor = run.instance.id, run.actor

    def keep() -> None:
        open_person_incident(instance_id, kind, task_id, bpmn_id, reason, actor, payload)

    where = f"the step {bpmn_id!r}" if bpmn_id else "a step of the process"
    return ProcessFailed(f"{where} failed, so nothing was changed: {reason}. A supervisor has been shown "
                         "the incident", {"element": bpmn_id, "reason": reason}, after_rollback=keep)


def open_person_incident(instance_id: int, kind: str, task_id: str | None, bpmn_id: str | None, message: str,
                         actor: str, payload: dict[str, Any]) -> Incident:
    """Open the incident of a person's change that was rolled back, or count one more
    attempt on the open one for the same change."""
    instance = db.session.get_one(ProcessInstance, instance_id)
    query = select(Incident).where(Incident.instance_id == instance_id, Incident.resolved_at.is_(None),
                                   Incident.kind == kind)
    query = query.where(Incident.task_id == task_id) if task_id else query
    incident = next((i for i in db.session.scalars(query) if (i.payload or {}) == payload), None)
    if incident is None:
        incident = Incident(instance_id=instance_id, kind=kind, task_id=task_id, bpmn_id=bpmn_id, message=message,
                            actor=actor, payload=payload, attempts=1, created_at=utcnow())
        db.session.add(incident)
    else:
        incident.bpmn_id, incident.message, incident.actor = bpmn_id, message, actor
        incident.attempts += 1
    db.session.flush()
    observer_for(instance).record("incident", "engine", task_id=task_id, bpmn_id=bpmn_id, kind=kind,
                                  message=message, attempts=incident.attempts, incident_id=incident.id, by=actor)
    return incident


def resolve_person_incidents(run: Run, kind: str, task_id: str | None, **payload: Any) -> None:
    """The same change went through this time: its open incidents are resolved."""
    if run.instance.has_open_incidents is False:
        return
    query = select(Incident).where(Incident.instance_id == run.instance.id, Incident.resolved_at.is_(None),
                                   Incident.kind == kind)
    query = query.where(Incident.task_id == task_id) if task_id else query
    resolve(run, [i for i in db.session.scalars(query) if (i.payload or {}) == payload])


def resolve(run: Run, incidents: list[Incident], by: str | None = None) -> None:
    """Mark ``incidents`` resolved by ``by`` (default: the run's actor): a retry went through."""
    now = utcnow()
    actor = by or run.actor
    for incident in incidents:
        incident.resolved_at, incident.resolved_by = now, actor
        run.observer.record("incident_resolved", actor, task_id=incident.task_id, bpmn_id=incident.bpmn_id,
                            incident_id=incident.id)


def has_retry_job(instance: ProcessInstance) -> bool:
    """Whether the instance has a retry job, one this change scheduled (not flushed yet:
    persist does not autoflush) or an older one."""
    if any(isinstance(row, Job) and row.kind == "retry" and row.instance_id == instance.id
           for row in db.session.new):
        return True
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
