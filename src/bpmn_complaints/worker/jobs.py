"""Running one leased job: fire an instance's due timers or retry a handler, in the
transaction that deletes the job; a job that keeps failing becomes an incident."""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .. import metrics
from ..clock import utcnow
from ..db import run_change, trail
from ..engine import runtime
from ..engine.continuations import SERVICE_JOB
from ..engine.incidents import incident_flag
from ..extensions import db
from ..logs import redact
from ..models import Complaint, Incident, Job, ProcessInstance
from ..services import checkpoints, digest, heatmap, task_counts
from . import leases
from .budget import JobTimeout, time_budget
from .service_jobs import run_service_job

# Jobs of no instance that recur: what runs one, and when the next is due after a failure.
RECURRING: dict[str, tuple[Callable[[], Any], Callable[[datetime], datetime]]] = {
    digest.KIND: (digest.run, digest.next_run), checkpoints.KIND: (checkpoints.run, checkpoints.next_run),
    heatmap.KIND: (heatmap.run_job, heatmap.next_run), task_counts.KIND: (task_counts.run_job, task_counts.next_run)}
log = logging.getLogger(__name__)


def run_next(owner: str, expired_first: bool = False) -> int | None:
    """Take the next due job and run it, in one transaction (:func:`.leases.take_job`);
    returns 1 if it ran (or its instance had nothing left to do), 0 if it failed, ``None``
    when no job is due.

    A failure is recorded on the job, which is tried again with backoff; after
    ``JOB_MAX_ATTEMPTS`` failures the instance gets an incident and the job is dropped.
    A job that runs longer than ``JOB_TIME_BUDGET_SECONDS`` is stopped and becomes an
    incident at once. A deferred service task's job is leased and committed first, then
    run with its handler's own timeout (:mod:`.service_jobs`).
    """
    taken: list[int] = []
    try:
        with time_budget(current_app.config["JOB_TIME_BUDGET_SECONDS"]):
            result = run_change(_take_and_run, owner, expired_first, taken)
    except JobTimeout as err:  # it would hang again: an incident at once
        db.session.rollback()
        run_change(_failed, taken[-1], err, True)
        return 0
    except Exception as err:  # recorded on the job; a job that keeps failing becomes an incident
        db.session.rollback()
        if not taken:
            raise
        run_change(_failed, taken[-1], err)
        return 0
    if isinstance(result, tuple):  # a service-task job, leased: its handler runs outside a transaction
        job_id, payload = result
        return run_service_job(owner, job_id, payload, _failed)
    return result


def _take_and_run(owner: str, expired_first: bool, taken: list[int]) -> int | tuple[int, dict[str, Any]] | None:
    again = taken[-1] if taken else None  # run again after a lost race: the same job, on the fresh state
    job = leases.take_job(expired_first, again)
    if job is None:
        return None if again is None else 0
    if again is None:
        taken.append(job.id)
    if job.kind == SERVICE_JOB:
        leases.lease_job(job, owner)
        return job.id, dict(job.payload or {})
    metrics.JOBS.labels(job.kind, "started").inc()
    metrics.JOB_LATENESS.labels(job.kind).observe(max(0.0, (utcnow() - job.due_at).total_seconds()))
    instance = db.session.execute(select(ProcessInstance).where(ProcessInstance.id == job.instance_id).options(
        joinedload(ProcessInstance.complaint), incident_flag())).scalar_one_or_none() if job.instance_id else None
    kind, payload = job.kind, dict(job.payload or {})
    if kind == "timer" and instance is not None and instance.status != "completed":
        runtime.fire_timers(instance, job)  # moves the job to the next timer, or deletes it
        return 1
    db.session.delete(job)
    db.session.flush()
    if kind in RECURRING:
        RECURRING[kind][0]()
        return 1
    if instance is None or instance.status == "completed":
        return 1
    if kind == "retry":
        runtime.retry(instance, "worker", {payload["task_id"]: payload["attempts"]})
    return 1


def _failed(job_id: int, err: BaseException, final: bool = False) -> None:
    job = db.session.get(Job, job_id)
    if job is None:
        return
    job.attempts += 1
    job.last_error = f"{type(err).__name__}: {err}"
    job.lock_owner = job.lock_expires_at = None
    retry = not final and job.attempts < current_app.config["JOB_MAX_ATTEMPTS"]
    _log_failure(job, retry)
    if retry:
        job.due_at = utcnow() + timedelta(seconds=2 ** job.attempts)
        return
    if job.instance_id is None:  # a recurring job: give up on this run, keep the next
        db.session.delete(job)
        next_run = RECURRING[job.kind][1] if job.kind in RECURRING else digest.next_run
        db.session.add(Job(kind=job.kind, instance_id=None, due_at=next_run(utcnow()), created_at=utcnow(),
                           payload={}))
        return
    instance = db.session.get(ProcessInstance, job.instance_id)
    assert instance is not None  # deleting an instance deletes its jobs (ON DELETE CASCADE)
    db.session.add(Incident(instance_id=job.instance_id, handler=None, bpmn_id=None,
                            message=f"{job.kind} job failed {job.attempts} times: {job.last_error}",
                            attempts=job.attempts, created_at=utcnow()))
    instance.status = "error"
    complaint = db.session.get(Complaint, instance.complaint_id) if instance.complaint_id else None
    trail.record("incident", "worker", complaint, job=job.kind, message=job.last_error, attempts=job.attempts)
    db.session.delete(job)


def _log_failure(job: Job, retry: bool) -> None:
    """Log a failed job with its complaint's reference (never its error's personal data)."""
    instance = db.session.get(ProcessInstance, job.instance_id) if job.instance_id else None
    complaint = db.session.get(Complaint, instance.complaint_id) if instance and instance.complaint_id else None
    reference = complaint.reference if complaint is not None else None
    outcome = "retry" if retry else "incident"
    metrics.JOBS.labels(job.kind, outcome).inc()
    log.log(logging.WARNING if retry else logging.ERROR, "%s job %d of %s failed (attempt %d), %s: %s", job.kind,
            job.id, reference, job.attempts, "will retry" if retry else "now an incident", redact(job.last_error),
            extra={"event": f"job_{outcome}", "complaint": reference, "job_id": job.id, "kind": job.kind,
                   "attempts": job.attempts, "error": redact(job.last_error)})
