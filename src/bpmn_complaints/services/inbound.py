"""What an inbound mail becomes: a reply in its complaint's case file (matched by
In-Reply-To or References against the letters we sent, or by the reference it quotes), a
new complaint on the email channel, a mail kept for staff, or a mail a machine sent, which
is never answered. Every mail is kept as an :class:`InboundMail` row, a refused one too.
"""

import logging
from collections.abc import Sequence
from email.utils import parseaddr

from flask import current_app
from marshmallow import ValidationError, validate
from sqlalchemy import func, select

from ..clock import utcnow
from ..db import run_change, trail
from ..exceptions import AppError, Conflict, Forbidden, NotFound
from ..extensions import db
from ..mail import inbound
from ..mail.outbox import own_addresses
from ..models import Complaint, HumanTask, InboundMail, OutboxMessage, User
from ..policy import FILE_INBOUND_MAIL, READ_INBOUND_MAIL, allows
from . import attachments, complaints, notifications, privacy

log = logging.getLogger(__name__)
SOURCES = ("smtp", "lmtp", "imap")
SURFACE = "email"
BY_EMAIL = "by_email"  # the reply notification's note: the staff email says how it came
# The checks a complaint from the web form passes (schemas.resources.ComplaintIn).
_NAME = validate.Length(min=1, max=200)
_DESCRIPTION = validate.Length(min=1, max=20000)
_EMAIL = validate.Email()


def take(source: str, raw: bytes, envelope_from: str | None = None, envelope_to: Sequence[str] = (),
         size: int | None = None) -> str | None:
    """Keep one mail and act on it, in one transaction. Returns None when it was taken, or
    why it was refused (it is kept as a rejected row all the same). It never raises for
    what the mail holds: a mail that breaks the handling is kept as rejected too."""
    try:
        status, reason = run_change(_receive_as_result, raw, source, envelope_from, list(envelope_to), size)
    except Exception as err:  # whatever the mail did to us, it is kept and the receiver goes on
        db.session.rollback()
        if not isinstance(err, AppError):
            log.exception("an inbound mail could not be handled; it is kept as rejected")
        reason = err.message if isinstance(err, AppError) else f"it could not be handled ({type(err).__name__})"
        status, reason = run_change(_keep_rejected, raw, source, envelope_from, list(envelope_to), size, reason)
    return _one_line(reason or "refused") if status == "rejected" else None


def _one_line(text: str) -> str:
    return "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in " ".join(text.split()))[:400]


def _receive_as_result(*args) -> tuple[str, str | None]:
    mail = receive(*args)
    return mail.status, mail.reason


def _new_row(raw: bytes, source: str, envelope_from: str | None, envelope_to: Sequence[str],
             size: int | None) -> InboundMail:
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}")
    keep = current_app.config["INBOUND_RAW_KEEP_BYTES"]
    full = size if size is not None else len(raw)
    mail = InboundMail(received_at=utcnow(), source=source, status="rejected", size=full, raw=raw[:keep],
                       raw_truncated=full > keep or len(raw) < full, envelope_from=_cut(envelope_from, 320),
                       envelope_to=", ".join(envelope_to)[:4000] or None, headers={}, attachment_ids=[])
    db.session.add(mail)
    return mail


def _cut(value: str | None, length: int) -> str | None:
    return value[:length] if value is not None else None


def _keep_rejected(raw, source, envelope_from, envelope_to, size, reason: str) -> tuple[str, str | None]:
    mail = _new_row(raw, source, envelope_from, envelope_to, size)
    _read(mail, inbound.headers_only(raw))
    mail.reason = reason
    db.session.flush()
    return mail.status, mail.reason


def _read(mail: InboundMail, headers: dict[str, str]) -> None:
    """Fill the row from the headers alone (a mail too large or too broken to read whole)."""
    mail.headers = headers
    ids = inbound.message_ids(headers.get("Message-ID", ""))
    mail.message_id = ids[0] if ids else None
    mail.subject = _cut(headers.get("Subject"), 400)
    from_name, from_addr = parseaddr(headers.get("From", ""))
    mail.from_addr, mail.from_name = _cut(from_addr or None, 320), _cut(from_name or None, 200)


def receive(raw: bytes, source: str, envelope_from: str | None = None, envelope_to: Sequence[str] = (),
            size: int | None = None) -> InboundMail:
    """Keep ``raw`` and decide what it is, in the caller's transaction.

    :param envelope_from: SMTP ``MAIL FROM`` (``""`` for a bounce); None when unknown (IMAP).
    :param size: the full size, when ``raw`` holds only the headers of a mail too large to fetch.
    """
    mail = _new_row(raw, source, envelope_from, envelope_to, size)
    limit = current_app.config["INBOUND_MAX_BYTES"]
    if mail.size > limit:
        _read(mail, inbound.headers_only(raw))
        mail.reason = f"it is larger than {limit / 1048576:.3g} MB ({mail.size} bytes), the most we take"
        return mail
    try:
        parsed = inbound.parse(raw)
    except inbound.Malformed as err:
        _read(mail, inbound.headers_only(raw))
        mail.reason = f"malformed: {err}"
        return mail
    earlier = _same_mail(parsed.message_id)
    if earlier is not None:  # delivered again (an IMAP poll that crashed, an SMTP retry): once is enough
        db.session.flush()
        db.session.delete(mail)
        return earlier
    mail.message_id, mail.headers, mail.subject = parsed.message_id, parsed.headers, parsed.subject
    mail.from_addr, mail.from_name = parsed.from_addr[:320], parsed.from_name or None
    mail.body_text, mail.reply_text = parsed.text, parsed.reply
    complaint, how, note = _match(parsed, envelope_to)
    machine = inbound.sent_by_a_machine(parsed, envelope_from, own_addresses())
    if machine is not None:
        mail.status, mail.reason = "ignored", f"not answered: {machine}"
        mail.complaint_id = complaint.id if complaint is not None else None  # erased with it
        return mail
    if complaint is not None and privacy.erased_at(complaint) is not None:
        mail.status, mail.reason = "unmatched", f"it answers {complaint.reference}, whose personal data is erased"
        return mail
    if complaint is not None:
        return _record_reply(mail, complaint, how, parsed.files)
    return _unmatched_or_new(mail, parsed, note)


def _same_mail(message_id: str | None) -> InboundMail | None:
    if not message_id:
        return None
    return db.session.scalar(select(InboundMail).where(InboundMail.message_id == message_id,
                                                       InboundMail.status != "rejected").limit(1))


def _match(parsed: inbound.ParsedMail, envelope_to: Sequence[str]) -> tuple[Complaint | None, str | None, str | None]:
    """The complaint ``parsed`` answers, how it was found, and a note when a reference was
    quoted by someone other than its complainant."""
    thread = parsed.thread
    if thread:
        ours: dict[str | None, int | None] = {row[0]: row[1] for row in db.session.execute(
            select(OutboxMessage.message_id, OutboxMessage.complaint_id).where(
                OutboxMessage.message_id.in_(thread), OutboxMessage.complaint_id.is_not(None)))}
        theirs: dict[str | None, int | None] = {row[0]: row[1] for row in db.session.execute(
            select(InboundMail.message_id, InboundMail.complaint_id).where(
                InboundMail.message_id.in_(thread), InboundMail.complaint_id.is_not(None),
                InboundMail.status.in_(("matched", "new_complaint"))))}
        for message_id in thread:
            complaint_id = ours.get(message_id) or theirs.get(message_id)
            if complaint_id is not None:
                how = "in_reply_to" if message_id in parsed.in_reply_to else "references"
                return db.session.get(Complaint, complaint_id), how, None
    tagged = " ".join(a for a in [*envelope_to, *parsed.to] if "+" in a.partition("@")[0])
    note = None
    for how, text in (("reply_address", tagged), ("subject", parsed.subject), ("body", parsed.text)):
        for reference in inbound.references_in(text):
            complaint = db.session.scalar(select(Complaint).where(Complaint.reference == reference))
            if complaint is None:
                continue
            # A reference is easy to copy: it files a mail only from the complainant's own address.
            if complaint.email and complaint.email.lower() == parsed.from_addr.lower():
                return complaint, how, None
            note = note or f"it quotes {reference}, but not from that complaint's address"
    return None, None, note


def _attach(complaint: Complaint, files: Sequence[inbound.File]) -> tuple[list[int], list[str]]:
    """Each file through the same checks as an upload; a refused one is named, not fatal."""
    kept: list[int] = []
    refused: list[str] = []
    for file in files:
        try:
            rows = attachments.attach(complaint, attachments.receive([file]), attachments.COMPLAINANT, SURFACE)
        except AppError as err:
            refused.append(err.message)
            continue
        kept += [row.id for row in rows if row.id not in kept]
    return kept, refused


def _record_reply(mail: InboundMail, complaint: Complaint, how: str | None, files: Sequence[inbound.File],
                  filed_by: str | None = None) -> InboundMail:
    mail.status, mail.complaint_id, mail.matched_by = "matched", complaint.id, how
    mail.attachment_ids, refused = _attach(complaint, files)
    mail.reason = "; ".join(refused) or None
    db.session.flush()
    by_complainant = bool(complaint.email) and (complaint.email or "").lower() == (mail.from_addr or "").lower()
    trail.record("email_received", filed_by or ("complainant" if by_complainant else "mail-in"), complaint,
                 inbound_mail_id=mail.id, matched_by=how, attachments=len(mail.attachment_ids),
                 refused_files=len(refused), text_sha256=trail.fingerprint(mail.body_text or ""))
    notify_staff(complaint, mail)
    return mail


def file_on(user: User, inbound_mail_id: int, reference: str) -> InboundMail:
    """A supervisor files a mail kept as ``unmatched`` on the complaint it is about: it is
    a reply in that case file from then on, as if it had been matched (``matched_by``
    "staff"), with its files when the whole mail was kept.

    :raises Forbidden: without the ``file_inbound_mail`` permission.
    :raises NotFound: for an unknown mail, or a complaint the user may not see.
    :raises Conflict: when the mail is not unmatched, or the complaint's personal data is erased.
    """
    if not allows(user, FILE_INBOUND_MAIL):
        raise Forbidden("filing the mail that came in is for supervisors")
    mail = db.session.get(InboundMail, inbound_mail_id)
    if mail is None:
        raise NotFound(f"there is no inbound mail {inbound_mail_id}")
    if mail.status != "unmatched":
        raise Conflict(f"inbound mail {inbound_mail_id} is {mail.status}; only an unmatched one is filed by hand")
    complaint = complaints.get_by_reference(reference.strip().upper())
    complaints.check_visible(user, complaint)
    if privacy.erased_at(complaint) is not None:
        raise Conflict(f"{complaint.reference}'s personal data has been erased; it takes no new mail")
    whole = mail.raw is not None and not mail.raw_truncated
    files = inbound.parse(mail.raw).files if whole and mail.raw else []
    filed = _record_reply(mail, complaint, "staff", files, filed_by=user.name)
    if not whole:
        filed.reason = "; ".join(filter(None, [filed.reason, "the files were not kept (the mail was too large)"]))
    return filed


def _known(address: str) -> bool:
    lower = address.lower()
    return db.session.scalar(select(Complaint.id).where(func.lower(Complaint.email) == lower).limit(1)) is not None \
        or db.session.scalar(select(User.id).where(func.lower(User.email) == lower).limit(1)) is not None


def _unmatched_or_new(mail: InboundMail, parsed: inbound.ParsedMail, note: str | None) -> InboundMail:
    if note or _known(parsed.from_addr):
        mail.status = "unmatched"
        mail.reason = note or "it answers no letter of ours and quotes no reference, from a known sender"
        return mail
    problem = _why_not_a_complaint(parsed)
    if problem:
        mail.reason = problem
        return mail
    description = parsed.text or parsed.subject
    data = {"name": parsed.from_name or parsed.from_addr.partition("@")[0], "email": parsed.from_addr,
            "description": description, "product": None, "category": None, "channel": "email",
            "preferred_contact": "email"}
    complaint, _token = complaints.submit(data, None)
    mail.status, mail.complaint_id = "new_complaint", complaint.id
    mail.attachment_ids, refused = _attach(complaint, parsed.files)
    mail.reason = "; ".join(refused) or None
    db.session.flush()
    trail.record("email_received", "complainant", complaint, inbound_mail_id=mail.id, matched_by=None,
                 attachments=len(mail.attachment_ids), refused_files=len(refused),
                 text_sha256=trail.fingerprint(parsed.text))
    return mail


def _why_not_a_complaint(parsed: inbound.ParsedMail) -> str | None:
    """What a new complaint by email must pass: the web form's checks (a sender who wrote
    before is known, and their mail is kept for staff instead)."""
    name = parsed.from_name or parsed.from_addr.partition("@")[0]
    try:
        _EMAIL(parsed.from_addr)
        _NAME(name)
        _DESCRIPTION(parsed.text or parsed.subject)
    except ValidationError as err:
        return f"not taken as a complaint: {' '.join(str(m) for m in err.messages)}"
    return None


def notify_staff(complaint: Complaint, mail: InboundMail) -> list[str]:
    """Tell the people working ``complaint`` that a reply came by email (the ``reply``
    notification, which each person may turn off on their page): whoever worked it or holds
    one of its tasks, and the members of the group of an open task nobody holds. Returns
    who was told."""
    names = notifications.workers_of(complaint)
    for group in db.session.scalars(select(HumanTask.candidate_group).where(
            HumanTask.complaint_id == complaint.id, HumanTask.state == "ready", HumanTask.assignee.is_(None),
            HumanTask.candidate_group.is_not(None)).distinct()):
        names |= notifications.group_names(group or "")
    return notifications.notify("reply", names, complaint, note=BY_EMAIL)


def replies_of(complaint: Complaint) -> list[InboundMail]:
    """The replies by email filed on the complaint, oldest first."""
    return list(db.session.scalars(select(InboundMail).where(
        InboundMail.complaint_id == complaint.id, InboundMail.status == "matched").order_by(InboundMail.id)))


def list_mails(user: User, status: str | None = None, limit: int = 50,
               offset: int = 0) -> tuple[list[InboundMail], int]:
    """Inbound mails, newest first, for a supervisor: ``status="unmatched"`` is what waits
    for a person to file it; returns ``(rows, total)``.

    :raises Forbidden: without the ``read_inbound_mail`` permission.
    """
    if not allows(user, READ_INBOUND_MAIL):
        raise Forbidden("the mail that came in is listed for supervisors")
    query = select(InboundMail)
    if status:
        query = query.where(InboundMail.status == status)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(query.order_by(InboundMail.id.desc()).limit(limit).offset(offset)).all()
    return list(rows), total
