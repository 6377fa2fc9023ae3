"""Writing emails to the outbox in the caller's transaction, and reading it back."""

import re
import secrets
from email.headerregistry import Address
from email.utils import parseaddr

from flask import current_app
from sqlalchemy import func, select

from ..clock import utcnow
from ..db import trail
from ..db.notify import announce
from ..exceptions import Conflict, NotFound
from ..extensions import db
from ..models import Complaint, OutboxMessage
from .templates import render


def _domain() -> str:
    _, address = parseaddr(current_app.config["MAIL_FROM"])
    return address.rpartition("@")[2] or "localhost"


def new_message_id(complaint: Complaint | None, template: str) -> str:
    """``<C-2026-7K3QXW.acknowledgement.3f9c...@example.org>``: the reference and the template
    say what the message is when someone reads a mail log; the random part makes it unique."""
    prefix = complaint.reference if complaint is not None else "system"
    return f"<{prefix}.{template}.{secrets.token_hex(12)}@{_domain()}>"


def reply_address(reference: str | None) -> str:
    """Where a reply to a letter goes (its Reply-To): ``MAIL_REPLY_TO``, or ``MAIL_FROM``.
    ``{reference}`` in it becomes the complaint's reference; for a mail about no complaint
    the placeholder goes, with the ``+`` (or ``-``, ``.``, ``_``) before it."""
    cfg = current_app.config
    template = cfg["MAIL_REPLY_TO"] or cfg["MAIL_FROM"]
    if "{reference}" not in template:
        return template
    if reference:
        return template.replace("{reference}", reference)
    return re.sub(r"[+\-._]?\{reference\}", "", template)


def own_addresses() -> set[str]:
    """Our sending and reply addresses, lower case and without a ``+tag``: mail from one
    of them is our own, come back."""
    cfg = current_app.config
    found = set()
    for value in (cfg["MAIL_FROM"], cfg["MAIL_REPLY_TO"]):
        if value:
            _, address = parseaddr(value.replace("{reference}", ""))
            if address:
                found.add(untagged(address))
    return found


def untagged(address: str) -> str:
    """``replies+c-2026-abc234@acme.example`` -> ``replies@acme.example``."""
    local, _, domain = address.lower().rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


def _check_address(address: str) -> str:
    # Address() refuses what an SMTP server would refuse later, so a bad address is the
    # handler's error (an incident) and not a delivery that can never succeed.
    _, parsed = parseaddr(address)
    username, _, domain = parsed.rpartition("@")
    Address(username=username, domain=domain)
    if not username or not domain:
        raise ValueError(f"{address!r} is not an email address")
    return parsed


def enqueue(to: list[str] | str, template: str, complaint: Complaint | None = None, **context) -> OutboxMessage:
    """Render ``template`` and add it to the outbox; the worker sends it after commit.

    :param to: one address or a list of them.
    :param context: the template's variables (``complaint`` is passed as well).
    :raises ValueError: for a malformed address or a template that sets no subject.
    :raises jinja2.TemplateError: for a missing or broken template.
    """
    recipients = [_check_address(a) for a in ([to] if isinstance(to, str) else to)]
    if not recipients:
        raise ValueError(f"the {template!r} email has no recipient")
    email = render(template, complaint=complaint, **context)
    now = utcnow()
    message = OutboxMessage(
        message_id=new_message_id(complaint, template), complaint_id=complaint.id if complaint else None,
        template=template, to_addrs=", ".join(recipients), subject=email.subject, body_text=email.text,
        body_html=email.html, status="pending", attempts=0, next_attempt_at=now, created_at=now,
    )
    db.session.add(message)
    db.session.flush()
    announce(now)
    return message



def list_messages(status: str | None = None, reference: str | None = None, limit: int = 50, offset: int = 0):
    """Outbox rows, newest first; returns ``(rows, total)``."""
    query = select(OutboxMessage)
    if status:
        query = query.where(OutboxMessage.status == status)
    if reference:
        query = query.where(OutboxMessage.complaint.has(Complaint.reference == reference))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(query.order_by(OutboxMessage.id.desc()).limit(limit).offset(offset)).all()
    return rows, total


def requeue(outbox_id: int, actor: str) -> OutboxMessage:
    """Put a failed message back in the queue for a full new round of attempts.

    :raises NotFound: for an unknown id.
    :raises Conflict: if the message has not failed.
    """
    message = db.session.get(OutboxMessage, outbox_id)
    if message is None:
        raise NotFound(f"there is no outbox message {outbox_id}")
    if message.status != "failed":
        raise Conflict(f"outbox message {outbox_id} is {message.status}, not failed")
    message.status, message.attempts, message.next_attempt_at = "pending", 0, utcnow()
    message.lock_owner = message.lock_expires_at = None
    announce(message.next_attempt_at)
    trail.record("email_requeued", actor, message.complaint, message_id=message.message_id,
                 template=message.template)
    return message


def enqueue_letter(template: str, complaint: Complaint, **context) -> OutboxMessage:
    """Render ``template`` as a letter for the post, for a complainant without an email
    address: kept in the outbox as ``to_print`` (never sent by the worker) until staff print
    it and mark it posted (see :mod:`..services.letters`).

    :raises jinja2.TemplateError: for a missing or broken template.
    """
    letter = render(template, complaint=complaint, **context)
    now = utcnow()
    message = OutboxMessage(
        message_id=new_message_id(complaint, template), complaint_id=complaint.id, template=template, to_addrs="",
        subject=letter.subject, body_text=letter.text, body_html=letter.html, status="to_print", attempts=0,
        next_attempt_at=now, created_at=now,
    )
    db.session.add(message)
    db.session.flush()
    return message


def to_complainant(complaint: Complaint, template: str, **context) -> OutboxMessage:
    """An email to the complainant, or a letter to print when they have no email address
    but a postal one.

    :raises ValueError: when they have neither.
    """
    if complaint.email:
        return enqueue(complaint.email, template, complaint, **context)
    if complaint.postal_address:
        return enqueue_letter(template, complaint, **context)
    raise ValueError(f"complaint {complaint.reference} has no email or postal address")
