"""The ``service_task`` job: run a deferred service task's handler under its timeout and
move the process on (:func:`bpmn_complaints.engine.runtime.run_service_task`). A handler
that runs past its timeout counts as a :class:`~bpmn_complaints.handlers.RetryLater`: it is
retried with backoff while the diagram allows, then it becomes an incident on its task.
"""

from collections.abc import Callable
from typing import Any

from flask import current_app

from ..db import run_change
from ..engine import runtime
from ..engine.service_tasks import Outcome, invoke
from ..extensions import db
from ..handlers.spec import HandlerContext, HandlerFunc, RetryLater
from ..models import Job, ProcessInstance
from .budget import JobTimeout, time_budget


def timeout_of(handler: str | None) -> float | None:
    """Seconds one call of ``handler`` may take: its registration's, else the default."""
    registry = current_app.extensions["complaints_handlers"]
    declared = registry.options(handler).timeout if handler else None
    return declared if declared is not None else float(current_app.config["HANDLER_TIMEOUT_SECONDS"] or 0) or None


def run_service_job(owner: str, job_id: int, payload: dict[str, Any],
                    failed: Callable[[int, BaseException], None]) -> int:
    """Run the leased job and commit; returns 1 if it ran (or its task no longer waits).

    Three steps, so that a slow handler holds no lock a person's change needs: read the
    task and build the handler's context, and end that transaction; call the handler with
    no transaction open, under its timeout; then, in one change, store the outcome and
    move the process on (:func:`.runtime.run_service_task`). An error outside the handler
    (the engine, the database) goes to ``failed``, the worker's record of a failing job."""
    try:
        prepared = _prepare(owner, job_id, payload)
        outcome = None
        if prepared is not None:
            func, ctx = prepared
            with time_budget(timeout_of(payload.get("handler"))):
                outcome = invoke(func, ctx)
            # What the handler wrote through ctx.services stays if it succeeded (a lost race
            # below re-runs only the last step) and is undone if it failed.
            if outcome.error is None:
                db.session.commit()
            else:
                db.session.rollback()
        return run_change(_run, owner, job_id, outcome)
    except JobTimeout as err:
        db.session.rollback()
        run_change(_timed_out, owner, job_id, RetryLater(f"handler {payload.get('handler')!r}: {err}"))
        return 0
    except Exception as err:
        db.session.rollback()
        run_change(failed, job_id, err)
        return 0


def _prepare(owner: str, job_id: int, payload: dict[str, Any]) -> tuple[HandlerFunc, HandlerContext] | None:
    _job, instance, _ = _take(owner, job_id)
    prepared = (runtime.prepare_service_task(instance, payload["task_id"], int(payload.get("attempts", 0)))
                if instance is not None else None)
    db.session.rollback()  # it only read: end the transaction before the handler runs
    return prepared


def _take(owner: str, job_id: int) -> tuple[Job | None, ProcessInstance | None, dict[str, Any]]:
    job = db.session.get(Job, job_id)
    if job is None or job.lock_owner != owner:
        return None, None, {}  # done, or taken over by another worker after our lock expired
    instance = db.session.get(ProcessInstance, job.instance_id) if job.instance_id else None
    live = instance if instance is not None and instance.status != "completed" else None
    return job, live, dict(job.payload or {})


def _run(owner: str, job_id: int, outcome: Outcome | None) -> int:
    job, instance, payload = _take(owner, job_id)
    if instance is not None:
        runtime.run_service_task(instance, payload["task_id"], int(payload.get("attempts", 0)),
                                 payload.get("actor"), outcome)
    if job is not None:
        db.session.delete(job)
    return 1


def _timed_out(owner: str, job_id: int, err: RetryLater) -> None:
    job, instance, payload = _take(owner, job_id)
    if instance is not None:
        runtime.fail_service_task(instance, payload["task_id"], int(payload.get("attempts", 0)), err)
    if job is not None:
        db.session.delete(job)
