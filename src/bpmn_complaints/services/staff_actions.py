"""What staff do on a complaint's page, each a named, audited action (ISO 10002 7.3):
record a reply or withdrawal that came by phone, letter, email or in person, correct the
complainant's contact details, send the acknowledgement again, close a complaint as a
duplicate of another, reopen a closed one, and turn a reply that came by email into the
complainant's decision."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from ..business_calendar import business_calendar
from ..clock import utcnow
from ..db import trail
from ..engine import runtime
from ..exceptions import Conflict, Forbidden, NotFound
from ..extensions import db
from ..handlers.mailing import sent_record
from ..mail import links, to_complainant
from ..models import AuditEvent, CaseMessage, Complaint, InboundMail, User
from ..policy import (
    CORRECT_CONTACT_DETAILS,
    MARK_DUPLICATES,
    RECORD_REPLIES,
    REOPEN_COMPLAINTS,
    RESEND_ACKNOWLEDGEMENTS,
    allows,
)
from . import comments, complaints, instances, privacy
from .process_events import ComplaintObserver

REOPEN_MESSAGE = "complaint_reopened"  # the message the process's reopen start event catches
DUPLICATE = "duplicate"  # the closure reason of a complaint closed as a duplicate

# What the complainant said -> the message the portal would send, and "accepted".
REPLIES: dict[str, tuple[str, bool | None]] = {
    "accept": ("complainant_reply", True),
    "dissatisfied": ("complainant_reply", False),
    "withdraw": ("complainant_withdrew", None),
}
CHANNELS = ("phone", "letter", "email", "in_person")
CONTACT_FIELDS = ("name", "email", "phone", "preferred_contact")


def _complaint_for(reference: str, user: User, permission: Any, what: str) -> Complaint:
    complaint = complaints.get_by_reference(reference)
    complaints.check_visible(user, complaint)
    if not allows(user, permission):
        raise Forbidden(f"you may not {what}")
    return complaint


# The repairs (services/repair.py) load their complaint the same way.
complaint_for = _complaint_for


def record_reply(reference: str, user: User, kind: str, text: str, channel: str) -> Complaint:
    """Record what the complainant told us by ``channel``: it becomes the same message the
    portal sends, with their words, and the trail says who recorded it.

    :raises Conflict: if the complaint is not waiting for that reply now.
    """
    complaint = _complaint_for(reference, user, RECORD_REPLIES, "record a complainant's reply")
    name, accepted = REPLIES[kind]
    payload: dict[str, Any] = {"comment": text} if accepted is None else {"accepted": accepted, "comment": text}
    instances.send_message(reference, name, payload, user.name, channel=channel)
    trail.record("reply_recorded", user.name, complaint, message=name, kind=kind, channel=channel)
    return complaint


DECISIONS = ("accept", "dissatisfied")  # what a reply by email can say


def decide_from_email(reference: str, user: User, inbound_mail_id: int, kind: str, text: str) -> CaseMessage:
    """Turn the reply by email ``inbound_mail_id`` into the complainant's decision (accept,
    or dissatisfied with ``text``, the reason they gave): :func:`record_reply` on the email
    channel, and the mail is linked to the message it became.

    :raises NotFound: when the complaint holds no such received email.
    :raises Conflict: when it was turned into a decision already, or the complaint is not
        waiting for that reply now.
    """
    if kind not in DECISIONS:
        raise ValueError(f"a reply by email accepts or is dissatisfied, not {kind!r}")
    complaint = _complaint_for(reference, user, RECORD_REPLIES, "record a complainant's reply")
    mail = db.session.get(InboundMail, inbound_mail_id)
    if mail is None or mail.complaint_id != complaint.id or mail.status != "matched":
        raise NotFound(f"complaint {reference} received no email {inbound_mail_id}")
    if mail.case_message_id is not None:
        raise Conflict(f"this email was turned into the complainant's decision by {mail.decided_by} already")
    record_reply(reference, user, kind, text, "email")
    message = db.session.scalars(select(CaseMessage).where(CaseMessage.complaint_id == complaint.id)
                                 .order_by(CaseMessage.id.desc()).limit(1)).one()
    mail.case_message_id, mail.decided_by = message.id, user.name
    trail.record("email_reply_decided", user.name, complaint, inbound_mail_id=mail.id, case_message_id=message.id,
                 kind=kind)
    return message


def correct_contact(reference: str, user: User, changes: dict[str, Any]) -> list[str]:
    """Correct the complainant's name and contact details; returns the fields changed.
    The trail names the fields, never their values (personal data)."""
    complaint = _complaint_for(reference, user, CORRECT_CONTACT_DETAILS, "correct contact details")
    changed = []
    for name in CONTACT_FIELDS:
        if name in changes and (changes[name] or None) != (getattr(complaint, name) or None):
            setattr(complaint, name, changes[name] or None)
            changed.append(name)
    if changed:
        trail.record("contact_corrected", user.name, complaint, fields=changed)
    return changed


def resend_acknowledgement(reference: str, user: User) -> Complaint:
    """Send the acknowledgement again, to the complainant's address as it is now, with the
    response date the first one gave, the status code and a working status link.

    :raises Conflict: if the complaint is closed, or was never acknowledged.
    """
    complaint = _complaint_for(reference, user, RESEND_ACKNOWLEDGEMENTS, "send the acknowledgement again")
    if complaint.state != "open":
        raise Conflict("the complaint is closed; its acknowledgement is not sent again")
    first = db.session.execute(
        select(AuditEvent.at, AuditEvent.details).where(AuditEvent.complaint_id == complaint.id,
                                                        AuditEvent.action == "acknowledged")
        .order_by(AuditEvent.id).limit(1)).first()
    if first is None or not first.details.get("expected_response_by"):
        raise Conflict("this complaint has not been acknowledged yet, so there is nothing to send again")
    expected = datetime.fromisoformat(first.details["expected_response_by"])
    target_days = max(1, business_calendar().business_days_between(first.at, expected))
    message = to_complainant(complaint, "acknowledgement", reference=complaint.reference,
                      received_at=complaint.received_at, expected_response_by=expected, target_days=target_days,
                      status_link=links.complaint_status_link(complaint))
    trail.record("acknowledgement_resent", user.name, complaint, **sent_record(message))
    return complaint


def mark_duplicate(reference: str, user: User, original_reference: str, note: str) -> Complaint:
    """Close the open complaint ``reference`` as a duplicate of ``original_reference``: its
    open work stops, both case files say so and link the other, and the complainant is
    told (with the other reference only when it is their own complaint).

    :raises Conflict: if the complaint is not open, or the pair cannot be linked.
    """
    complaint = _complaint_for(reference, user, MARK_DUPLICATES, "mark a complaint as a duplicate")
    original = complaints.get_by_reference(original_reference.strip().upper())
    complaints.check_visible(user, original)
    if complaint.state != "open":
        raise Conflict("only an open complaint can be closed as a duplicate")
    if original.id == complaint.id or original.duplicate_of_id == complaint.id:
        raise Conflict(f"{complaint.reference} cannot be a duplicate of {original.reference}")
    if original.duplicate_of_id is not None:
        raise Conflict(f"{original.reference} is itself closed as a duplicate; link to the complaint it duplicates")
    complaint.duplicate_of_id = original.id
    complaint.closure_reason = DUPLICATE
    text = f"Closed as a duplicate of {original.reference}." + (f" {note}" if note else "")
    comments.add(complaint, user.name, text)
    comments.add(original, user.name, f"{complaint.reference} was closed as a duplicate of this complaint.")
    trail.record("marked_duplicate", user.name, complaint, of=original.reference)
    trail.record("duplicate_linked", user.name, original, duplicate=complaint.reference)
    same_person = bool(complaint.email and original.email and complaint.email.lower() == original.email.lower())
    message = to_complainant(complaint, "duplicate_closed", reference=complaint.reference,
                      same_person=same_person, original_reference=original.reference if same_person else None,
                      original_link=links.complaint_status_link(original) if same_person else None)
    trail.record("duplicate_notice_sent", "engine", complaint, **sent_record(message))
    runtime.cancel(complaints.instance_of(complaint), user.name, DUPLICATE)
    return complaint


def duplicate_of(complaint: Complaint) -> Complaint | None:
    """The complaint this one was closed as a duplicate of."""
    return db.session.get(Complaint, complaint.duplicate_of_id) if complaint.duplicate_of_id else None


def duplicates_of(complaint: Complaint) -> list[Complaint]:
    """The complaints closed as duplicates of this one."""
    return list(db.session.scalars(select(Complaint).where(Complaint.duplicate_of_id == complaint.id)
                                   .order_by(Complaint.received_at)))


def reopen(reference: str, user: User, reason: str) -> Complaint:
    """Reopen a closed complaint for ``reason``: a new instance of the newest process
    version starts at the start event that catches ``complaint_reopened``, the complaint is
    open again, and the reason goes in its case file.

    :raises Conflict: if the complaint is open, erased, or its process has no reopen path.
    """
    complaint = _complaint_for(reference, user, REOPEN_COMPLAINTS, "reopen a complaint")
    if complaint.state != "closed":
        raise Conflict("only a closed complaint can be reopened")
    if privacy.erased_at(complaint) is not None:
        raise Conflict("this complaint's personal data has been erased; record a new complaint instead")
    live = complaints.instance_of(complaint)
    if live.status != "completed":
        raise Conflict("this complaint's process is still running; wait for it to finish, then reopen")
    previous = complaint.closure_reason
    rounds = 1 + _reopen_count(complaint)
    complaint.state, complaint.closed_at, complaint.closure_reason = "open", None, None
    complaint.duplicate_of_id = None
    comments.add(complaint, user.name, f"Reopened: {reason}")
    now = utcnow()
    trail.record("complaint_reopened", user.name, complaint, previous_reason=previous, round=rounds)
    data = complaints.start_data(complaint) | {"reopened_at": now.isoformat(), "priority": complaint.priority}
    runtime.start_instance(complaints.process_definition(), data, user.name, ComplaintObserver(complaint),
                           message=(REOPEN_MESSAGE, {"round": rounds, "previous_reason": previous}))
    return complaint


def _reopen_count(complaint: Complaint) -> int:
    return db.session.scalar(select(func.count()).where(AuditEvent.complaint_id == complaint.id,
                                                        AuditEvent.action == "complaint_reopened")) or 0
