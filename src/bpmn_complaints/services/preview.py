"""What completing a task would hand on, before it is sent (the issue "Talking with
complainants": staff see the letter before it goes). The completion runs for real, with
the person's answers, in the request's transaction, and is then rolled back: the letters
it would write are exactly the ones it writes, and nothing is kept."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from ..extensions import db
from ..models import Complaint, HumanTask, OutboxMessage, User
from . import tasks


@dataclass(frozen=True)
class Letter:
    template: str
    to: str  # the address, or "" for a letter to print
    subject: str
    text: str
    html: str | None


@dataclass(frozen=True)
class Preview:
    letters: list[Letter]
    next_tasks: list[tuple[str, str | None, str | None]]  # (name, group, assignee)
    status: str | None  # the complainant-facing status it would reach


def preview(task_id: str, user: User, data: dict) -> Preview:
    """The letters to the complainant, the next tasks and the status that completing
    ``task_id`` with ``data`` would produce. Nothing is kept: the session is rolled back.

    :raises ValidationFailed, Conflict, Forbidden: as completing would.
    """
    before = db.session.scalar(select(func.max(OutboxMessage.id))) or 0
    try:
        done = tasks.complete(task_id, user, data)
        complaint_id = done.complaint_id
        letters = [Letter(m.template, m.to_addrs, m.subject, m.body_text, m.body_html)
                   for m in db.session.scalars(select(OutboxMessage).where(
                       OutboxMessage.id > before, OutboxMessage.complaint_id == complaint_id)
                       .order_by(OutboxMessage.id))]
        following = [(t.name, t.candidate_group, t.assignee) for t in db.session.scalars(
            select(HumanTask).where(HumanTask.complaint_id == complaint_id, HumanTask.state == "ready",
                                    HumanTask.id != task_id).order_by(HumanTask.created_at))]
        complaint = db.session.get(Complaint, complaint_id) if complaint_id else None
        return Preview(letters, following, complaint.status if complaint else None)
    finally:
        db.session.rollback()
