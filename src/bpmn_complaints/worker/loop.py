"""The worker: takes due jobs (timers, scheduled retries) under a lock and runs them, then
delivers the due outbox emails (see :mod:`bpmn_complaints.mail.delivery`).

A job is locked by one worker until ``lock_expires_at``; a worker that dies leaves its
lock to expire and another worker takes the job over. On PostgreSQL the batch is taken
with ``FOR UPDATE SKIP LOCKED`` so workers never wait on each other.

Between batches a worker sleeps until the next job is due (or a lock it waits on
expires), and :mod:`.wakeup` cuts that sleep short for work announced sooner.
"""

import os
import signal
import socket
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, or_, select, update

from .. import audit
from ..clock import utcnow
from ..db import run_change
from ..engine import runtime
from ..extensions import db
from ..mail import delivery
from ..models import Complaint, Incident, Job, ProcessInstance
from .wakeup import Alarm

MIN_SLEEP = 0.01  # seconds; keeps a worker from spinning on a job another one is claiming


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

    def release(self, ids: list[int]) -> None:
        """Unlock jobs this worker claimed but will not run, so others need not wait for
        the locks to expire."""
        db.session.execute(update(Job).where(Job.id.in_(ids), Job.lock_owner == self.owner)
                           .values(lock_owner=None, lock_expires_at=None))
        db.session.commit()

    def run_once(self) -> int:
        """Run every job that is due now, then deliver the due emails; returns how many jobs
        ran (the emails sent are in :attr:`delivered`)."""
        done = 0
        while not self.stopping:
            ids = self.claim_batch()
            if not ids:
                break
            for position, job_id in enumerate(ids):
                if self.stopping:
                    self.release(ids[position:])
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

    def next_due(self) -> datetime | None:
        """When this worker may next find work: the earliest due job or email that no live
        lock holds, or the moment the earliest live lock expires (its holder may have died)."""
        now = utcnow()
        free = db.session.scalar(
            select(Job.due_at).where(or_(Job.lock_expires_at.is_(None), Job.lock_expires_at < now))
            .order_by(Job.due_at).limit(1))
        held = db.session.scalar(select(func.min(Job.lock_expires_at)).where(Job.lock_expires_at >= now))
        mail = delivery.next_attempt_at()
        db.session.commit()
        return min((d for d in (free, held, mail) if d is not None), default=None)

    def run_forever(self, echo=print) -> None:
        """Run until SIGTERM/SIGINT, finishing the job in hand; between batches sleep until
        the next job is due, a writer announces an earlier one, or a signal arrives."""

        def stop(_signum, _frame):
            self.stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        alarm = Alarm()
        echo(f"worker {self.owner} started")
        try:
            while not self.stopping:
                alarm.listen()
                done = self.run_once()
                if done or self.delivered:
                    echo(f"{done} job(s) run, {self.delivered} email(s) sent")
                ceiling = utcnow() + timedelta(seconds=alarm.ceiling)
                wake_at = min(self.next_due() or ceiling, ceiling)
                alarm.sleep(max(MIN_SLEEP, (wake_at - utcnow()).total_seconds()), wake_at)
        finally:
            alarm.close()
        echo(f"worker {self.owner} stopped")
