"""The counts the database keeps of open tasks (models/task_counts.py): read them, and fold
their rows now and then (the worker's ``task_counts`` job), so that a count sums a few rows
however many tasks are open."""

from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import and_, case, delete, func, literal, or_, select

from ..clock import utcnow
from ..extensions import db
from ..models import Job
from ..models.task_counts import DONE, DUE, HELD, OPEN, RULED, UNCLAIMED, TaskCount, compact

KIND = "task_counts"
__all__ = ["HELD", "KIND", "OPEN", "RULED", "UNCLAIMED", "ensure_scheduled", "held", "next_run", "people",
           "run_job", "sums"]


def sums(wanted: list[tuple[str, list[str]]]) -> dict[tuple[str, str], int]:
    """The counts of each ``(kind, keys)`` asked for, per ``(kind, key)``, in one statement."""
    asked = [and_(TaskCount.kind == kind, TaskCount.key.in_(keys)) for kind, keys in wanted if keys]
    if not asked:
        return {}
    rows = db.session.execute(select(TaskCount.kind, TaskCount.key, func.sum(TaskCount.n))
                              .where(or_(*asked)).group_by(TaskCount.kind, TaskCount.key))
    return {(kind, key): int(n or 0) for kind, key, n in rows}


def held() -> dict[str, int]:
    """How many open tasks each person holds (only those who hold any)."""
    rows = db.session.execute(select(TaskCount.key, func.sum(TaskCount.n)).where(TaskCount.kind == HELD)
                              .group_by(TaskCount.key))
    return {name: int(n) for name, n in rows if n}


def people(today: date, done_from: date) -> dict[str, tuple[int, int, int]]:
    """Per person, in one statement over one range of the counts' index per kind: how many
    open tasks they hold, how many of those are due on a day before ``today``, and how many
    tasks they completed on ``done_from`` or a later day. Only people with a count that is
    not 0 are listed."""
    kind = TaskCount.kind
    which = case((kind == HELD, literal(0)), (kind.startswith(DUE), literal(1)), else_=literal(2))
    rows = db.session.execute(
        select(which, TaskCount.key, func.sum(TaskCount.n))
        .where(or_(kind == HELD,
                   and_(kind > DUE, kind < f"{DUE}{today.isoformat()}"),
                   # "done!" follows every "done <day>" ("!" comes right after the space).
                   and_(kind >= f"{DONE}{done_from.isoformat()}", kind < f"{DONE.rstrip()}!")))
        .group_by(which, TaskCount.key))
    found: dict[str, list[int]] = {}
    for column, name, n in rows:
        found.setdefault(name, [0, 0, 0])[column] = int(n or 0)
    return {name: (held, overdue, done) for name, (held, overdue, done) in found.items() if held or overdue or done}


def _every() -> float | None:
    every = current_app.config.get("TASK_COUNTS_FOLD_EVERY_SECONDS")
    return float(every) if every else None


def next_run(after: datetime) -> datetime:
    return after + timedelta(seconds=_every() or 60)


def _schedule(now: datetime) -> None:
    db.session.add(Job(kind=KIND, instance_id=None, due_at=next_run(now), created_at=now, payload={}))


def run_job() -> None:
    """The worker's recurring job: schedule the next, then fold the counts' rows."""
    db.session.execute(delete(Job).where(Job.kind == KIND, Job.instance_id.is_(None)))
    if _every() is not None:
        _schedule(utcnow())
    db.session.flush()
    compact(db.session.connection(), utcnow().date())


def ensure_scheduled() -> None:
    """Make sure a folding job is waiting, when the worker is to fold at all."""
    if _every() is None:
        return
    if db.session.scalar(select(Job.id).where(Job.kind == KIND, Job.instance_id.is_(None)).limit(1)) is None:
        _schedule(utcnow())
        db.session.flush()
