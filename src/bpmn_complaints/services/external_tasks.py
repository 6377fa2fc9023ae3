"""External tasks as Camunda 7's REST API serves them: fetch and lock (with long polling),
complete, failure, BPMN error and extend lock. A worker authenticates with a token of an
``integration`` account and works only on the topics that account is granted.

Locks: a fetched task belongs to its worker until ``lock_expires_at``; after that any
worker may fetch it again (the first worker's report is then refused, since the task's
``worker_id`` changed). Until another worker takes it, the first may still report, as in
Camunda.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any, cast

from flask import current_app
from sqlalchemy import CursorResult, or_, select, update

from ..clock import utcnow
from ..engine import runtime
from ..engine.external_tasks import typed_variables
from ..exceptions import BadRequest, Conflict, Forbidden, NotFound
from ..extensions import db
from ..handlers.spec import HandlerIncident
from ..models import ExternalTask, IntegrationTopic, ProcessInstance, User
from ..policy import ADMIN


def granted_topics(user: User) -> set[str] | None:
    """The topics ``user`` may work on; ``None`` means all (an admin)."""
    if ADMIN in user.roles:
        return None
    return set(db.session.scalars(select(IntegrationTopic.topic).where(IntegrationTopic.user_id == user.id)))


def _check_topics(user: User, topics: list[str]) -> None:
    granted = granted_topics(user)
    refused = sorted(set(topics) - granted) if granted is not None else []
    if refused:
        raise Forbidden(f"this token may not work on the topic(s) {', '.join(refused)}; "
                        f"it may on: {', '.join(sorted(granted or ())) or 'none'}")


def _free(now: Any) -> Any:
    return or_(ExternalTask.lock_expires_at.is_(None), ExternalTask.lock_expires_at < now)


def _lock_some(user: User, worker_id: str, topics: list[dict[str, Any]], max_tasks: int) -> list[dict[str, Any]]:
    """One attempt: lock up to ``max_tasks`` free tasks of ``topics`` and commit."""
    now = utcnow()
    by_name = {t["topic_name"]: t for t in topics}
    query = (select(ExternalTask.id).where(ExternalTask.topic.in_(by_name), ExternalTask.due_at <= now, _free(now))
             .order_by(ExternalTask.created_at, ExternalTask.id).limit(max_tasks))
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    locked = []
    for task_id in list(db.session.scalars(query)):
        row = db.session.get(ExternalTask, task_id)
        assert row is not None
        until = now + timedelta(milliseconds=by_name[row.topic]["lock_duration"])
        # Conditional, so that of two workers racing for one task exactly one wins.
        result = cast(CursorResult[Any], db.session.execute(
            update(ExternalTask).where(ExternalTask.id == task_id, _free(now))
            .values(worker_id=worker_id, lock_expires_at=until).execution_options(synchronize_session=False)))
        if result.rowcount == 1:
            locked.append((row.id, by_name[row.topic]))
    db.session.commit()
    described = [_describe(task_id, topic) for task_id, topic in locked]
    db.session.rollback()  # describing only read
    return [task for task in described if task is not None]


def _describe(task_id: str, topic: dict[str, Any]) -> dict[str, Any] | None:
    row = db.session.get(ExternalTask, task_id)
    assert row is not None
    instance = db.session.get(ProcessInstance, row.instance_id)
    assert instance is not None
    run = runtime.load(instance, row.worker_id or "worker")
    task = next((t for t in run.workflow.get_tasks() if str(t.id) == row.task_id), None)
    if task is None:  # the instance's state moved on without its change reaching here: not handed out
        return None
    try:  # the diagram's input mappings, as Camunda hands them to the worker
        inputs = task.task_spec.evaluate_params(task)
    except Exception:  # noqa: BLE001 - an input that fails to evaluate is left out, the task still handed out
        inputs = {}
    return {
        "id": row.id, "topic_name": row.topic, "worker_id": row.worker_id,
        "lock_expiration_time": row.lock_expires_at, "retries": row.retries,
        "error_message": row.error_message, "process_instance_id": str(row.instance_id),
        "activity_id": row.bpmn_id, "process_definition_key": instance.definition.key,
        "variables": typed_variables({**task.data, **inputs}, topic.get("variables")),
    }


def fetch_and_lock(user: User, worker_id: str, topics: list[dict[str, Any]], max_tasks: int,
                   wait_ms: int | None = None) -> list[dict[str, Any]]:
    """Lock up to ``max_tasks`` tasks of ``topics`` for ``worker_id``. With ``wait_ms``, wait
    that long (at most ``EXTERNAL_TASK_MAX_WAIT_SECONDS``) for a task when none is free now.

    :raises Forbidden: if a topic is not granted to ``user``.
    """
    _check_topics(user, [t["topic_name"] for t in topics])
    limit = float(current_app.config["EXTERNAL_TASK_MAX_WAIT_SECONDS"])
    deadline = time.monotonic() + min((wait_ms or 0) / 1000, limit)
    poll = float(current_app.config["EXTERNAL_TASK_POLL_SECONDS"])
    while True:
        found = _lock_some(user, worker_id, topics, max_tasks)
        if found or time.monotonic() >= deadline:
            return found
        time.sleep(min(poll, max(0.0, deadline - time.monotonic())))


def _locked_row(user: User, task_id: str, worker_id: str, live: bool = False) -> ExternalTask:
    row = db.session.get(ExternalTask, task_id)
    if row is None:
        raise NotFound(f"no external task {task_id} waits")
    _check_topics(user, [row.topic])
    if row.worker_id != worker_id:
        holder = f"locked by the worker {row.worker_id!r}" if row.worker_id else "not locked"
        raise Conflict(f"external task {task_id} cannot be reported by the worker {worker_id!r}: it is {holder}")
    if live and (row.lock_expires_at is None or row.lock_expires_at < utcnow()):
        raise Conflict(f"the lock of external task {task_id} has expired: fetch it again")
    return row


def _instance(row: ExternalTask) -> ProcessInstance:
    instance = db.session.get(ProcessInstance, row.instance_id)
    assert instance is not None  # deleting an instance deletes its external tasks
    return instance


def _values(variables: dict[str, Any] | None) -> dict[str, Any]:
    """Camunda's ``{name: {"value": v, "type": t}}`` as plain task data."""
    out = {}
    for name, variable in (variables or {}).items():
        if not isinstance(variable, dict) or "value" not in variable:
            raise BadRequest(f"the variable {name!r} must be an object with a value, as {{\"value\": ...}}")
        out[name] = variable["value"]
    return out


def complete(user: User, task_id: str, worker_id: str, variables: dict[str, Any] | None) -> None:
    """:raises NotFound, Conflict, Forbidden: see :func:`_locked_row`."""
    row = _locked_row(user, task_id, worker_id)
    instance = _instance(row)
    db.session.delete(row)
    runtime.complete_external(instance, row.task_id, _values(variables), f"integration:{user.name}")


def bpmn_error(user: User, task_id: str, worker_id: str, code: str, message: str,
               variables: dict[str, Any] | None) -> None:
    row = _locked_row(user, task_id, worker_id)
    instance = _instance(row)
    db.session.delete(row)
    runtime.external_bpmn_error(instance, row.task_id, code, message, _values(variables), f"integration:{user.name}")


def failure(user: User, task_id: str, worker_id: str, message: str, details: str | None,
            retries: int, retry_timeout_ms: int) -> None:
    """Record a failed attempt: with ``retries`` left the task is fetchable again after
    ``retry_timeout_ms``; with none it becomes an incident on its task."""
    row = _locked_row(user, task_id, worker_id)
    if retries > 0:
        row.retries, row.error_message, row.error_details = retries, message, details
        row.worker_id = row.lock_expires_at = None
        row.due_at = utcnow() + timedelta(milliseconds=retry_timeout_ms)
        return
    instance = _instance(row)
    db.session.delete(row)
    runtime.fail_service_task(instance, row.task_id, 0, HandlerIncident(message))


def extend_lock(user: User, task_id: str, worker_id: str, new_duration_ms: int) -> None:
    row = _locked_row(user, task_id, worker_id, live=True)
    row.lock_expires_at = utcnow() + timedelta(milliseconds=new_duration_ms)
