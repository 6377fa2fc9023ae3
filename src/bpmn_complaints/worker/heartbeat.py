"""The worker's heartbeat row (``worker_heartbeats``): written when it starts, after each
batch, and before each sleep with the moment it will wake; removed when it stops.
Readiness (``/readyz``) reads it, and so do writers deciding whether a NOTIFY is needed
(:func:`bpmn_complaints.db.notify.announce`)."""

from datetime import datetime

from sqlalchemy import delete

from ..clock import utcnow
from ..extensions import db
from ..models import WorkerHeartbeat


def beat(owner: str, next_wake_at: datetime | None = None) -> None:
    """Record that ``owner`` is alive, and when it will next look for work (``None``:
    it is awake and looking now), and commit."""
    now = utcnow()
    row = db.session.get(WorkerHeartbeat, owner)
    if row is None:
        row = WorkerHeartbeat(owner=owner, started_at=now, seen_at=now)
        db.session.add(row)
    row.seen_at, row.next_wake_at = now, next_wake_at
    db.session.commit()


def stopped(owner: str) -> None:
    """Remove ``owner``'s row: it stopped on purpose, so nobody should wait for it."""
    db.session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.owner == owner))
    db.session.commit()
