"""The daily digest: once a day, at ``DIGEST_HOUR`` (UTC), each person who wants it gets
what waits for them: the tasks they hold, those waiting in their groups, and how many of
them are past due. One ``digest`` job in the jobs table wakes the worker for it; running it
schedules the next day's."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, or_, select

from ..clock import utcnow
from ..extensions import db
from ..mail import enqueue, links
from ..models import HumanTask, Job, User
from ..models.task import DUE_KEY, OPEN
from .notifications import wants

KIND = "digest"


def next_run(after: datetime) -> datetime:
    """The next ``DIGEST_HOUR`` o'clock (UTC) after ``after``."""
    hour = int(current_app.config["DIGEST_HOUR"])
    moment = after.replace(hour=hour, minute=0, second=0, microsecond=0)
    return moment if moment > after else moment + timedelta(days=1)


def ensure_scheduled() -> Job | None:
    """Make sure a digest job is waiting (the worker calls this as it starts); ``None``
    when digests are turned off (``DIGEST_HOUR`` empty)."""
    if current_app.config.get("DIGEST_HOUR") in (None, ""):
        return None
    job = db.session.scalar(select(Job).where(Job.kind == KIND, Job.instance_id.is_(None)).limit(1))
    if job is None:
        now = utcnow()
        job = Job(kind=KIND, instance_id=None, due_at=next_run(now), created_at=now, payload={})
        db.session.add(job)
        db.session.flush()
    return job


def _waiting(user: User, now: datetime) -> dict[str, int]:
    ready = OPEN  # literal, so the open-task indexes serve the counts
    mine = HumanTask.assignee == user.name
    groups = (HumanTask.assignee.is_(None)) & HumanTask.candidate_group.in_(user.groups or [""])
    overdue = DUE_KEY < now

    def count(*conditions) -> int:
        return db.session.scalar(select(func.count()).where(ready, *conditions)) or 0

    return {"held": count(mine), "in_groups": count(groups), "overdue": count(or_(mine, groups), overdue)}


def send(now: datetime | None = None) -> list[str]:
    """Queue today's digest to everyone who wants one and has something waiting; returns
    their user names."""
    now = now or utcnow()
    sent = []
    for user in db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.name)):
        if not wants(user, KIND):
            continue
        waiting = _waiting(user, now)
        if not waiting["held"] and not waiting["in_groups"]:
            continue
        enqueue(user.email or "", "staff_digest", None, recipient=user.display_name or user.name,
                groups=user.groups, inbox_link=links.inbox_link(), day=now, **waiting)
        sent.append(user.name)
    return sent


def run(now: datetime | None = None) -> list[str]:
    """The digest job: send, then schedule tomorrow's."""
    now = now or utcnow()
    sent = send(now)
    # Workers starting at the same moment may each have scheduled one: keep a single job.
    db.session.execute(delete(Job).where(Job.kind == KIND, Job.instance_id.is_(None)))
    db.session.add(Job(kind=KIND, instance_id=None, due_at=next_run(now), created_at=now, payload={}))
    return sent
