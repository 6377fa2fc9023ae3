"""The writer's side of waking workers: announce work that falls due sooner than sleeping
workers may have planned (PostgreSQL ``NOTIFY``; :mod:`bpmn_complaints.worker.wakeup`
listens).

Each NOTIFY costs a lock that serializes commits, so a writer sends one only when no
sleeping worker will look for work by the time the new work is due anyway: workers
record their next wake in ``worker_heartbeats`` before they sleep."""

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, or_, select

from ..clock import utcnow
from ..extensions import db
from ..models import WorkerHeartbeat

CHANNEL = "bpmn_complaints_jobs"
# A worker due to wake sooner than this may be looking already, and miss work written in a
# transaction still open: it is not counted on.
WAKE_GUARD = timedelta(seconds=1)


def announce(due_at: datetime) -> None:
    """Tell sleeping workers that work is due at ``due_at``.

    On PostgreSQL this is a ``NOTIFY`` in the current transaction: it reaches the workers
    when (and only if) the transaction commits. It is left out when a live worker sleeps
    until no later than ``due_at`` (and not within :data:`WAKE_GUARD` of now): that worker
    will find the work when it wakes. On SQLite it does nothing (workers poll).
    """
    if db.engine.dialect.name != "postgresql":
        return
    # One statement: the earliest planned wake of a live worker that can be counted on,
    # and the NOTIFY only if there is none or it comes after ``due_at``.
    now = utcnow()
    live = now - timedelta(seconds=float(current_app.config["WORKER_STALE_SECONDS"]))
    planned = (select(func.min(WorkerHeartbeat.next_wake_at).label("wake"))
               .where(WorkerHeartbeat.seen_at >= live, WorkerHeartbeat.next_wake_at >= now + WAKE_GUARD)
               .subquery())
    db.session.execute(select(func.pg_notify(CHANNEL, due_at.isoformat())).select_from(planned)
                       .where(or_(planned.c.wake.is_(None), planned.c.wake > due_at)))
