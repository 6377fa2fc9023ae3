"""Independence (ISO 10002 4.7): who may not work a task because they worked the earlier
steps it must be independent of, or entered its complaint.

A task declares the rule in the diagram (``excludeWorkersOf``, ``excludeEnteredBy``; the
projection keeps it on the task's row). Whether it bars someone is worked out when they
claim, are assigned or complete, from who completed which task of the same complaint, so
a step completed after the task was created counts too.
"""

from sqlalchemy import ColumnElement, and_, case, exists, func, not_, or_, select, true, union
from sqlalchemy.orm import aliased

from ..exceptions import Forbidden
from ..extensions import db
from ..models import Complaint, HumanTask, TaskIndependence

CLAUSE = "ISO 10002 4.7"
# Made once: a new alias builds its attributes afresh, which cost the inbox 10 ms a request.
_PRIOR = aliased(HumanTask, name="prior")
_THEIRS = aliased(HumanTask, name="theirs")


def _same_complaint(other: type[HumanTask], task: HumanTask) -> ColumnElement[bool]:
    if task.complaint_id is not None:
        return other.complaint_id == task.complaint_id
    return other.instance_id == task.instance_id


def barred(user_name: str, task: HumanTask) -> list[str]:
    """Why ``user_name`` may not work ``task`` under its independence rule: one phrase per
    reason ("entered this complaint", "completed “Investigate” (Task_investigate)"), none
    when they may."""
    reasons = []
    if task.exclude_entered_by and task.complaint_id is not None:
        entered_by = db.session.scalar(select(Complaint.entered_by).where(Complaint.id == task.complaint_id))
        if entered_by == user_name:
            reasons.append("entered this complaint")
    # The flag says whether the rule has rows, so a task without one loads none.
    elements = [element.bpmn_id for element in task.independent_of] if task.excludes_workers else []
    if elements:
        worked = db.session.execute(
            select(HumanTask.bpmn_id, HumanTask.name)
            .where(_same_complaint(HumanTask, task), HumanTask.id != task.id, HumanTask.state == "completed",
                   HumanTask.completed_by == user_name, HumanTask.bpmn_id.in_(elements))
            .distinct().order_by(HumanTask.bpmn_id))
        reasons += [f"completed “{name}” ({bpmn_id})" for bpmn_id, name in worked]
    return reasons


def check(user_name: str, task: HumanTask, *, you: bool) -> None:
    """Refuse ``user_name`` for ``task`` when its independence rule bars them.

    :param you: whether the message speaks to them ("you") or about them (a supervisor
        assigning someone).
    :raises Forbidden: naming the rule and what they did that bars them.
    """
    reasons = barred(user_name, task)
    if not reasons:
        return
    who = "you" if you else user_name
    raise Forbidden(
        f"{who} may not work on this task: {who} {' and '.join(reasons)}, and this task must be done by someone "
        f"independent of that (independence: {CLAUSE})",
        {"rule": "independence", "user": user_name, "reasons": reasons})


def open_to(user_name: str) -> ColumnElement[bool]:
    """SQL over :class:`HumanTask`: the task's independence rule does not bar ``user_name``
    (what :func:`barred` decides, for the group inbox).

    Each part is looked up only for a task that has that rule (``excludes_workers``,
    ``exclude_entered_by``), starting from the task's own rows by primary key, so other
    tasks cost nothing. Tasks of no complaint are refused at claim only."""
    prior = _PRIOR
    worked = exists().where(
        TaskIndependence.task_id == HumanTask.id,
        exists().where(prior.complaint_id == HumanTask.complaint_id, prior.bpmn_id == TaskIndependence.bpmn_id,
                       prior.state == "completed", prior.completed_by == user_name, prior.id != HumanTask.id)
        .correlate(HumanTask, TaskIndependence))
    entered = exists().where(Complaint.id == HumanTask.complaint_id, Complaint.entered_by == user_name)
    # CASE, not AND: both databases then skip the lookups for a task without the rule
    # (SQLite would otherwise run them for every row it counts).
    return and_(case((HumanTask.excludes_workers, not_(worked)), else_=true()),
                case((HumanTask.exclude_entered_by, not_(entered)), else_=true()))


def barred_count(user_name: str, *where: ColumnElement[bool]) -> int:
    """How many of the tasks that match ``where`` their rule bars ``user_name`` from (what
    :func:`open_to` leaves out), found from what they did: the complaints where they
    completed a task or that they entered, then those complaints' tasks. It costs what their
    own history holds, however many tasks are open."""
    prior = _THEIRS
    theirs = union(
        # Only a completion sets completed_by; open_to checks the state. Read from the
        # index alone (ix_human_tasks_completed_by).
        select(prior.complaint_id.label("id")).where(prior.completed_by == user_name),
        select(Complaint.id.label("id")).where(Complaint.entered_by == user_name)).subquery()
    found = db.session.scalar(
        select(func.count()).select_from(theirs).join(HumanTask, HumanTask.complaint_id == theirs.c.id)
        .where(*where, or_(HumanTask.excludes_workers, HumanTask.exclude_entered_by), not_(open_to(user_name))))
    return int(found or 0)
