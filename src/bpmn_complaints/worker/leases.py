"""Leases on due rows: a worker takes a batch of due rows for ``JOB_LOCK_SECONDS``
(``lock_owner``/``lock_expires_at``), so no two workers run one row at once, and a dead
worker's rows are taken over when its lease expires. One claimer serves every queue:
timer and retry jobs, and outbox emails.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from flask import current_app
from sqlalchemy import ColumnElement, Select, literal_column, select, update
from sqlalchemy.orm import InstrumentedAttribute

from .. import metrics
from ..clock import utcnow
from ..extensions import db
from ..models import Complaint, Job, OutboxMessage, ProcessInstance

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Queue:
    """Rows that workers take under a lease: the table, the column saying when a row is
    due, and what else a row must satisfy to be taken."""

    model: type[Job] | type[OutboxMessage]
    due: InstrumentedAttribute[datetime]
    ready: tuple[ColumnElement[bool], ...] = ()


JOBS = Queue(Job, Job.due_at)
# A literal, not a bound parameter, so both databases match the partial indexes'
# ``status = 'pending'`` (models/outbox.py).
EMAILS = Queue(OutboxMessage, OutboxMessage.next_attempt_at, (OutboxMessage.status == literal_column("'pending'"),))


S = TypeVar("S", bound=Select[Any])


def _lock_for_update(query: S) -> S:
    return query.with_for_update(skip_locked=True) if db.engine.dialect.name == "postgresql" else query


def lease_until() -> datetime:
    return utcnow() + timedelta(seconds=current_app.config["JOB_LOCK_SECONDS"])


def claim(queue: Queue, owner: str, batch: int) -> list[int]:
    """Lease up to ``batch`` due rows of ``queue`` that no live lease holds to ``owner``
    and commit; returns their ids. Rows whose holder's lease expired come first (a dead
    worker's work is the oldest), then free rows, earliest due first.

    On PostgreSQL the rows are read ``FOR UPDATE SKIP LOCKED``, so workers claiming at
    the same moment take different rows and never wait for each other.
    """
    now = utcnow()
    model, expires = queue.model, queue.model.lock_expires_at
    ids = list(db.session.scalars(_lock_for_update(
        select(model.id).where(*queue.ready, expires.is_not(None), expires < now)
        .order_by(expires, model.id).limit(batch))))
    if ids:
        _log_takeover(queue, ids)
    if len(ids) < batch:
        ids += db.session.scalars(_lock_for_update(
            select(model.id).where(*queue.ready, expires.is_(None), queue.due <= now)
            .order_by(queue.due, model.id).limit(batch - len(ids))))
    if ids:
        db.session.execute(update(model).where(model.id.in_(ids))
                           .values(lock_owner=owner, lock_expires_at=lease_until()))
    db.session.commit()
    return ids


def take_job(expired_first: bool, job_id: int | None = None) -> Job | None:
    """The earliest due job that no live lease holds, locked for the transaction that runs
    it (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so workers taking jobs at the same moment
    take different ones and never wait; SQLite has one writer at a time anyway). With
    ``expired_first``, a job whose holder's lease ran out (a dead worker's service-task
    job) comes first.

    A timer or retry job takes no lease: it runs in the transaction that takes it, and if
    the worker dies the database lets go of the row. Only a service-task job is leased
    (:func:`lease_job`), since its handler calls outside systems with no transaction open.

    With ``job_id`` (a change running again after it lost a race), that job, if it is
    still there and nobody else is running it."""
    if job_id is not None:
        return db.session.scalar(_lock_for_update(select(Job).where(Job.id == job_id)))
    now = utcnow()
    if expired_first:
        job = db.session.scalar(_lock_for_update(
            select(Job).where(Job.lock_expires_at.is_not(None), Job.lock_expires_at < now)
            .order_by(Job.lock_expires_at, Job.id).limit(1)))
        if job is not None:
            _log_takeover(JOBS, [job.id])
            return job
    return db.session.scalar(_lock_for_update(
        select(Job).where(Job.lock_expires_at.is_(None), Job.due_at <= now).order_by(Job.due_at, Job.id).limit(1)))


def lease_job(job: Job, owner: str) -> None:
    """Lease ``job`` to ``owner`` for ``JOB_LOCK_SECONDS`` (committed by the caller)."""
    job.lock_owner, job.lock_expires_at = owner, lease_until()


def _log_takeover(queue: Queue, ids: list[int]) -> None:
    """Log each row taken over from a worker whose lease expired, with its complaint."""
    model = queue.model
    if model is Job:
        query = (select(Job.id, Job.lock_owner, Complaint.reference)
                 .outerjoin(ProcessInstance, ProcessInstance.id == Job.instance_id)
                 .outerjoin(Complaint, Complaint.id == ProcessInstance.complaint_id))
    else:
        query = (select(OutboxMessage.id, OutboxMessage.lock_owner, Complaint.reference)
                 .outerjoin(Complaint, Complaint.id == OutboxMessage.complaint_id))
    name = model.__tablename__
    for row_id, previous, reference in db.session.execute(query.where(model.id.in_(ids))):
        metrics.TAKEOVERS.labels(name).inc()
        log.warning("took over %s row %d of %s from %s, whose lease expired", name, row_id, reference, previous,
                    extra={"event": "takeover", "queue": name, "row_id": row_id, "complaint": reference,
                           "previous_owner": previous})


def renew(queue: Queue, owner: str, ids: list[int]) -> list[int]:
    """Extend ``owner``'s leases on ``ids`` by ``JOB_LOCK_SECONDS`` and commit; returns
    the ids still held (a lease another worker took over after it expired is lost)."""
    model = queue.model
    held = set(db.session.scalars(update(model).where(model.id.in_(ids), model.lock_owner == owner)
                                  .values(lock_expires_at=lease_until()).returning(model.id)))
    db.session.commit()
    return [row_id for row_id in ids if row_id in held]


def release(queue: Queue, owner: str, ids: list[int]) -> None:
    """Give back ``owner``'s leases on ``ids`` and commit, so other workers need not wait
    for them to expire. A lease another worker has taken over stays as it is."""
    model = queue.model
    db.session.execute(update(model).where(model.id.in_(ids), model.lock_owner == owner)
                       .values(lock_owner=None, lock_expires_at=None))
    db.session.commit()


def next_available(queue: Queue) -> datetime | None:
    """When a worker may next take a row of ``queue`` (it may be now or past): the
    earliest due row nobody holds, or the earliest lease to expire (its holder may die),
    or ``None`` when the queue is empty. Two probes, one per partial index."""
    expires = queue.model.lock_expires_at
    free_query = select(queue.due).where(*queue.ready, expires.is_(None)).order_by(queue.due).limit(1)
    if queue.model is Job:
        # A job another worker is running is locked by its transaction, not leased: skip
        # it, or every idle worker would wake at once and again until that job is done.
        free_query = _lock_for_update(free_query)
    free = db.session.scalar(free_query)
    held = db.session.scalar(select(expires).where(*queue.ready, expires.is_not(None)).order_by(expires).limit(1))
    return min((d for d in (free, held) if d is not None), default=None)
