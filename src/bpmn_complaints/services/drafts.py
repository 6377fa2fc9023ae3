"""Drafts: what a person has typed into a task's form and not yet sent, one per task and person.

A draft belongs to the person who typed it. Only they read it back: the task's next holder
starts from the form, not from someone else's unfinished words. It never enters the engine's
task data (only completing the task sends answers), it is deleted when the task is completed,
and export and erasure cover it (:mod:`.privacy`). Saving a draft changes nothing about the
complaint, so autosaves are not written to the trail.
"""

import json

from flask import current_app
from sqlalchemy import delete, select

from ..clock import utcnow
from ..exceptions import AppError, Conflict, ValidationFailed
from ..extensions import db
from ..models import Complaint, HumanTask, TaskDraft, User
from . import forms
from .tasks import check_may_work, get_task


def _own(task_id: str, user: User) -> TaskDraft | None:
    return db.session.scalar(select(TaskDraft).where(TaskDraft.task_id == task_id, TaskDraft.user_name == user.name))


def get(task_id: str, user: User) -> TaskDraft | None:
    """``user``'s draft of the task, or None.

    :raises NotFound: if they may not see the task.
    :raises Forbidden: if they may not work on it.
    """
    task = get_task(task_id, user)
    check_may_work(user, task)
    return _own(task.id, user)


def own(task: HumanTask, user: User) -> TaskDraft | None:
    """``user``'s draft of a task they may see, for their task page: their own text, shown
    back to them even after the task went to someone else."""
    return _own(task.id, user) if task.state == "ready" else None


def _check(task: HumanTask, data: dict) -> None:
    schema, _ui = forms.schemas_for(task)
    known = set((schema or {}).get("properties") or {})
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValidationFailed("a draft holds only the form's fields", {name: ["not a field of this form"]
                                                                         for name in unknown})
    limit = current_app.config["DRAFT_MAX_CHARS"]
    if len(json.dumps(data)) > limit:
        raise ValidationFailed("this draft is too long", {"data": [f"at most {limit} characters"]})


def save(task_id: str, user: User, data: dict) -> TaskDraft:
    """Keep ``data`` (the form's answers so far, not validated: a draft may be half done) as
    ``user``'s draft of the task, replacing the one before.

    :raises NotFound: if they may not see the task.
    :raises Forbidden: if they may not work on it.
    :raises Conflict: if the task is no longer ready.
    :raises ValidationFailed: for a field the form does not have, or a draft too long.
    """
    task = get_task(task_id, user)
    if task.state != "ready":
        raise Conflict(f"this task is already {task.state}", {"state": task.state})
    check_may_work(user, task)
    _check(task, data)
    draft = _own(task.id, user)
    if draft is None:
        # Two saves racing to create it: the loser's insert breaks the unique key, and
        # run_change runs it again, which then updates the winner's row.
        draft = TaskDraft(task_id=task.id, user_name=user.name)
        db.session.add(draft)
    draft.data, draft.updated_at = data, utcnow()
    db.session.flush()
    return draft


def keep(task_id: str, user: User, data: dict) -> TaskDraft | None:
    """Save ``data`` as the draft where the rules allow it, else None: for the pages that
    keep what was typed while something else went wrong (a reassignment, an expired form)."""
    try:
        return save(task_id, user, data)
    except AppError:
        return None


def for_complaint(complaint: Complaint) -> list[TaskDraft]:
    """Everyone's drafts of the complaint's tasks, oldest task first."""
    return list(db.session.scalars(
        select(TaskDraft).join(HumanTask, HumanTask.id == TaskDraft.task_id)
        .where(HumanTask.complaint_id == complaint.id).order_by(HumanTask.created_at, TaskDraft.id)))


def erase(complaint: Complaint) -> int:
    """Delete every draft of the complaint's tasks; returns how many there were."""
    drafts = for_complaint(complaint)
    if drafts:
        db.session.execute(delete(TaskDraft).where(TaskDraft.id.in_([d.id for d in drafts])))
    return len(drafts)
