"""The trail's checkpoints on a schedule: every ``AUDIT_ANCHOR_EVERY_SECONDS`` the worker
writes one into ``AUDIT_ANCHOR_DIR`` (:mod:`bpmn_complaints.db.anchors`). One
``audit_anchor`` job in the jobs table wakes a worker for it; running it schedules the
next one, so however many workers run, one writes each checkpoint."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select

from ..clock import utcnow
from ..db import anchors
from ..extensions import db
from ..models import Job

KIND = "audit_anchor"
log = logging.getLogger(__name__)


def _every() -> float | None:
    cfg = current_app.config
    every = cfg.get("AUDIT_ANCHOR_EVERY_SECONDS")
    return float(every) if every and cfg.get("AUDIT_ANCHOR_DIR") else None


def next_run(after: datetime) -> datetime:
    return after + timedelta(seconds=_every() or 86400)


def ensure_scheduled() -> Job | None:
    """Make sure a checkpoint job is waiting (due now if none was); ``None`` when
    checkpoints are not scheduled."""
    if _every() is None:
        return None
    job = db.session.scalar(select(Job).where(Job.kind == KIND, Job.instance_id.is_(None)).limit(1))
    if job is None:
        now = utcnow()
        job = Job(kind=KIND, instance_id=None, due_at=now, created_at=now, payload={})
        db.session.add(job)
        db.session.flush()
    return job


def run(now: datetime | None = None) -> None:
    """The checkpoint job: write one, then schedule the next."""
    now = now or utcnow()
    directory = current_app.config.get("AUDIT_ANCHOR_DIR")
    if directory:
        path, count = anchors.write(directory)
        log.info("audit checkpoint of %d trail(s) written to %s", count, path,
                 extra={"event": "audit_checkpoint", "trails": count, "path": str(path)})
    db.session.execute(delete(Job).where(Job.kind == KIND, Job.instance_id.is_(None)))
    if _every() is not None:
        db.session.add(Job(kind=KIND, instance_id=None, due_at=next_run(now), created_at=now, payload={}))
