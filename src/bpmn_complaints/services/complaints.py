"""Receiving complaints (ISO 10002 7.2) and reading them back."""

import hashlib
import hmac
import secrets
from datetime import datetime

from flask import current_app
from sqlalchemy import and_, exists, func, or_, select

from .. import status_code
from ..clock import utcnow
from ..db import trail
from ..engine import runtime
from ..engine.definitions import latest_definition
from ..exceptions import AppError, BadRequest, Conflict, NotFound
from ..extensions import db
from ..mail.links import verify_feedback_signature
from ..models import AuditEvent, Comment, Complaint, HumanTask, Incident, OutboxMessage, ProcessInstance, User
from ..models.task import OPEN
from ..policy import SEE_ALL_COMPLAINTS, allows
from . import paging, search, visible_count
from .process_events import ComplaintObserver

_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: references are read aloud


class NotDeployed(AppError):
    status_code = 503
    code = "not_deployed"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_reference() -> str:
    """A random reference (32**6, about a billion a year). It is not looked up first: the
    unique key refuses the rare one already taken, and run_change runs the submission
    again with a new one (``complaints.reference`` is one of its race keys)."""
    return f"C-{utcnow().year}-" + "".join(secrets.choice(_ALPHABET) for _ in range(6))


def submit(data: dict, entered_by: str | None = None) -> tuple[Complaint, str]:
    """Record a complaint, start its process, and return it with the token of its status
    links (its short status code is ``complaint.status_code``).

    :raises NotDeployed: when no version of the configured process is deployed.
    """
    definition = process_definition()
    reference, code = _new_reference(), status_code.new_code()
    token = status_code.link_token(current_app.config["SECRET_KEY"], reference, code)
    complaint = Complaint(
        reference=reference, status_code=code, status_token_hash=_hash(token), received_at=utcnow(),
        entered_by=entered_by, status="Received", state="open",
        channel=data.get("channel") or ("web" if entered_by is None else "phone"),
        **{k: data.get(k) for k in ("name", "email", "phone", "postal_address", "product", "category",
                                    "description", "remedy_sought", "preferred_contact")},
    )
    db.session.add(complaint)
    db.session.flush()
    trail.new_chain(complaint)
    content = "\x1f".join(str(getattr(complaint, k) or "") for k in ("name", "email", "description"))
    # Personal data stays out of the trail (it must be erasable); its hash proves integrity.
    trail.record("complaint_received", entered_by or "complainant", complaint, channel=complaint.channel,
                 category=complaint.category, product=complaint.product,
                 content_sha256=hashlib.sha256(content.encode()).hexdigest())
    runtime.start_instance(definition, start_data(complaint), entered_by or "complainant",
                           ComplaintObserver(complaint))
    return complaint, token


# The names start_data gives every instance, and a reopened round's extra ones
# (staff_actions.reopen): what a diagram may read without setting (engine/checks/variables.py).
START_VARIABLES = ("complaint_reference", "received_at", "channel", "category", "product", "reopened_at", "priority")


def start_data(complaint: Complaint) -> dict:
    """What a complaint's process instance starts with: routing values, never personal data."""
    return {
        "complaint_reference": complaint.reference,
        "received_at": complaint.received_at.isoformat(),
        "channel": complaint.channel,
        "category": complaint.category,
        "product": complaint.product,
    }


def process_definition():
    """The newest deployed version of the configured complaint process.

    :raises NotDeployed: when there is none.
    """
    key = current_app.config["PROCESS_KEY"]
    definition = latest_definition(key)
    if definition is None:
        raise NotDeployed(f"the complaint process {key!r} is not deployed yet")
    return definition


def get_by_reference(reference: str) -> Complaint:
    complaint = db.session.scalar(select(Complaint).where(Complaint.reference == reference))
    if complaint is None:
        raise NotFound(f"no complaint has the reference {reference!r}")
    return complaint


def get_for_complainant(reference: str, token: str) -> Complaint:
    """The complaint whose reference and credential these are: its status code (as a
    person types it), the token in its status links, or the token an older complaint was
    given.

    :raises NotFound: for an unknown reference or a wrong credential (the same answer, so
        references cannot be probed).
    """
    complaint = db.session.scalar(select(Complaint).where(Complaint.reference == (reference or "").upper()))
    if complaint is None or not _opens(complaint, token or ""):
        raise NotFound("no complaint matches that reference and status code")
    return complaint


def code_for_session(reference: str) -> str | None:
    """The status code of ``reference``, for a browser whose session has already shown its
    credential (the portal keeps that fact in the session, never the token or the code)."""
    return db.session.scalar(select(Complaint.status_code).where(Complaint.reference == (reference or "").upper()))


def _opens(complaint: Complaint, credential: str) -> bool:
    code = status_code.normalize(credential)
    if code is not None and complaint.status_code and hmac.compare_digest(code, complaint.status_code):
        return True
    return hmac.compare_digest(complaint.status_token_hash, _hash(credential.strip()))


def instance_of(complaint: Complaint, *options) -> ProcessInstance:
    """The complaint's live process instance: the newest, after a reopen (loaded with
    ``options``)."""
    instance = db.session.scalar(select(ProcessInstance).where(ProcessInstance.complaint_id == complaint.id)
                                 .order_by(ProcessInstance.id.desc()).limit(1).options(*options))
    if instance is None:
        raise NotFound(f"complaint {complaint.reference} has no process instance")
    return instance


def visible_to(user: User):
    """A filter for the complaints ``user`` may see (ISO 10002 4.10): supervisors,
    auditors and admins see all; other staff see those they work on or could claim. The
    list's count reads the same rule from the tasks' side (:mod:`.visible_count`): a change
    to the rule is a change there too (tests/test_visible_count.py compares them)."""
    if allows(user, SEE_ALL_COMPLAINTS):
        return None
    # Asked of each complaint through its own few task rows (the complaint_id index), so
    # the newest-first list stops after a page instead of gathering every complaint that
    # the person's groups ever had a task of.
    return exists().where(
        HumanTask.complaint_id == Complaint.id,
        or_(HumanTask.assignee == user.name, HumanTask.completed_by == user.name,
            and_(OPEN, HumanTask.candidate_group.in_(user.groups or [""]))))


def may_see(user: User, complaint: Complaint) -> bool:
    condition = visible_to(user)
    return condition is None or db.session.scalar(
        select(Complaint.id).where(Complaint.id == complaint.id, condition)) is not None


def check_visible(user: User, complaint: Complaint) -> None:
    if not may_see(user, complaint):
        raise NotFound(f"no complaint has the reference {complaint.reference!r}")


def same_person(complaint: Complaint, user: User, limit: int = 20) -> list[Complaint]:
    """Other complaints from the same complainant (same email address, in any case) that
    ``user`` may see, newest first: a pattern is worth knowing (ISO 10002 8.2)."""
    if not complaint.email or complaint.email == "[erased]":
        return []
    query = select(Complaint).where(func.lower(Complaint.email) == complaint.email.lower(),
                                    Complaint.id != complaint.id)
    condition = visible_to(user)
    if condition is not None:
        query = query.where(condition)
    return list(db.session.scalars(query.order_by(Complaint.received_at.desc()).limit(limit)))


NEWEST_FIRST = paging.Ordering("newest", (Complaint.received_at, Complaint.id), lambda c: (c.received_at, c.id),
                               (datetime, int), descending=True)


def list_complaints(user: User, state=None, priority=None, category=None, limit=50, offset=0,
                    q=None, cursor=None) -> paging.Page:
    """A page of the complaints ``user`` may see, newest first, from ``cursor`` (keyset,
    see :mod:`.paging`), with the count up to the bound. A search (``q``) pages by offset
    within its at most :data:`.search.CAP` matches; its page says so in ``offsets``."""
    filters = [column == value for column, value in ((Complaint.state, state), (Complaint.priority, priority),
                                                     (Complaint.category, category)) if value]
    query = select(Complaint).where(*filters)
    condition = visible_to(user)
    if condition is not None:
        query = query.where(condition)
    found = search.search(query, q, limit, offset) if q else None
    if found is not None:
        items, total, capped = found
        more = offset + len(items) < total or capped and len(items) == limit
        offsets = (max(0, offset - limit) if offset else None, offset + limit if more else None)
        return paging.Page(items, total, capped, extra={"offsets": offsets})
    items, after, before = paging.seek([query], NEWEST_FIRST, cursor, limit, offset)
    counted = visible_count.count(user, filters) if condition is not None else None
    if counted is None:
        # Counted by id, as the complaints' tasks are indexed (ix_human_tasks_complaint_id):
        # by receipt, the order of an index SQLite may pick, each EXISTS seeks far from the last.
        counted = paging.bounded_count(query, walk=Complaint.id if condition is not None else None)
    return paging.Page(items, *counted, next=after, prev=before)


def history(complaint: Complaint) -> tuple[list[AuditEvent], list[str]]:
    events = list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.stream == trail.stream_for(complaint)).order_by(AuditEvent.seq)
    ))
    return events, trail.verify(trail.stream_for(complaint))


def incidents(complaint: Complaint) -> list[Incident]:
    instance = instance_of(complaint)
    return list(db.session.scalars(select(Incident).where(Incident.instance_id == instance.id)
                                   .order_by(Incident.id)))


def public_timeline(complaint: Complaint) -> list[dict]:
    """What the complainant sees: receipt and each status change. No internal notes."""
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.stream == trail.stream_for(complaint),
                                 AuditEvent.action.in_(("complaint_received", "status_changed")))
        .order_by(AuditEvent.seq)
    )
    steps = []
    for event in events:
        if event.action == "complaint_received":
            steps.append({"at": event.at, "status": "Received"})
        else:
            steps.append({"at": event.at, "status": event.details.get("after")})
    return steps


def promised_response(complaint: Complaint) -> datetime | None:
    """The response date the acknowledgement promised, while that promise is open: not
    once a response has been delivered (``deliver_response``) or the complaint is closed."""
    if complaint.state != "open":
        return None
    last = db.session.execute(
        select(AuditEvent.action, AuditEvent.details)
        .where(AuditEvent.stream == trail.stream_for(complaint),
               AuditEvent.action.in_(("acknowledged", "response_delivered")))
        .order_by(AuditEvent.seq.desc()).limit(1)).first()
    if last is None or last.action != "acknowledged" or not last.details.get("expected_response_by"):
        return None
    return datetime.fromisoformat(last.details["expected_response_by"])


def last_response(complaint: Complaint) -> dict | None:
    """The last response letter sent to the complainant: its exact text, when it was sent
    and the reply-by date it gave (``deliver_response``)."""
    event = db.session.execute(
        select(AuditEvent.at, AuditEvent.details)
        .where(AuditEvent.stream == trail.stream_for(complaint), AuditEvent.action == "response_delivered")
        .order_by(AuditEvent.seq.desc()).limit(1)).first()
    if event is None:
        return None
    letter = db.session.scalar(select(OutboxMessage).where(OutboxMessage.message_id == event.details.get("message_id")))
    reply_by = event.details.get("reply_by")
    return {"subject": letter.subject if letter else event.details.get("subject"),
            "text": letter.body_text if letter else None, "sent_at": event.at,
            "reply_by": datetime.fromisoformat(reply_by) if reply_by else None,
            "awaits_reply": bool(event.details.get("awaits_reply", True))}


def public_status(reference: str, token: str) -> dict:
    """The complainant's view, reached with their reference and token: the status, the
    steps so far in plain words, and what they may do now. No internal notes, no staff.

    ``may_reply`` (accept the decision or say they are dissatisfied) is true while the
    process waits on something outside it; ``may_withdraw`` while the complaint is open.
    Sending a message the process is not waiting for still answers Conflict.

    :raises NotFound: for an unknown reference or a wrong token.
    """
    complaint = get_for_complainant(reference, token)
    instance = instance_of(complaint)
    is_open = complaint.state == "open" and instance.status != "completed"
    return {
        "reference": complaint.reference, "status": complaint.status, "state": complaint.state,
        "received_at": complaint.received_at, "closed_at": complaint.closed_at,
        "closure_reason": complaint.closure_reason, "steps": public_timeline(complaint),
        "expected_response_by": promised_response(complaint),
        "may_reply": is_open and instance.status == "waiting", "may_withdraw": is_open,
        "response": last_response(complaint),
    }


SATISFACTION = range(1, 6)  # 1 very dissatisfied ... 5 very satisfied
RESOLVED_ANSWERS = ("yes", "partly", "no")


def _for_survey(reference: str, signature: str) -> Complaint:
    complaint = db.session.scalar(select(Complaint).where(Complaint.reference == reference))
    if complaint is None or not verify_feedback_signature(reference, signature or ""):
        raise NotFound("this survey link is not valid; copy the whole link from our email")
    return complaint


def _feedback_given(complaint: Complaint) -> bool:
    return db.session.scalar(select(AuditEvent.id).where(
        AuditEvent.stream == trail.stream_for(complaint), AuditEvent.action == "feedback_received").limit(1)
    ) is not None


def feedback_status(reference: str, signature: str) -> dict:
    """What the survey page needs: whether the complaint is closed and already answered.

    :raises NotFound: for a wrong reference or signature (the survey link's ``sig``).
    """
    complaint = _for_survey(reference, signature)
    return {"reference": complaint.reference, "closed": complaint.state == "closed",
            "answered": _feedback_given(complaint)}


def record_feedback(reference: str, signature: str, satisfaction: int, resolved: str,
                    comment: str | None = None) -> Complaint:
    """The complainant's answer to the satisfaction survey (ISO 10002 8.3), once per
    closed complaint. The scores go into the audit trail for the KPIs; a comment, which
    may hold personal data, becomes a comment on the complaint (erasable with it).

    :raises NotFound: for a wrong reference or signature.
    :raises BadRequest: for a score outside 1-5 or an unknown ``resolved`` answer.
    :raises Conflict: before closure, or when the survey was already answered.
    """
    complaint = _for_survey(reference, signature)
    if satisfaction not in SATISFACTION or resolved not in RESOLVED_ANSWERS:
        raise BadRequest("satisfaction is 1 to 5 and resolved is yes, partly or no")
    if complaint.state != "closed":
        raise Conflict("the survey opens when the complaint is closed")
    if _feedback_given(complaint):
        raise Conflict("this survey has already been answered")
    comment = (comment or "").strip()
    if comment and trail.first_at(complaint, "personal_data_erased") is not None:
        # Nothing could erase it later: the complaint's personal data is gone already.
        comment = ""
    if comment:
        db.session.add(Comment(complaint_id=complaint.id, author="complainant (survey)", body=comment,
                               created_at=utcnow()))
    trail.record("feedback_received", "complainant", complaint, satisfaction=satisfaction, resolved=resolved,
                 commented=bool(comment))
    return complaint
