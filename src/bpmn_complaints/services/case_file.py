"""The case file: everything said and done about a complaint, in the order it happened,
as the people who work it read it (ISO 10002 7.3, 7.6): the submission, each completed
task's answers with the labels its form showed, comments, the complainant's messages with
their words, every email sent, and every reply that came by email.

It is read from our own tables only (never from workflow state), so each step sees what
the step before handed over.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..models import AuditEvent, CaseMessage, Comment, Complaint, HumanTask, InboundMail, OutboxMessage

MESSAGE_TITLES = {
    "complainant_reply": "The complainant replied",
    "complainant_withdrew": "The complainant withdrew the complaint",
}
MESSAGE_LABELS = {"accepted": "Accepts our decision", "comment": "In their words", "reason": "Reason"}
SUBMISSION = (("product", "Product or service"), ("category", "Category (as the complainant put it)"),
              ("description", "What happened"), ("remedy_sought", "What they want us to do"),
              ("channel", "How it reached us"), ("preferred_contact", "How they prefer to be contacted"))


@dataclass
class Entry:
    """One thing in the case file."""

    at: datetime
    kind: str  # submission, answers, comment, message, email, email_received
    title: str
    who: str | None = None
    items: list[tuple[str, str]] = field(default_factory=list)  # (label, value) pairs
    text: str | None = None
    task_id: str | None = None
    bpmn_id: str | None = None
    order: int = 0  # the trail's order, for things that happened in the same instant
    letter_id: int | None = None  # an email or letter: its outbox row, which downloads as a PDF
    inbound_mail_id: int | None = None


def display(value: Any, choices: dict[str, str] | None = None) -> str:
    """An answer as the form showed it: the title of a choice, Yes/No, plain text."""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(display(v, choices) for v in value)
    if choices and str(value) in choices:
        return choices[str(value)]
    return str(value)


def answers(task: HumanTask) -> list[tuple[str, str]]:
    """A completed task's answers as (label, value), in the form's order; empty ones left out."""
    labels = task.answer_labels or {}
    names = labels.get("fields") or {}
    choices = labels.get("choices") or {}
    data = task.submitted_data or {}
    order = [n for n in names if n in data] + [n for n in data if n not in names]
    return [(names.get(n, n.replace("_", " ").capitalize()), display(data[n], choices.get(n)))
            for n in order if data[n] not in (None, "", [])]


def _submission(complaint: Complaint) -> Entry:
    items = [(label, str(getattr(complaint, name))) for name, label in SUBMISSION if getattr(complaint, name)]
    return Entry(complaint.received_at, "submission", "The complaint as received", who=complaint.entered_by
                 or "the complainant", items=items)


def _message(message: CaseMessage) -> Entry:
    payload = message.payload or {}
    items = [(MESSAGE_LABELS.get(k, k.replace("_", " ").capitalize()), display(v))
             for k, v in payload.items() if v not in (None, "")]
    who = "the complainant" if message.sender == "complainant" else f"recorded by {message.sender}"
    if message.channel not in ("portal", "api"):
        who += f" ({message.channel.replace('_', ' ')})"
    return Entry(message.received_at, "message", MESSAGE_TITLES.get(message.name, message.name), who=who, items=items)


def _received(mail: InboundMail) -> Entry:
    sender = f"{mail.from_name} <{mail.from_addr}>" if mail.from_name else (mail.from_addr or "unknown sender")
    items = [("Subject", mail.subject)] if mail.subject else []
    if mail.attachment_ids:
        items.append(("Files", f"{len(mail.attachment_ids)} attached (listed with the complaint's files)"))
    if mail.reason:
        items.append(("Not kept", mail.reason))
    return Entry(mail.received_at, "email_received", "A reply came by email", who=f"{sender} (email)",
                 items=items, text=mail.body_text, inbound_mail_id=mail.id)


def _trail_order(complaint: Complaint) -> tuple[dict[str, int], dict[int, int], list[int], dict[int, int]]:
    """Where each task completion, comment, message and received email sits in the trail."""
    events = db.session.execute(select(AuditEvent.id, AuditEvent.action, AuditEvent.task_id, AuditEvent.details)
                                .where(AuditEvent.complaint_id == complaint.id,
                                       AuditEvent.action.in_(("task_completed", "comment_added", "message_received",
                                                              "email_received")))
                                .order_by(AuditEvent.id)).all()
    tasks = {e.task_id: e.id for e in events if e.action == "task_completed" and e.task_id}
    comments = {e.details.get("comment_id"): e.id for e in events if e.action == "comment_added"}
    messages = [e.id for e in events if e.action == "message_received"]
    mails = {e.details.get("inbound_mail_id"): e.id for e in events if e.action == "email_received"}
    return tasks, comments, messages, mails


def entries(complaint: Complaint) -> list[Entry]:
    """The whole case file, oldest first."""
    task_order, comment_order, message_order, mail_order = _trail_order(complaint)
    last = 1 + max([*task_order.values(), *comment_order.values(), *message_order, *mail_order.values()],
                   default=0)
    found = [_submission(complaint)]
    tasks = db.session.scalars(select(HumanTask).where(
        HumanTask.complaint_id == complaint.id, HumanTask.state == "completed").order_by(HumanTask.completed_at))
    for task in tasks:
        found.append(Entry(task.completed_at or task.created_at, "answers", task.name, who=task.completed_by,
                           items=answers(task), task_id=task.id, bpmn_id=task.bpmn_id,
                           order=task_order.get(task.id, last)))
    for note in db.session.scalars(select(Comment).where(Comment.complaint_id == complaint.id)):
        found.append(Entry(note.created_at, "comment", "Comment", who=note.author, text=note.body,
                           task_id=note.task_id, order=comment_order.get(note.id, last)))
    messages = list(db.session.scalars(select(CaseMessage).where(CaseMessage.complaint_id == complaint.id)
                                       .order_by(CaseMessage.id)))
    # Each message was recorded with its trail event; the newest ones pair up from the end.
    orders = message_order[-len(messages):] if messages else []
    for message, order in zip(messages, [last] * (len(messages) - len(orders)) + orders, strict=True):
        entry = _message(message)
        entry.order = order
        found.append(entry)
    for mail in db.session.scalars(select(InboundMail).where(InboundMail.complaint_id == complaint.id,
                                                             InboundMail.status == "matched")):
        entry = _received(mail)
        entry.order = mail_order.get(mail.id, last)
        found.append(entry)
    for email in db.session.scalars(select(OutboxMessage).where(OutboxMessage.complaint_id == complaint.id)):
        on_paper = email.status in ("to_print", "posted")
        found.append(Entry(email.sent_at or email.created_at, "email",
                           f"{'Letter' if on_paper else 'Email'}: {email.subject}",
                           who=f"{email.template}, {email.status.replace('_', ' ')}", text=email.body_text, order=last,
                           letter_id=email.id))
    return sorted(found, key=lambda e: (e.at, e.order))


def earlier_round(task: HumanTask) -> HumanTask | None:
    """The last completed run of the same step of the same complaint (a send-back or a
    second round), whose answers prefill this one."""
    if task.complaint_id is None:
        return None
    return db.session.scalar(select(HumanTask).where(
        HumanTask.complaint_id == task.complaint_id, HumanTask.bpmn_id == task.bpmn_id,
        HumanTask.state == "completed", HumanTask.id != task.id).order_by(HumanTask.completed_at.desc()).limit(1))


def since(complaint: Complaint, earlier: HumanTask) -> list[Entry]:
    """What the case file gained after the ``earlier`` round of a step (why it came back)."""
    found = entries(complaint)
    done = next((i for i, e in enumerate(found) if e.kind == "answers" and e.task_id == earlier.id), None)
    if done is None:
        return []
    return [e for e in found[done + 1:] if e.kind in ("answers", "comment", "message", "email_received")]
