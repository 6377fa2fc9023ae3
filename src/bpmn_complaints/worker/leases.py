"""Leases on due rows: a worker takes a batch of due rows for ``JOB_LOCK_SECONDS``
(``lock_owner``/``lock_expires_at``), so no two workers run one row at once, and a dead
worker's rows are taken over when its lease expires. One claimer serves every queue:
timer and retry jobs, and outbox emails.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute

from ..clock import utcnow
from ..extensions import db
from ..models import Job, OutboxMessage


@dataclass(frozen=True)
class Queue:
    """Rows that workers take under a lease: the table, the column saying when a row is
    due, and what else a row must satisfy to be taken."""

    model: type[Job] | type[OutboxMessage]
    due: InstrumentedAttribute[datetime]
    ready: tuple[ColumnElement[bool], ...] = ()


JOBS = Queue(Job, Job.due_at)
EMAILS = Queue(OutboxMessage, OutboxMessage.next_attempt_at, (OutboxMessage.status == "pending",))


def _unleased(queue: Queue, now: datetime) -> ColumnElement[bool]:
    """No live lease holds the row: it never had one, or its holder's expired."""
    return or_(queue.model.lock_expires_at.is_(None), queue.model.lock_expires_at < now)


def claim(queue: Queue, owner: str, batch: int) -> list[int]:
    """Lease up to ``batch`` due rows of ``queue`` that no live lease holds to ``owner``,
    earliest due first, and commit; returns their ids.

    On PostgreSQL the rows are read ``FOR UPDATE SKIP LOCKED``, so workers claiming at
    the same moment take different rows and never wait for each other.
    """
    now = utcnow()
    model = queue.model
    query = (select(model.id).where(*queue.ready, queue.due <= now, _unleased(queue, now))
             .order_by(queue.due, model.id).limit(batch))
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list(db.session.scalars(query))
    if ids:
        lock_until = now + timedelta(seconds=current_app.config["JOB_LOCK_SECONDS"])
        db.session.execute(update(model).where(model.id.in_(ids))
                           .values(lock_owner=owner, lock_expires_at=lock_until))
    db.session.commit()
    return ids


def release(queue: Queue, owner: str, ids: list[int]) -> None:
    """Give back ``owner``'s leases on ``ids`` and commit, so other workers need not wait
    for them to expire. A lease another worker has taken over stays as it is."""
    model = queue.model
    db.session.execute(update(model).where(model.id.in_(ids), model.lock_owner == owner)
                       .values(lock_owner=None, lock_expires_at=None))
    db.session.commit()


def next_free_due(queue: Queue) -> datetime | None:
    """When the earliest row of ``queue`` that no live lease holds is due (it may be due
    already), or ``None`` when there is none."""
    return db.session.scalar(
        select(queue.due).where(*queue.ready, _unleased(queue, utcnow()))
        .order_by(queue.due).limit(1))


def earliest_live_lock(queue: Queue) -> datetime | None:
    """When the earliest live lease on ``queue`` expires (its holder may have died), or
    ``None`` when no lease is live."""
    expires = queue.model.lock_expires_at
    return db.session.scalar(select(func.min(expires)).where(*queue.ready, expires >= utcnow()))
