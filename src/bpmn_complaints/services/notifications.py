"""Email to staff when something needs them (ISO 10002 4.3, 4.15), through the same
outbox as every letter. Each person chooses which kinds they get on their own page
(``/me``); everything is on by default, and nothing goes to someone without an address.

The kinds, and who gets them:

* ``assigned``: a task is given to you (by the diagram, an assignment step or a supervisor);
* ``sent_back``: a task of yours comes back for another round (a send-back);
* ``taken_away``: a task you held is given to someone else, or stopped;
* ``sla_breach``: a task you held is taken away because its target time passed;
* ``urgent``: an urgent complaint has a task waiting in your group;
* ``reply``: the complainant replied, or said they are dissatisfied, on a complaint you worked;
* ``incident``: a step failed and needs a person (to supervisors).

The emails name the complaint by reference and link its page; they carry none of the
complainant's personal data. Each one is an event in the complaint's trail
(``staff_notified``: the kind and the recipients' user names).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import lazyload

from ..db import trail
from ..extensions import db
from ..mail import enqueue, links
from ..models import Complaint, HumanTask, User
from ..policy import SUPERVISOR
from .users import group_members

KINDS = {
    "assigned": "A task is given to me",
    "sent_back": "A task of mine comes back for another round",
    "taken_away": "A task I hold is given to someone else or stopped",
    "sla_breach": "A task I hold passes its target time",
    "urgent": "An urgent complaint waits in one of my groups",
    "reply": "The complainant replies on a complaint I worked on",
    "incident": "A step fails and needs a person (supervisors)",
    "digest": "Every morning: what waits for me and in my groups",
}
SUBJECTS = {
    "assigned": "{reference}: {task} is yours",
    "sent_back": "{reference}: {task} came back to you",
    "taken_away": "{reference}: {task} is no longer yours",
    "sla_breach": "{reference}: {task} passed its target and was taken away",
    "urgent": "Urgent: {reference} waits in {group}",
    "reply": "{reference}: the complainant replied",
    "incident": "{reference}: a step failed ({task})",
}


def wants(user: User, kind: str) -> bool:
    """Whether ``user`` gets ``kind`` (they have an address and have not turned it off)."""
    return bool(user.active and user.email) and (user.notification_prefs or {}).get(kind, True) is not False


def notify(kind: str, names: set[str] | list[str], complaint: Complaint | None, *, task: str = "",
           group: str = "", note: str = "") -> list[str]:
    """Queue the ``kind`` email to each named user who wants it; returns who gets it."""
    if complaint is None or not names:
        return []
    # Their groups are not needed here: loaded only if something reads them later.
    users = [u for u in db.session.scalars(select(User).where(User.name.in_(sorted(names)))
                                           .options(lazyload(User.memberships))) if wants(u, kind)]
    for user in users:
        subject = SUBJECTS[kind].format(reference=complaint.reference, task=task or "a task", group=group)
        # Not filed with the complaint: staff mail is not part of its case file or export.
        enqueue(user.email or "", "staff_notification", None, reference=complaint.reference, kind=kind,
                title=subject, task_name=task, group=group, note=note, staff_link=links.staff_link(complaint.reference),
                recipient=user.display_name or user.name)
    sent = sorted(u.name for u in users)
    if sent:
        trail.record("staff_notified", "engine", complaint, kind=kind, to=sent)
    return sent


def group_names(group: str) -> set[str]:
    return {u.name for u in group_members(group)}


def supervisors() -> set[str]:
    return {u.name for u in db.session.scalars(select(User).where(User.active.is_(True)))
            if SUPERVISOR in (u.roles or [])}


def workers_of(complaint: Complaint) -> set[str]:
    """Everyone who completed a task of the complaint or holds one now."""
    rows = db.session.execute(select(HumanTask.completed_by, HumanTask.assignee, HumanTask.state)
                              .where(HumanTask.complaint_id == complaint.id)).all()
    return {r.completed_by for r in rows if r.completed_by} | {r.assignee for r in rows
                                                              if r.assignee and r.state == "ready"}


def task_created(complaint: Complaint | None, row: HumanTask, second_round: bool) -> None:
    if complaint is None:
        return
    if row.assignee:
        notify("sent_back" if second_round else "assigned", {row.assignee}, complaint, task=row.name)
    elif row.candidate_group and "urgent" in (row.priority, complaint.priority):
        notify("urgent", group_names(row.candidate_group), complaint, task=row.name, group=row.candidate_group)


def task_stopped(complaint: Complaint | None, row: HumanTask, by_timer: bool) -> None:
    if row.assignee:
        notify("sla_breach" if by_timer else "taken_away", {row.assignee}, complaint, task=row.name)


def task_moved(complaint: Complaint | None, task: HumanTask, before: str | None, after: str | None,
               actor: str) -> None:
    """A supervisor (or the holder) moved the task from ``before`` to ``after``."""
    if after and after != actor:
        notify("assigned", {after}, complaint, task=task.name)
    if before and before not in (actor, after):
        notify("taken_away", {before}, complaint, task=task.name)


def complainant_replied(complaint: Complaint | None, message_name: str) -> None:
    if complaint is not None:
        notify("reply", workers_of(complaint), complaint, note=message_name)


def incident(complaint: Complaint | None, task: str) -> None:
    notify("incident", supervisors(), complaint, task=task)
