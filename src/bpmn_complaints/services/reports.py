"""Clause-8 management reports (ISO 10002 8.2, 8.3, 8.4, 8.6): the figures for a period.

A period is ``[start, end)`` in whole UTC days. Everything comes from the complaints
table and the audit trail; the report holds counts, durations and codes, never personal
data (the overdue list names references only, for supervisors to follow up).

Durations are whole business days on the configured calendar (the unit the targets are
set in): ``received → acknowledged`` for complaints received in the period, and
``received → closed`` for complaints closed in it. A complaint's target is the last one
recorded before the period ended: the decision table's ``target_days`` (event
``target_set``) or, before assessment, the response date promised in the acknowledgement.
"""

import math
import statistics
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from ..business_calendar import business_calendar
from ..clock import utcnow
from ..extensions import db
from ..models import AuditEvent, Complaint

NOT_RECORDED = "(not recorded)"
BREAKDOWNS = ("category", "product", "priority", "channel")
RATINGS = range(1, 6)
RESOLVED = ("yes", "partly", "no")


def default_period(today: date) -> tuple[date, date]:
    """The last full calendar month before ``today``."""
    first = today.replace(day=1)
    return (first - timedelta(days=1)).replace(day=1), first


def period_for(start: date | None, end: date | None, today: date) -> tuple[date, date]:
    """The period to report on: the last full month when neither bound is given; up to
    and including today when only ``start`` is; the month that ends at ``end`` when only
    ``end`` is.

    :raises ValueError: when the period does not end after it starts.
    """
    if start is None and end is None:
        return default_period(today)
    end = end or today + timedelta(days=1)
    start = start or (end - timedelta(days=1)).replace(day=1)
    if start >= end:
        raise ValueError("must be a later date than from (the period is from <= day < to)")
    return start, end


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _spread(values: list[int]) -> dict:
    """Count, median and 90th percentile (nearest rank) of whole-day durations."""
    if not values:
        return {"count": 0, "median": None, "p90": None}
    ordered = sorted(values)
    return {"count": len(ordered), "median": statistics.median(ordered),
            "p90": ordered[math.ceil(0.9 * len(ordered)) - 1]}


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def summary(start: date, end: date) -> dict:
    """Every figure of the management report for ``[start, end)``."""
    since, until = midnight(start), midnight(end)
    received = (Complaint.received_at >= since) & (Complaint.received_at < until)
    closed = (Complaint.closed_at >= since) & (Complaint.closed_at < until)
    open_at_end = (Complaint.received_at < until) & (Complaint.closed_at.is_(None) | (Complaint.closed_at >= until))
    calendar = business_calendar()
    # A period that ends in the future is judged as it stands now.
    overdue = _overdue(open_at_end, min(until, utcnow()), calendar)
    return {
        "period": {"start": start, "end": end, "duration_unit": "business days",
                   "calendar": calendar.country or "weekends only"},
        "volume": {"received": _count(received), "closed": _count(closed),
                   "open_at_end": _count(open_at_end), "overdue_at_end": len(overdue)},
        "kpis": {**_kpis(received, closed, until, calendar), "reopened": _reopened(since, until, closed)},
        "analysis": {
            **{f"by_{name}": _counts(getattr(Complaint, name), received) for name in BREAKDOWNS},
            "by_closure_reason": _counts(Complaint.closure_reason, closed),
            "trend": _trend(start, end, since, until),
        },
        "satisfaction": _satisfaction(since, until),
        "overdue": overdue,
    }


def _count(condition) -> int:
    return db.session.execute(select(func.count(Complaint.id)).where(condition)).scalar_one()


def _counts(column, condition) -> list[dict]:
    rows = db.session.execute(select(column, func.count(Complaint.id)).where(condition).group_by(column))
    counts = [{"key": key if key not in (None, "") else NOT_RECORDED, "count": n} for key, n in rows]
    return sorted(counts, key=lambda row: (-row["count"], row["key"]))


def _ids(condition):
    return select(Complaint.id).where(condition)


def targets(condition, until: datetime) -> dict[int, datetime]:
    """Each complaint's target as it stood at ``until`` (the last one recorded before)."""
    events = db.session.execute(
        select(AuditEvent.complaint_id, AuditEvent.details)
        .where(AuditEvent.action.in_(("acknowledged", "target_set")), AuditEvent.at < until,
               AuditEvent.complaint_id.in_(_ids(condition)))
        .order_by(AuditEvent.id))
    found = {}
    for complaint_id, details in events:
        moment = details.get("target_at") or details.get("expected_response_by")
        if moment:
            found[complaint_id] = datetime.fromisoformat(moment).astimezone(UTC)
    return found


def _kpis(received, closed, until: datetime, calendar) -> dict:
    acknowledged = db.session.execute(
        select(Complaint.received_at, func.min(AuditEvent.at))
        .join(AuditEvent, AuditEvent.complaint_id == Complaint.id)
        .where(received, AuditEvent.action == "acknowledged").group_by(Complaint.id, Complaint.received_at))
    closures = db.session.execute(
        select(Complaint.id, Complaint.received_at, Complaint.closed_at, Complaint.closure_reason).where(closed)).all()
    target = targets(closed, until)
    timed = [c for c in closures if c.id in target]
    within = sum(1 for c in timed if c.closed_at <= target[c.id])
    dissatisfied = _dissatisfied(closed)
    withdrawn = sum(1 for c in closures if c.closure_reason == "withdrawn")
    return {
        "time_to_acknowledge": _spread([calendar.business_days_between(r, a) for r, a in acknowledged]),
        "time_to_close": _spread([calendar.business_days_between(c.received_at, c.closed_at) for c in closures]),
        "within_target": {"closed_with_target": len(timed), "within": within, "share": _share(within, len(timed))},
        "escalation": {"closed": len(closures), "dissatisfied": dissatisfied,
                       "rate": _share(dissatisfied, len(closures))},
        "withdrawn": {"count": withdrawn, "share": _share(withdrawn, len(closures))},
    }


def _reopened(since: datetime, until: datetime, closed) -> dict:
    """Complaints reopened in the period (a staff action, with a reason), against those
    closed in it: a closure that did not hold (ISO 10002 8.4)."""
    count = db.session.scalar(select(func.count(func.distinct(AuditEvent.complaint_id))).where(
        AuditEvent.action == "complaint_reopened", AuditEvent.at >= since, AuditEvent.at < until)) or 0
    closures = _count(closed)
    return {"count": count, "closed": closures, "rate": _share(count, closures)}


def _dissatisfied(condition) -> int:
    """Complaints whose complainant said they were not satisfied with the decision, which
    sends them to internal review."""
    replies = db.session.execute(
        select(AuditEvent.complaint_id, AuditEvent.details)
        .where(AuditEvent.action == "message_received", AuditEvent.complaint_id.in_(_ids(condition))))
    return len({complaint_id for complaint_id, details in replies
                if details.get("message") == "complainant_reply"
                and (details.get("payload") or {}).get("accepted") is False})


def _overdue(condition, until: datetime, calendar) -> list[dict]:
    """Complaints open at ``until`` whose target had passed by then, the most overdue first."""
    target_of = targets(condition, until)
    late = [complaint_id for complaint_id, target in target_of.items() if target < until]
    rows = db.session.execute(
        select(Complaint.id, Complaint.reference, Complaint.priority, Complaint.category)
        .where(Complaint.id.in_(late))).all() if late else []
    overdue = [{"reference": row.reference, "priority": row.priority, "category": row.category,
                "target_at": target_of[row.id],
                "business_days_overdue": calendar.business_days_between(target_of[row.id], until)} for row in rows]
    return sorted(overdue, key=lambda row: (row["target_at"], row["reference"]))


def _month(column):
    """``YYYY-MM`` of a UTC timestamp column, in SQL."""
    if db.engine.dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM")
    return func.strftime("%Y-%m", column)


def _months(start: date, end: date) -> list[str]:
    months, day = [], start.replace(day=1)
    while day < end:
        months.append(f"{day:%Y-%m}")
        day = (day + timedelta(days=32)).replace(day=1)
    return months


def _trend(start: date, end: date, since: datetime, until: datetime) -> list[dict]:
    """Received and closed per calendar month of the period (8.2)."""
    counted: dict[str, dict[str, int]] = {}
    for name, column in (("received", Complaint.received_at), ("closed", Complaint.closed_at)):
        month = _month(column)
        rows = db.session.execute(select(month, func.count(Complaint.id))
                                  .where(column >= since, column < until).group_by(month))
        counted[name] = {m: n for m, n in rows}
    return [{"month": m, "received": counted["received"].get(m, 0), "closed": counted["closed"].get(m, 0)}
            for m in _months(start, end)]


def _satisfaction(since: datetime, until: datetime) -> dict:
    """The surveys sent in the period and the answers to them, received up to now (8.3)."""
    requested = (AuditEvent.action == "feedback_requested") & (AuditEvent.at >= since) & (AuditEvent.at < until)
    sent = select(AuditEvent.complaint_id).where(requested)
    surveys = db.session.execute(
        select(func.count(func.distinct(AuditEvent.complaint_id))).where(requested)).scalar_one()
    answers = [details for details in db.session.scalars(
        select(AuditEvent.details).where(AuditEvent.action == "feedback_received",
                                         AuditEvent.complaint_id.in_(sent)))]
    ratings = [a["satisfaction"] for a in answers if a.get("satisfaction") in RATINGS]
    resolved = {answer: sum(1 for a in answers if a.get("resolved") == answer) for answer in RESOLVED}
    return {
        "surveys_sent": surveys, "responses": len(answers), "response_rate": _share(len(answers), surveys),
        "average_rating": round(statistics.fmean(ratings), 2) if ratings else None,
        "ratings": [{"rating": r, "count": ratings.count(r)} for r in RATINGS],
        "resolved": resolved, "resolved_share": _share(resolved["yes"], len(answers)),
    }
