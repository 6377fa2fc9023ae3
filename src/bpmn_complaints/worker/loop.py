"""The worker: takes due jobs (timers, scheduled retries) under a lease and runs them,
then delivers the due outbox emails (see :mod:`bpmn_complaints.mail.delivery`).

A row is leased by one worker until ``lock_expires_at`` (:mod:`.leases`); a worker that
dies leaves its leases to expire and another worker takes the rows over.

Between batches a worker sleeps until the next job is due (or a lease it waits on
expires), and :mod:`.wakeup` cuts that sleep short for work announced sooner.
"""

import os
import signal
import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from types import FrameType

from ..clock import utcnow
from ..extensions import db
from ..mail import delivery
from ..services import digest, handler_processes
from . import leases
from .jobs import run_job
from .wakeup import Alarm

MIN_SLEEP = 0.01  # seconds; keeps a worker from spinning on a job another one is claiming


class Worker:
    """One worker: :meth:`run_once` runs what is due now, :meth:`run_forever` is the
    ``bpmn-complaints worker`` process."""

    def __init__(self, owner: str | None = None, batch: int = 50) -> None:
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}"
        self.batch = batch
        self.stopping = False
        self.delivered = 0  # emails the last run_once handed to the SMTP server

    def run_once(self) -> int:
        """Run every job that is due now, then deliver the due emails; returns how many jobs
        ran (the emails sent are in :attr:`delivered`)."""
        done = self._drain(leases.JOBS, run_job, give_back=True)
        self.delivered = self._drain(leases.EMAILS, delivery.deliver, give_back=False)
        return done

    def _drain(self, queue: leases.Queue, run: Callable[[str, int], int], give_back: bool) -> int:
        """Lease due rows of ``queue`` batch by batch and ``run`` each, until none is due or
        the worker is stopping; returns the sum of what ``run`` returned. With
        ``give_back``, a stop releases the leased rows not yet started."""
        done = 0
        while not self.stopping:
            ids = leases.claim(queue, self.owner, self.batch)
            if not ids:
                break
            for position, row_id in enumerate(ids):
                if self.stopping:
                    if give_back:
                        leases.release(queue, self.owner, ids[position:])
                    break
                done += run(self.owner, row_id)
        return done

    def next_due(self) -> datetime | None:
        """When this worker may next find work: the earliest due job or email that no live
        lock holds, or the moment the earliest live job lock expires (its holder may have died)."""
        free = leases.next_free_due(leases.JOBS)
        held = leases.earliest_live_lock(leases.JOBS)
        mail = leases.next_free_due(leases.EMAILS)
        db.session.commit()
        return min((d for d in (free, held, mail) if d is not None), default=None)

    def run_forever(self, echo: Callable[[str], object] = print) -> None:
        """Run until SIGTERM/SIGINT, finishing the job in hand; between batches sleep until
        the next job is due, a writer announces an earlier one, or a signal arrives."""

        def stop(_signum: int, _frame: FrameType | None) -> None:
            self.stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        alarm = Alarm()
        digest.ensure_scheduled()
        db.session.commit()
        handler_processes.heartbeat("worker", force=True)
        echo(f"worker {self.owner} started")
        try:
            while not self.stopping:
                handler_processes.heartbeat("worker")
                alarm.listen()
                done = self.run_once()
                if done or self.delivered:
                    echo(f"{done} job(s) run, {self.delivered} email(s) sent")
                ceiling = utcnow() + timedelta(seconds=alarm.ceiling)
                wake_at = min(self.next_due() or ceiling, ceiling)
                alarm.sleep(max(MIN_SLEEP, (wake_at - utcnow()).total_seconds()), wake_at)
        finally:
            alarm.close()
            handler_processes.gone("worker")
        echo(f"worker {self.owner} stopped")
