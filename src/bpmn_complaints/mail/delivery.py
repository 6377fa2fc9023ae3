"""Delivering the outbox over SMTP (``smtplib``), at least once per row.

The worker locks due ``pending`` rows, commits, then sends each one with no database
transaction open, then records the outcome in a new transaction. A worker that dies
between the SMTP server's acceptance and that record leaves the row locked; once the
lock expires another worker sends it again, with the same ``Message-ID`` (at-least-once
delivery; receivers and mail clients drop the duplicate by that header).

A failure a retry cannot fix (the server refuses every recipient or the content with a
5xx reply) fails the row at once; anything else (connection refused, timeouts, 4xx,
authentication) is retried with exponential backoff until ``OUTBOX_MAX_ATTEMPTS``, after
which the row is ``failed``: listed for supervisors at ``GET /api/outbox?status=failed``
and put back in the queue with ``POST /api/outbox/<id>/retry``.
"""

import logging
import re
import smtplib
import ssl
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime

from flask import current_app

from .. import metrics
from ..clock import utcnow
from ..db import run_change, trail
from ..extensions import db
from ..models import Complaint, OutboxMessage
from .outbox import reply_address

log = logging.getLogger(__name__)


def deliver(owner: str, outbox_id: int) -> int:
    """Send one locked message and record the outcome; returns 1 if it was sent."""
    message = db.session.get(OutboxMessage, outbox_id)
    if message is None or message.lock_owner != owner or message.status != "pending":
        db.session.rollback()
        return 0  # sent already, or taken over by another worker after our lock expired
    email = build(message)
    # No transaction may stay open while we talk to the SMTP server.
    db.session.rollback()
    try:
        refused = send(email)
    except Exception as err:  # every SMTP or network failure is recorded on the row
        run_change(_record_failure, outbox_id, owner, err)
        return 0
    run_change(_record_sent, outbox_id, refused)
    return 1


def build(message: OutboxMessage) -> EmailMessage:
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_FROM"]
    email["To"] = message.to_addrs
    email["Subject"] = message.subject
    email["Reply-To"] = reply_address(message.complaint.reference if message.complaint else None)
    email["Message-ID"] = message.message_id
    # RFC 3834: a letter written by the product; vacation responders should not answer it.
    email["Auto-Submitted"] = "auto-generated"
    email["Date"] = format_datetime(message.created_at)
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    return email


def send(email: EmailMessage) -> dict:
    """Hand ``email`` to the configured SMTP server; returns the recipients it refused
    (when it accepted others)."""
    cfg = current_app.config
    with smtplib.SMTP(cfg["SMTP_HOST"], int(cfg["SMTP_PORT"]), timeout=float(cfg["SMTP_TIMEOUT"])) as smtp:
        if cfg["SMTP_STARTTLS"]:
            smtp.starttls(context=ssl.create_default_context())
        if cfg["SMTP_USERNAME"]:
            smtp.login(cfg["SMTP_USERNAME"], cfg["SMTP_PASSWORD"] or "")
        return smtp.send_message(email)


def _permanent(err: Exception) -> bool:
    if isinstance(err, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in err.recipients.values())
    return isinstance(err, smtplib.SMTPDataError) and err.smtp_code >= 500


_ADDRESS = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")


def _describe(err: Exception) -> str:
    """What went wrong, for the outbox row and the trail: never an address (personal data
    that the trail could not erase)."""
    if isinstance(err, smtplib.SMTPRecipientsRefused):
        text = "recipients refused: " + "; ".join(f"{c} {m.decode(errors='replace')}"
                                                   for c, m in err.recipients.values())
    else:
        text = f"{type(err).__name__}: {err}"
    return _ADDRESS.sub("<address>", text)


def _complaint(message: OutboxMessage) -> Complaint | None:
    return db.session.get(Complaint, message.complaint_id) if message.complaint_id else None


def _record_sent(outbox_id: int, refused: dict) -> None:
    message = db.session.get_one(OutboxMessage, outbox_id)
    message.status, message.sent_at = "sent", utcnow()
    message.attempts += 1
    message.lock_owner = message.lock_expires_at = None
    if refused:
        message.last_error = _describe(smtplib.SMTPRecipientsRefused(refused))
    trail.record("email_sent", "worker", _complaint(message), message_id=message.message_id,
                 template=message.template, attempts=message.attempts, refused=len(refused))  # a count: no addresses
    metrics.EMAILS.labels("sent").inc()


def _record_failure(outbox_id: int, owner: str, err: Exception) -> None:
    message = db.session.get(OutboxMessage, outbox_id)
    if message is None or message.lock_owner != owner or message.status != "pending":
        return
    cfg = current_app.config
    message.attempts += 1
    message.last_error = _describe(err)
    message.lock_owner = message.lock_expires_at = None
    final = _permanent(err) or message.attempts >= cfg["OUTBOX_MAX_ATTEMPTS"]
    _log_failure(message, final)
    if final:
        message.status = "failed"
        trail.record("email_failed", "worker", _complaint(message), message_id=message.message_id,
                     template=message.template, attempts=message.attempts, error=message.last_error)
        return
    delay = cfg["OUTBOX_BACKOFF_SECONDS"] * 2 ** (message.attempts - 1)
    message.next_attempt_at = utcnow() + timedelta(seconds=delay)


def _log_failure(message: OutboxMessage, final: bool) -> None:
    """Log an SMTP failure with the complaint's reference; ``last_error`` holds no address."""
    complaint = _complaint(message)
    reference = complaint.reference if complaint is not None else None
    outcome = "failed" if final else "retry"
    metrics.EMAILS.labels(outcome).inc()
    log.log(logging.ERROR if final else logging.WARNING, "email %d (%s) of %s: SMTP failure, attempt %d, %s: %s",
            message.id, message.template, reference, message.attempts, "gave up" if final else "will retry",
            message.last_error, extra={"event": f"email_{outcome}", "complaint": reference, "outbox_id": message.id,
                                       "template": message.template, "attempts": message.attempts,
                                       "error": message.last_error})
