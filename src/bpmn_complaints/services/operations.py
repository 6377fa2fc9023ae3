"""What an operator watches, read from the database: the queues, incidents and open tasks
as Prometheus gauges (scraped at ``/metrics``), and readiness (``/readyz``): the database
answers, its schema is at the newest migration, and when a worker was last seen."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from alembic.script import ScriptDirectory
from flask import current_app
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from ..clock import utcnow
from ..db.revisions import current_revision
from ..extensions import db
from ..models import HumanTask, Incident, Job, OutboxMessage, WorkerHeartbeat

PREFIX = "bpmn_complaints_"


def _gauge(name: str, documentation: str, labels: tuple[str, ...], rows: dict[tuple[str, ...], float],
           always: tuple[tuple[str, ...], ...] = ()) -> GaugeMetricFamily:
    family = GaugeMetricFamily(PREFIX + name, documentation, labels=list(labels))
    for key in sorted(set(rows) | set(always)):
        family.add_metric(list(key), rows.get(key, 0))
    return family


def _by(*columns: Any, where: Any = None) -> dict[tuple[str, ...], float]:
    query = select(*columns, func.count()).group_by(*columns)
    if where is not None:
        query = query.where(where)
    return {tuple(str(v) if v is not None else "" for v in row[:-1]): row[-1] for row in db.session.execute(query)}


class DatabaseFigures(Collector):
    """The gauges read from the database at each scrape."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = utcnow()
        late = now - timedelta(seconds=float(current_app.config["JOB_LATE_SECONDS"]))
        yield _gauge("jobs_due", "Jobs due now, by kind", ("kind",), _by(Job.kind, where=Job.due_at <= now))
        yield _gauge("jobs_late", "Jobs due for longer than JOB_LATE_SECONDS, by kind", ("kind",),
                     _by(Job.kind, where=Job.due_at <= late))
        oldest = db.session.execute(select(Job.kind, func.min(Job.due_at)).where(Job.due_at <= now)
                                    .group_by(Job.kind)).all()
        yield _gauge("jobs_oldest_due_seconds", "How long the oldest due job of each kind has waited", ("kind",),
                     {(kind,): (now - due).total_seconds() for kind, due in oldest})
        yield _gauge("outbox_messages", "Outbox emails waiting to be sent, and those that failed", ("status",),
                     _by(OutboxMessage.status, where=OutboxMessage.status.in_(("pending", "failed"))),
                     always=(("failed",), ("pending",)))
        yield _gauge("incidents_open", "Incidents nobody has resolved yet", (),
                     {(): db.session.scalar(select(func.count()).where(Incident.resolved_at.is_(None))) or 0})
        ready = HumanTask.state == "ready"
        open_tasks = _by(HumanTask.candidate_group, where=ready)
        yield _gauge("tasks_open", "Open human tasks, by candidate group", ("group",), open_tasks)
        yield _gauge("tasks_overdue", "Open human tasks past their due date, by candidate group", ("group",),
                     _by(HumanTask.candidate_group, where=ready & (HumanTask.due_at < now)), always=tuple(open_tasks))
        seen = last_worker_seen()
        yield _gauge("worker_last_seen_seconds", "Seconds since any worker's last heartbeat (-1: never)", (),
                     {(): (now - seen).total_seconds() if seen else -1})
        db.session.commit()


def last_worker_seen() -> datetime | None:
    seen: datetime | None = db.session.scalar(select(func.max(WorkerHeartbeat.seen_at)))
    return seen


def readiness() -> tuple[bool, dict[str, Any]]:
    """Whether this process can serve: the database answers and its schema is the newest
    migration. The worker's heartbeat is reported too, but does not decide: web processes
    serve without a worker."""
    checks: dict[str, Any] = {}
    try:
        db.session.execute(text("SELECT 1"))
        db.session.commit()  # the revision is read on a connection of its own
        checks["database"] = {"ok": True}
    except SQLAlchemyError as err:
        db.session.rollback()
        checks["database"] = {"ok": False, "error": type(err).__name__}
        return False, checks
    head = ScriptDirectory(current_app.extensions["migrate"].directory).get_current_head()
    current = current_revision()
    checks["migrations"] = {"ok": current == head, "current": current, "head": head}
    seen = last_worker_seen()
    stale = float(current_app.config["WORKER_STALE_SECONDS"])
    age = (utcnow() - seen).total_seconds() if seen else None
    checks["worker"] = {"ok": age is not None and age <= stale, "last_seen_seconds_ago": age,
                        "message": None if age is not None and age <= stale else
                        ("no worker has been seen" if age is None else
                         f"no worker seen for {int(age)} s (more than WORKER_STALE_SECONDS = {int(stale)})")}
    db.session.commit()
    return checks["database"]["ok"] and checks["migrations"]["ok"], checks
