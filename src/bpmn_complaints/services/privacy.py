"""A complainant's personal data on request (ISO 10002 4.10): everything we hold about one
complaint, exported, and erased once the complaint is closed.

Personal data lives in our own tables, the case file: the complaint record, comments,
the emails sent and the emails received, the free-text answers of task forms, the
complainant's messages, the drafts staff have not sent yet, and the attached files (their rows here, their content in
the attachment folder). The engine's task data holds only pointers to those words
(:mod:`.case_text`). The audit trail holds only fingerprints of it
(:func:`bpmn_complaints.db.trail.for_trail`), so erasing leaves the hash chain intact and
the trail still shows who did what, and when.
"""

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from ..clock import utcnow
from ..db import trail
from ..engine import serializer
from ..exceptions import Conflict
from ..extensions import db
from ..models import (
    AuditEvent,
    CaseMessage,
    Complaint,
    HumanTask,
    InboundMail,
    OutboxMessage,
    ProcessInstance,
    search_index,
)
from . import attachments, case_file, case_text, drafts, forms

ERASED = "[erased]"
ERASED_ACTION = "personal_data_erased"
PERSONAL_FIELDS = ("name", "email", "phone", "description", "remedy_sought")


def _tasks(complaint: Complaint) -> list[HumanTask]:
    return list(db.session.scalars(select(HumanTask).where(
        HumanTask.complaint_id == complaint.id, HumanTask.submitted_data.is_not(None)).order_by(HumanTask.created_at)))


def _emails(complaint: Complaint) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.complaint_id == complaint.id)
                                   .order_by(OutboxMessage.id)))


def _messages(complaint: Complaint) -> list[CaseMessage]:
    return list(db.session.scalars(select(CaseMessage).where(CaseMessage.complaint_id == complaint.id)
                                   .order_by(CaseMessage.id)))


def _received(complaint: Complaint) -> list[InboundMail]:
    return list(db.session.scalars(select(InboundMail).where(InboundMail.complaint_id == complaint.id)
                                   .order_by(InboundMail.id)))


def _erase_received(mail: InboundMail) -> None:
    """Everything read from the mail goes; what it was and what became of it stay."""
    for name in ("envelope_from", "envelope_to", "from_addr", "from_name", "subject", "body_text", "reply_text"):
        if getattr(mail, name):
            setattr(mail, name, ERASED)
    mail.headers, mail.raw = {}, None
    if mail.reason and mail.status in ("matched", "new_complaint"):  # it names the files refused
        mail.reason = ERASED


def _erase_words(value):
    """A message's payload with every person's words erased and its codes kept."""
    if isinstance(value, str):
        return value if value == "" or case_text.is_code(value) else ERASED
    if isinstance(value, dict):
        return {k: _erase_words(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_erase_words(v) for v in value]
    return value


def erased_at(complaint: Complaint):
    return trail.first_at(complaint, ERASED_ACTION)


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
                          "answers": t.submitted_data,
                          "labelled": [{"label": label, "answer": value} for label, value in case_file.answers(t)]}
                         for t in _tasks(complaint)],
        "messages": [{"message": m.name, "from": m.sender, "at": m.received_at, "content": m.payload}
                     for m in _messages(complaint)],
        "emails_received": [{"from": m.from_addr, "name": m.from_name, "subject": m.subject, "text": m.body_text,
                             "received_at": m.received_at, "status": m.status, "headers": m.headers}
                            for m in _received(complaint)],
        "drafts": [{"task_id": d.task_id, "by": d.user_name, "updated_at": d.updated_at, "answers": d.data}
                   for d in drafts.for_complaint(complaint)],
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
    text and recipients of its emails, what was read from the emails it received (and their
    raw text), the free-text answers of its tasks, the words of
    the complainant's messages, every draft (deleted: a draft was never sent, so no record
    needs it), and its attached files (rows, and content no other complaint holds; the
    trail keeps their fingerprints). What is
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
        declared = forms.declared_fields(forms.schemas_for(task)[0]) or set()
        task.submitted_data = {k: (ERASED if v not in (None, "") else v) if k in free_text
                               else v if k in declared else _erase_words(v)
                               for k, v in (task.submitted_data or {}).items()}
    messages = _messages(complaint)
    for message in messages:
        message.payload = _erase_words(message.payload)
    received = _received(complaint)
    for mail in received:
        _erase_received(mail)
    # Instances started before task data became pointers-only may still hold the words.
    for instance in db.session.scalars(select(ProcessInstance).where(ProcessInstance.complaint_id == complaint.id)):
        instance.state = serializer.scrub(instance.state, prose, ERASED)
    counts: dict[str, Any] = {"comments": len(complaint.comments), "emails": len(emails),
                              "task_fields": sorted(prose), "messages": len(messages),
                              "emails_received": len(received),
                              "drafts": drafts.erase(complaint), "attachments": attachments.erase(complaint)}
    db.session.flush()
    search_index.forget_erased(db.session.connection())  # no erased word left in the search index
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
