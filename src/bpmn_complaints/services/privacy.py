"""A complainant's personal data on request (ISO 10002 4.10): everything we hold about one
complaint, exported, and erased once the complaint is closed.

Personal data lives in our own tables: the complaint record, comments, the emails sent,
the free-text answers of task forms (also kept in the instance's task data), and the
attached files (their rows here, their content in the attachment folder). The audit
trail holds only fingerprints of it (:func:`bpmn_complaints.db.trail.for_trail`), so erasing
leaves the hash chain intact and the trail still shows who did what, and when.
"""

import json
from datetime import timedelta

from sqlalchemy import select

from ..clock import utcnow
from ..db import trail
from ..engine import serializer
from ..exceptions import Conflict
from ..extensions import db
from ..models import AuditEvent, Complaint, HumanTask, OutboxMessage, ProcessInstance
from . import attachments, forms

ERASED = "[erased]"
PERSONAL_FIELDS = ("name", "email", "phone", "description", "remedy_sought")


def _tasks(complaint: Complaint) -> list[HumanTask]:
    return list(db.session.scalars(select(HumanTask).where(
        HumanTask.complaint_id == complaint.id, HumanTask.submitted_data.is_not(None)).order_by(HumanTask.created_at)))


def _emails(complaint: Complaint) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.complaint_id == complaint.id)
                                   .order_by(OutboxMessage.id)))


def erased_at(complaint: Complaint):
    return db.session.scalar(select(AuditEvent.at).where(
        AuditEvent.stream == trail.stream_for(complaint), AuditEvent.action == "personal_data_erased"))


def export(complaint: Complaint, actor: str) -> dict:
    """Everything held about the complaint's complainant, as one JSON document. The
    export itself is recorded in the trail (who asked, not what was given)."""
    trail.record("personal_data_exported", actor, complaint)
    document = {
        "reference": complaint.reference,
        "exported_at": utcnow(),
        "erased_at": erased_at(complaint),
        "complaint": {name: getattr(complaint, name) for name in (
            *PERSONAL_FIELDS, "product", "category", "channel", "preferred_contact", "received_at", "status",
            "state", "closed_at", "closure_reason")},
        "comments": [{"author": c.author, "at": c.created_at, "text": c.body} for c in complaint.comments],
        "emails": [{"to": e.to_addrs, "subject": e.subject, "text": e.body_text, "status": e.status,
                    "sent_at": e.sent_at} for e in _emails(complaint)],
        "task_answers": [{"task": t.name, "completed_by": t.completed_by, "completed_at": t.completed_at,
                          "answers": t.submitted_data} for t in _tasks(complaint)],
        # Listed with their fingerprints; the files themselves are fetched one by one from
        # `download` (staff API, the same permission), so the export stays a bounded document.
        "attachments": [{"filename": a.filename, "size": a.size, "content_type": a.content_type,
                         "sha256": a.sha256, "uploaded_by": a.uploaded_by, "uploaded_at": a.uploaded_at,
                         "surface": a.surface,
                         "download": f"/api/complaints/{complaint.reference}/attachments/{a.id}"}
                        for a in attachments.of_complaint(complaint)],
    }
    return json.loads(json.dumps(document, default=lambda value: value.isoformat()))


def erase(complaint: Complaint, actor: str, reason: str) -> dict:
    """Erase the complaint's personal data: contact details, description, comments, the
    text and recipients of its emails, the free-text answers of its tasks, and its attached
    files (rows, and content no other complaint holds; the trail keeps their fingerprints). What is
    needed for the records and reports stays: reference, dates, category, product,
    channel, status, closure reason, and every coded answer (outcome, root cause, remedy).

    :raises Conflict: while the complaint is open, while one of its emails still waits
        to be sent, or when it was erased already.
    """
    if complaint.state != "closed":
        raise Conflict("only a closed complaint can be erased: close or withdraw it first")
    if erased_at(complaint) is not None:
        raise Conflict("this complaint's personal data has been erased already")
    emails = _emails(complaint)
    if any(e.status == "pending" for e in emails):
        raise Conflict("an email to the complainant is still waiting to be sent; erase it once the outbox "
                       "has sent it or given up")
    for name in PERSONAL_FIELDS:
        if getattr(complaint, name):
            setattr(complaint, name, ERASED)
    for comment in complaint.comments:
        comment.body = ERASED
    for email in emails:
        email.to_addrs = email.body_text = ERASED
        email.body_html = None
    prose = set()
    for task in _tasks(complaint):
        free_text = forms.free_text_fields(forms.schemas_for(task)[0]) or set()
        prose |= free_text
        task.submitted_data = {k: ERASED if k in free_text and v not in (None, "") else v
                               for k, v in task.submitted_data.items()}
    for instance in db.session.scalars(select(ProcessInstance).where(ProcessInstance.complaint_id == complaint.id)):
        instance.state = serializer.scrub(instance.state, prose, ERASED)
    counts = {"comments": len(complaint.comments), "emails": len(emails), "task_fields": sorted(prose),
              "attachments": attachments.erase(complaint)}
    trail.record("personal_data_erased", actor, complaint, reason=reason, **counts)
    return counts


def expired(retention_days: int) -> list[Complaint]:
    """Closed complaints whose retention period has passed and that still hold personal data."""
    cutoff = utcnow() - timedelta(days=retention_days)
    erased = select(AuditEvent.complaint_id).where(AuditEvent.action == "personal_data_erased",
                                                   AuditEvent.complaint_id.is_not(None))
    return list(db.session.scalars(select(Complaint).where(
        Complaint.state == "closed", Complaint.closed_at < cutoff, Complaint.id.not_in(erased))
        .order_by(Complaint.closed_at)))
