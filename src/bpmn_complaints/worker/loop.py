"""The worker: runs due jobs (timers, scheduled retries, service tasks) and sends due
outbox emails (see :mod:`bpmn_complaints.mail.delivery`), in rounds of one batch of
each, so an email never waits behind a burst of timers.

A timer or retry job is taken in the transaction that runs it (:func:`.leases.take_job`):
one commit per job, and a worker that dies mid-job leaves nothing behind. Emails and
service-task jobs call outside systems with no transaction open, so they are leased until
``lock_expires_at`` (:mod:`.leases`); a worker that dies leaves its leases to expire and
another worker takes the rows over. A batch of emails that runs long renews its leases
while it goes, so no row is started on a lease about to run out (and taken over, and run
twice).

Between batches a worker sleeps until the next job is due (or a lease it waits on
expires), and :mod:`.wakeup` cuts that sleep short for work announced sooner.
"""

import logging
import os
import signal
import socket
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from types import FrameType

from flask import current_app

from .. import metrics
from ..clock import utcnow
from ..extensions import db
from ..mail import delivery
from ..services import checkpoints, digest, handler_processes, heatmap, task_counts
from . import heartbeat, leases
from .jobs import run_next
from .wakeup import Alarm

log = logging.getLogger(__name__)

MIN_SLEEP = 0.01  # seconds; keeps a worker from spinning on a job another one is claiming


class Worker:
    """One worker: :meth:`run_once` runs what is due now, :meth:`run_forever` is the
    ``bpmn-complaints worker`` process."""

    def __init__(self, owner: str | None = None, batch: int = 50) -> None:
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}"
        self.batch = batch
        self.stopping = False
        self.delivered = 0  # emails the last run_once handed to the SMTP server

    def schedule(self) -> None:
        """Make sure the worker's own recurring jobs (the digest, the trail's checkpoints,
        the heatmap's rollup, the folding of the inbox's counts) are waiting, if they are configured."""
        digest.ensure_scheduled()
        checkpoints.ensure_scheduled()
        heatmap.ensure_scheduled()
        task_counts.ensure_scheduled()
        db.session.commit()

    def run_once(self) -> int:
        """Run everything that is due now, in rounds of one batch of emails and one batch
        of jobs, until nothing is due; returns how many jobs ran (the emails sent are in
        :attr:`delivered`)."""
        done = self.delivered = 0
        while not self.stopping:
            emails = self._run_batch(leases.EMAILS, delivery.deliver, give_back=False)
            jobs = self._run_jobs()
            if emails is None and jobs is None:
                break
            done, self.delivered = done + (jobs or 0), self.delivered + (emails or 0)
            log.info("worker round: jobs=%d emails=%d", jobs or 0, emails or 0,
                     extra={"event": "worker_round", "jobs": jobs or 0, "emails": emails or 0})
        return done

    def _run_jobs(self) -> int | None:
        """Run up to a batch of due jobs, each taken in the transaction that runs it
        (:func:`.jobs.run_next`); returns how many ran, or ``None`` when none was due. The
        first take looks for a job whose lease ran out (a dead worker's) before the others."""
        ran: int | None = None
        for taken in range(self.batch):
            if self.stopping:
                break
            result = run_next(self.owner, expired_first=taken == 0)
            if result is None:
                break
            ran = (ran or 0) + result
        return ran

    def _run_batch(self, queue: leases.Queue, run: Callable[[str, int], int], give_back: bool) -> int | None:
        """Lease one batch of due rows of ``queue`` and ``run`` each; returns the sum of
        what ``run`` returned, or ``None`` when nothing was due. Once half the lease has
        passed, the rows not yet started are renewed (and those lost are dropped). With
        ``give_back``, a stop releases the leased rows not yet started."""
        ids = leases.claim(queue, self.owner, self.batch)
        if not ids:
            return None
        half_lease = float(current_app.config["JOB_LOCK_SECONDS"]) / 2
        renew_at, done = time.monotonic() + half_lease, 0
        while ids and not self.stopping:
            if time.monotonic() >= renew_at:
                ids = leases.renew(queue, self.owner, ids)
                heartbeat.beat(self.owner)
                renew_at = time.monotonic() + half_lease
                continue
            done += run(self.owner, ids.pop(0))
        if ids and give_back:
            leases.release(queue, self.owner, ids)
        return done

    def next_due(self) -> datetime | None:
        """When this worker may next find work: the earliest due job or email that no live
        lease holds, or the moment the earliest lease on a job or an email expires (its
        holder may have died)."""
        dues = [leases.next_available(queue) for queue in (leases.JOBS, leases.EMAILS)]
        db.session.commit()
        return min((d for d in dues if d is not None), default=None)

    def run_forever(self, echo: Callable[[str], object] = print) -> None:
        """Run until SIGTERM/SIGINT, finishing the job in hand; between batches sleep until
        the next job is due, a writer announces an earlier one, or a signal arrives."""

        def stop(_signum: int, _frame: FrameType | None) -> None:
            self.stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        alarm = Alarm()
        self.schedule()
        handler_processes.heartbeat("worker", force=True)
        if port := current_app.config.get("WORKER_METRICS_PORT"):
            metrics.serve(int(port), current_app.config["WORKER_METRICS_HOST"])
        echo(f"worker {self.owner} started")
        log.info("worker %s started", self.owner, extra={"event": "worker_started", "owner": self.owner})
        try:
            while not self.stopping:
                handler_processes.heartbeat("worker")
                alarm.listen()
                heartbeat.beat(self.owner)
                done = self.run_once()
                if done or self.delivered:
                    echo(f"{done} job(s) run, {self.delivered} email(s) sent")
                ceiling = utcnow() + timedelta(seconds=alarm.ceiling)
                wake_at = min(self.next_due() or ceiling, ceiling)
                heartbeat.beat(self.owner, wake_at)
                alarm.sleep(max(MIN_SLEEP, (wake_at - utcnow()).total_seconds()), wake_at)
        finally:
            alarm.close()
            handler_processes.gone("worker")
            heartbeat.stopped(self.owner)
        echo(f"worker {self.owner} stopped")
        log.info("worker %s stopped", self.owner, extra={"event": "worker_stopped", "owner": self.owner})
