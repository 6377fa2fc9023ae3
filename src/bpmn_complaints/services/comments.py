"""Comments on a complaint's case file: one way to add one, from a task or a staff action."""

from __future__ import annotations

from ..clock import utcnow
from ..db import trail
from ..extensions import db
from ..models import Comment, Complaint, HumanTask


def add(complaint: Complaint, author: str, body: str, task: HumanTask | None = None) -> Comment:
    """Add ``body`` to ``complaint``'s case file as ``author``'s comment (on ``task`` when
    given) and record it. The trail keeps the comment's id and a fingerprint of its text,
    never the text itself (it may hold personal data and must be erasable)."""
    note = Comment(complaint_id=complaint.id, task_id=task.id if task else None, author=author, body=body,
                   created_at=utcnow())
    db.session.add(note)
    db.session.flush()
    where = {"task_id": task.id, "bpmn_id": task.bpmn_id} if task else {}
    trail.record("comment_added", author, complaint, **where, comment_id=note.id,
                 body_sha256=trail.fingerprint(body))
    return note
