"""Helpers the built-in email handlers share."""

import hashlib
from typing import Any

from .spec import ComplaintView, HandlerContext, HandlerIncident, QueuedEmail


def complaint_of(ctx: HandlerContext, handler: str) -> ComplaintView:
    """The complaint, or an incident if the instance has none."""
    if ctx.complaint is None:
        raise HandlerIncident(f"{handler} needs a complaint, and this process instance has none")
    return ctx.complaint


def field(ctx: HandlerContext, name: str, default: Any = None) -> Any:
    """A parameter from the diagram, else the task-data field of the same name; a
    person's words are read from the case file."""
    value = ctx.params.get(name)
    if value in (None, ""):
        value = ctx.task.data.get(name)
    value = ctx.services.text(value)
    return default if value in (None, "") else value


def group_addresses(ctx: HandlerContext, group: str) -> list[str]:
    return sorted({m.email for m in ctx.services.group_members(group) if m.email})


def sent_record(message: QueuedEmail) -> dict[str, str]:
    """What an audit event or a task result says about a queued email: enough to prove
    later exactly what was sent (the full text stays in the outbox row)."""
    digest = hashlib.sha256()
    for part in (message.subject, message.body_text, message.body_html or ""):
        digest.update(part.encode())
        digest.update(b"\x00")
    # No address here: the trail must stay free of personal data (it cannot be erased).
    return {"message_id": message.message_id, "template": message.template, "subject": message.subject,
            "sha256": digest.hexdigest()}
