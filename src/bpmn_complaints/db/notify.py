"""The writer's side of waking workers: announce work that falls due sooner than sleeping
workers may have planned (PostgreSQL ``NOTIFY``; :mod:`bpmn_complaints.worker.wakeup`
listens).

Each NOTIFY costs a lock that serializes commits, so a writer sends one only when no
sleeping worker will look for work by the time the new work is due anyway: workers
record their next wake in ``worker_heartbeats`` before they sleep."""

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

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
    if (wake := _earliest_planned_wake()) is not None and wake <= due_at:
        return
    db.session.execute(select(func.pg_notify(CHANNEL, due_at.isoformat())))


def _earliest_planned_wake() -> datetime | None:
    """The earliest moment a live, sleeping worker plans to wake, if it is far enough ahead
    to count on; ``None`` when no worker can be counted on."""
    now = utcnow()
    live = now - timedelta(seconds=float(current_app.config["WORKER_STALE_SECONDS"]))
    wake: datetime | None = db.session.scalar(
        select(func.min(WorkerHeartbeat.next_wake_at))
        .where(WorkerHeartbeat.seen_at >= live, WorkerHeartbeat.next_wake_at >= now + WAKE_GUARD))
    return wake
