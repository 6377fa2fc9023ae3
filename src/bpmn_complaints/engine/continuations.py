"""Asynchronous continuations: a service task whose handler may do I/O never runs inside
the change that reaches it (a person's submission or completion). The task stops STARTED
and a ``service_task`` job is written in the same transaction; the worker runs the
handler and moves the process on (:func:`.runtime.run_service_task`). Handlers marked
``inline`` at registration (pure and fast) still run at once. A topic (Camunda 7) or job
type (Camunda 8) that no in-process handler serves becomes an external task
(:mod:`.external_tasks`).
"""

from __future__ import annotations

from flask import current_app
from SpiffWorkflow.task import Task

from ..clock import utcnow
from ..db.notify import announce
from ..extensions import db
from ..models import Job
from .external_tasks import EXTERNAL_DIALECTS, open_external_task
from .run import Run

SERVICE_JOB = "service_task"


def defer(run: Run, task: Task) -> bool:
    """Whether service task ``task`` waits instead of running in this change; if it waits,
    its job is written (due now, so the worker takes it at once)."""
    task_id = str(task.id)
    if task_id in run.inline:
        return False
    name = task.task_spec.operation_name
    registry = current_app.extensions["complaints_handlers"]
    if registry.get(name) is None and task.task_spec.dialect in EXTERNAL_DIALECTS:
        open_external_task(run, task)  # a topic no handler here serves: an external worker's
        run.deferred.append(task_id)
        return True
    if registry.get(name) is not None and registry.options(name).inline:
        return False
    now = utcnow()
    db.session.add(Job(kind=SERVICE_JOB, instance_id=run.instance.id, due_at=now, created_at=now,
                       payload={"task_id": task_id, "handler": name, "attempts": run.attempts.get(task_id, 0),
                                # who asked: a person's retry resolves the incident in their name
                                "actor": run.actor}))
    announce(now)
    run.deferred.append(task_id)
    return True
