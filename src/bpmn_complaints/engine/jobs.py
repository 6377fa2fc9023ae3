"""The worker: takes due jobs (timers, scheduled retries) under a lock and runs them, then
delivers the due outbox emails (see :mod:`bpmn_complaints.mail.delivery`).

A job is locked by one worker until ``lock_expires_at``; a worker that dies leaves its
lock to expire and another worker takes the job over. On PostgreSQL the batch is taken
with ``FOR UPDATE SKIP LOCKED`` so workers never wait on each other.
"""

import os
import signal
import socket
import time
from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, select, update

from .. import audit
from ..clock import utcnow
from ..extensions import db
from ..mail import delivery
from ..models import Complaint, Incident, Job, ProcessInstance
from ..services.transaction import run_change
from . import runtime


class Worker:
    def __init__(self, owner: str | None = None, batch: int = 50):
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}"
        self.batch = batch
        self.stopping = False
        self.delivered = 0  # emails the last run_once handed to the SMTP server

    def claim_batch(self) -> list[int]:
        """Lock up to ``batch`` due jobs for this worker; returns their ids."""
        now = utcnow()
        query = (select(Job.id)
                 .where(Job.due_at <= now, or_(Job.lock_expires_at.is_(None), Job.lock_expires_at < now))
                 .order_by(Job.due_at, Job.id).limit(self.batch))
        if db.engine.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        ids = list(db.session.scalars(query))
        if ids:
            lock_until = now + timedelta(seconds=current_app.config["JOB_LOCK_SECONDS"])
            db.session.execute(update(Job).where(Job.id.in_(ids))
                               .values(lock_owner=self.owner, lock_expires_at=lock_until))
        db.session.commit()
        return ids

    def run_once(self) -> int:
        """Run every job that is due now, then deliver the due emails; returns how many jobs
        ran (the emails sent are in :attr:`delivered`)."""
        done = 0
        while not self.stopping:
            ids = self.claim_batch()
            if not ids:
                break
            for job_id in ids:
                if self.stopping:
                    break
                done += self.run_job(job_id)
        self.delivered = delivery.deliver_due(self.owner, self.batch, lambda: self.stopping)
        return done

    def run_job(self, job_id: int) -> int:
        try:
            return run_change(self._run, job_id)
        except Exception as err:  # recorded on the job; a job that keeps failing becomes an incident
            db.session.rollback()
            run_change(self._failed, job_id, err)
            return 0

    def _run(self, job_id: int) -> int:
        job = db.session.get(Job, job_id)
        if job is None or job.lock_owner != self.owner:
            return 0  # done or taken over by another worker after our lock expired
        instance = db.session.get(ProcessInstance, job.instance_id) if job.instance_id else None
        kind, payload = job.kind, dict(job.payload or {})
        db.session.delete(job)
        db.session.flush()
        if instance is None or instance.status == "completed":
            return 1
        if kind == "timer":
            runtime.fire_timers(instance)
        elif kind == "retry":
            runtime.retry(instance, "worker", {payload["task_id"]: payload["attempts"]})
        return 1

    def _failed(self, job_id: int, err: Exception) -> None:
        job = db.session.get(Job, job_id)
        if job is None:
            return
        job.attempts += 1
        job.last_error = f"{type(err).__name__}: {err}"
        job.lock_owner = job.lock_expires_at = None
        if job.attempts < current_app.config["JOB_MAX_ATTEMPTS"]:
            job.due_at = utcnow() + timedelta(seconds=2 ** job.attempts)
            return
        instance = db.session.get(ProcessInstance, job.instance_id)
        db.session.add(Incident(instance_id=job.instance_id, handler=None, bpmn_id=None,
                                message=f"{job.kind} job failed {job.attempts} times: {job.last_error}",
                                attempts=job.attempts, created_at=utcnow()))
        instance.status = "error"
        complaint = db.session.get(Complaint, instance.complaint_id) if instance.complaint_id else None
        audit.record("incident", "worker", complaint, job=job.kind, message=job.last_error, attempts=job.attempts)
        db.session.delete(job)

    def next_due_in(self, ceiling: float = 5.0) -> float:
        due = db.session.scalar(select(Job.due_at).order_by(Job.due_at).limit(1))
        mail_due = delivery.next_attempt_at()
        db.session.commit()
        due = min((d for d in (due, mail_due) if d is not None), default=None)
        if due is None:
            return ceiling
        return max(0.05, min(ceiling, (due - utcnow()).total_seconds()))

    def run_forever(self, echo=print) -> None:
        """Run until SIGTERM/SIGINT, finishing the job in hand; sleep until the next due job
        (at most a few seconds, so jobs other processes add are seen soon)."""

        def stop(_signum, _frame):
            self.stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        echo(f"worker {self.owner} started")
        while not self.stopping:
            done = self.run_once()
            if done or self.delivered:
                echo(f"{done} job(s) run, {self.delivered} email(s) sent")
            time.sleep(self.next_due_in())
        echo(f"worker {self.owner} stopped")
