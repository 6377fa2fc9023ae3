"""The writer's side of waking workers: announce work that falls due sooner than sleeping
workers may have planned (PostgreSQL ``NOTIFY``; :mod:`bpmn_complaints.worker.wakeup`
listens)."""

from datetime import datetime

from sqlalchemy import func, select

from ..extensions import db

CHANNEL = "bpmn_complaints_jobs"


def announce(due_at: datetime) -> None:
    """Tell sleeping workers that work is due at ``due_at``.

    On PostgreSQL this is a ``NOTIFY`` in the current transaction: it reaches the workers
    when (and only if) the transaction commits. On SQLite it does nothing.
    """
    if db.engine.dialect.name == "postgresql":
        db.session.execute(select(func.pg_notify(CHANNEL, due_at.isoformat())))
