"""The inbox and what staff do with a task: claim, unclaim, assign, comment, complete.

Each change to who holds a task, and its completion, is one conditional UPDATE on the
projection row (``WHERE id=? AND state='ready' AND assignee=<as read>``): of any number of
people claiming, reassigning, handing back and completing at once exactly one wins, and
the others get 409 saying what happened first.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Select, and_, delete, func, or_, select, update
from sqlalchemy.orm import defer, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from ..clock import utcnow
from ..db import trail
from ..engine import runtime
from ..engine.incidents import incident_flag
from ..exceptions import BadRequest, Conflict, Forbidden, NotFound, ProcessFailed
from ..extensions import db
from ..models import AuditEvent, Comment, Complaint, HumanTask, ProcessInstance, TaskDraft, User
from ..models.task import DUE_KEY, INDEXES, NO_DUE, OPEN, PRIORITY_RANK
from ..policy import ASSIGN_TASKS, SEE_ALL_TASKS, WORK_OUTSIDE_GROUPS, allows
from . import case_text, comments, complaints, forms, independence, notifications, paging, task_counts
from .users import get_user

# The inbox's sorts, each read in the order of an index on open tasks (models.task:
# ORDERINGS); "-created" reads the "created" indexes backwards.
_DUE = (DUE_KEY, HumanTask.priority_rank, HumanTask.id)
SORTS = {
    "due": paging.Ordering("due", _DUE, lambda t: (t.due_at or NO_DUE, t.priority_rank, t.id), (datetime, int, str)),
    "priority": paging.Ordering("priority", (HumanTask.priority_rank, DUE_KEY, HumanTask.id),
                                lambda t: (t.priority_rank, t.due_at or NO_DUE, t.id), (int, datetime, str)),
    "created": paging.Ordering("created", (HumanTask.created_at, HumanTask.id), lambda t: (t.created_at, t.id),
                               (datetime, str)),
    "-created": paging.Ordering("-created", (HumanTask.created_at, HumanTask.id), lambda t: (t.created_at, t.id),
                                (datetime, str), descending=True),
}


# What a list shows of a task (schemas.resources.Task, the inbox row): the form, the
# answers and the instructions stay in the database until a task is opened.
_LISTED = tuple(defer(column) for column in (HumanTask.instructions, HumanTask.submitted_data, HumanTask.answer_labels,
                                             HumanTask.excluded_users, HumanTask.form_schema, HumanTask.form_ui_schema))


# The inbox tabs, each counted from the counts the database keeps (tab_counts).
TABS = ("mine", "group", "all")


def _scope_parts(user: User, scope: str, state: str) -> list[list[ColumnElement[bool]]]:
    """The conditions of each index range a scope reads: one for "mine" and "all", one per
    group for "group" (each group's unclaimed tasks are a range of their own index)."""
    is_state = OPEN if state == "ready" else HumanTask.state == state
    if scope == "mine":
        return [[is_state, HumanTask.assignee == user.name]]
    if scope == "group":
        groups = sorted(set(user.groups or []))
        if not groups:
            return []
        rule = independence.open_to(user.name)  # one expression, shared by the ranges
        return [[is_state, HumanTask.assignee.is_(None), HumanTask.candidate_group == group, rule]
                for group in groups]
    if scope == "all":
        if not allows(user, SEE_ALL_TASKS):
            raise Forbidden("only supervisors see every task")
        return [[is_state]]
    raise BadRequest("scope must be mine, group or all")


def _filters(priority=None, overdue=None, lane=None, reference=None) -> list[ColumnElement[bool]]:
    found = []
    if priority:
        # The rank is set with the name and leads the priority indexes.
        found.append(HumanTask.priority_rank == PRIORITY_RANK[priority])
    if overdue is not None:
        # A task without a due date sorts (DUE_KEY) after every date: never overdue.
        found.append(DUE_KEY < utcnow() if overdue else DUE_KEY >= utcnow())
    if lane:
        found.append(HumanTask.candidate_group == lane)
    if reference:
        found.append(HumanTask.complaint_reference == reference)
    return found


def list_tasks(user: User, scope="mine", priority=None, overdue=None, lane=None, reference=None,
               state="ready", sort="due", limit=50, offset=0, cursor=None, count=True) -> paging.Page:
    """A page of the tasks in ``scope`` that pass the filters, in ``sort`` order from
    ``cursor`` (see :mod:`.paging`), with the count up to the bound (none: 0, unless
    ``count``)."""
    filters = _filters(priority, overdue, lane, reference)
    ranges = _scope_parts(user, scope, state)
    if offset and len(ranges) > 1:
        # The older offset paging over several groups: one query, sorted and skipped in SQL.
        ranges = [_one_range(user, ranges)]
    parts = [_unclaimed_index(select(HumanTask).options(*_LISTED).where(*conditions, *filters), scope, state, sort)
             for conditions in ranges]
    if not parts:
        return paging.Page([], 0, False)
    items, after, before = paging.seek(parts, SORTS[sort], cursor, limit, offset)
    by = "priority" if priority else "due"
    total, capped = count_tasks(user, scope, state, filters, by) if count else (0, False)
    return paging.Page(items, total, capped, next=after, prev=before)


def _unclaimed_index(query: Select, scope: str, state: str, sort: str) -> Select:
    """``query`` read by the groups' index of unclaimed tasks in ``sort`` order, on SQLite,
    when it reads the group tab (open unclaimed tasks of the person's groups); any other
    query as it is. With no statistics SQLite cannot tell that index from the lane's (which
    holds the claimed tasks too, so it reads them to skip them) or from the holders'
    (``assignee IS NULL`` leads it: every group's unclaimed tasks) and takes whichever was
    made first: 1 ms or 110 ms for the same page. The query bounds that index's group, and
    every filter (and a cursor's seek) is a column of it or a check on the rows it finds,
    so the hinted index always gives a plan."""
    if scope != "group" or state != "ready":
        return query
    index = INDEXES["unclaimed", sort.lstrip("-")].name
    return query.with_hint(HumanTask, f"INDEXED BY {index}", dialect_name="sqlite")


def count_tasks(user: User, scope: str, state: str = "ready",
                filters: list[ColumnElement[bool]] | None = None, by: str = "due") -> tuple[int, bool]:
    """How many tasks ``scope`` holds: a tab's open tasks from the counts the database
    keeps (exact, whatever is open), a filtered list up to the bound, in one count over
    all its ranges.

    :param by: the sort whose index of unclaimed tasks a filtered group count reads on
        SQLite: "priority" when a filter fixes the priority (it leads that index), else
        "due" (an overdue filter is a range of it)."""
    if state == "ready" and not filters and scope in TABS:
        return tab_counts(user, [scope])[scope]  # no conditions to build: the kept counts answer
    if state == "ready" and scope == "group":
        return _group_count(user, filters or [], by)
    parts = _scope_parts(user, scope, state)
    if not parts:
        return 0, False
    shared = _one_range(user, parts) if scope == "group" else parts[0]
    query = select(HumanTask.id).where(*shared, *(filters or []))
    return paging.bounded_count(_unclaimed_index(query, scope, state, by))


def tab_counts(user: User, scopes) -> dict[str, tuple[int, bool]]:
    """What waits in each inbox tab (no filters), exact, from the counts the database
    keeps (one statement for the tabs). The group tab takes away the tasks whose
    independence rule bars this person, counted from the complaints they worked on or
    entered."""
    groups = sorted(set(user.groups or []))
    wanted = {"mine": (task_counts.HELD, [user.name]), "group": (task_counts.UNCLAIMED, groups),
              "all": (task_counts.OPEN, [""])}
    if "all" in scopes and not allows(user, SEE_ALL_TASKS):
        raise Forbidden("only supervisors see every task")
    asked = [wanted[scope] for scope in scopes] + ([(task_counts.RULED, groups)] if "group" in scopes else [])
    sums = task_counts.sums(asked)
    found = {scope: sum(sums.get((wanted[scope][0], key), 0) for key in wanted[scope][1]) for scope in scopes}
    # Only groups with a task under a rule need the person's history looked at.
    ruled = [group for group in groups if sums.get((task_counts.RULED, group))]
    if "group" in found and ruled:
        found["group"] -= independence.barred_count(user.name, OPEN, HumanTask.assignee.is_(None),
                                                    HumanTask.candidate_group.in_(ruled))
    return {scope: (n, False) for scope, n in found.items()}


def _group_count(user: User, filters: list[ColumnElement[bool]], by: str) -> tuple[int, bool]:
    """A filtered group list's count, as :func:`tab_counts` takes the group tab's: the
    matching unclaimed tasks counted from the index alone, less those whose independence
    rule bars this person (found from what they did, only in groups with a task under a
    rule). Checking each counted row's rule instead reads every row: 8,000 overdue tasks
    cost 14 ms of SQL on PostgreSQL. Exact up to the bound: the rows are counted up to the
    bound plus the barred ones, which are among them."""
    groups = sorted(set(user.groups or []))
    if not groups:
        return 0, False
    where = [OPEN, HumanTask.assignee.is_(None), HumanTask.candidate_group.in_(groups), *filters]
    sums = task_counts.sums([(task_counts.RULED, groups)])
    ruled = [group for group in groups if sums.get((task_counts.RULED, group))]
    barred = independence.barred_count(user.name, *where, HumanTask.candidate_group.in_(ruled)) if ruled else 0
    bound = paging.count_bound()
    found, capped = paging.bounded_count(_unclaimed_index(select(HumanTask.id).where(*where), "group", "ready", by),
                                         bound + barred)
    return (bound, True) if capped else (found - barred, False)


def _one_range(user: User, parts: list[list[ColumnElement[bool]]]) -> list[ColumnElement[bool]]:
    """The group scope's per-group ranges as one condition (``candidate_group IN ...``)."""
    return [parts[0][0], parts[0][1], HumanTask.candidate_group.in_(sorted(set(user.groups))), parts[0][3]]


SUMMARY_LENGTH = 90


def lanes_for(user: User, chosen: str | None = None) -> list[str]:
    """The lanes the inbox filter offers: the user's groups, and for those who see every
    task, every lane with an open task."""
    lanes = set(user.groups) | ({chosen} if chosen else set())
    if allows(user, SEE_ALL_TASKS):
        lanes.update(db.session.scalars(_OPEN_LANES))
    return sorted(lanes)


def _open_lanes() -> Select:
    """Every lane with an open task, in one statement: a recursive walk that probes the
    lanes' index once per lane (the next lane after the last one found), not a DISTINCT
    over every open task, nor a round trip per lane."""
    walk = select(func.min(HumanTask.candidate_group).label("lane")).where(OPEN).cte("lanes", recursive=True)
    following = select(func.min(HumanTask.candidate_group)).where(OPEN, HumanTask.candidate_group > walk.c.lane)
    walk = walk.union_all(select(following.scalar_subquery().label("lane")).where(walk.c.lane.is_not(None)))
    return select(walk.c.lane).where(walk.c.lane.is_not(None))


_OPEN_LANES = _open_lanes()


def summaries(tasks: list[HumanTask]) -> dict[int, dict[str, str | None]]:
    """What each task's complaint is about, for the inbox row: product, category and the
    first words of the description (one query for the page)."""
    ids = {t.complaint_id for t in tasks if t.complaint_id is not None}
    if not ids:
        return {}
    rows = db.session.execute(select(Complaint.id, Complaint.product, Complaint.category, Complaint.description)
                              .where(Complaint.id.in_(ids)))
    found = {}
    for row in rows:
        text = " ".join((row.description or "").split())
        short = text if len(text) <= SUMMARY_LENGTH else text[:SUMMARY_LENGTH].rsplit(" ", 1)[0] + "…"
        found[row.id] = {"product": row.product, "category": row.category, "summary": short}
    return found


def get_task(task_id: str, user: User) -> HumanTask:
    task = db.session.get(HumanTask, task_id)
    if task is None or not _may_see(user, task):
        raise NotFound(f"no task {task_id}")
    return task


def _may_see(user: User, task: HumanTask) -> bool:
    """A ready task is seen by its group (to claim it); a finished one by whoever may
    open its complaint (ISO 10002 4.10), so each step can read what came before."""
    if allows(user, SEE_ALL_TASKS) or task.assignee == user.name or task.completed_by == user.name:
        return True
    if task.state == "ready" and task.candidate_group in user.groups:
        return True
    complaint = _complaint(task)
    return complaint is not None and complaints.may_see(user, complaint)


def _check_may_work(user: User, task: HumanTask, *, you: bool = True) -> None:
    if user.name in (task.excluded_users or []):
        raise Forbidden("you may not work on this task (a conflict of interest: ISO 10002 4.7)")
    if task.candidate_group and task.candidate_group not in user.groups and not allows(user, WORK_OUTSIDE_GROUPS) \
            and task.assignee != user.name:
        raise Forbidden(f"this task is for the {task.candidate_group!r} group")
    independence.check(user.name, task, you=you)


# The drafts service asks the same question before it keeps what someone types.
check_may_work = _check_may_work


def _complaint(task: HumanTask) -> Complaint | None:
    return db.session.get(Complaint, task.complaint_id) if task.complaint_id else None


def _holder_conflict(task_id: str) -> Conflict:
    db.session.expire_all()
    task = db.session.get_one(HumanTask, task_id)
    if task.state != "ready":
        return Conflict(f"this task is already {task.state}", {"state": task.state})
    return Conflict(f"{task.assignee} has already claimed this task", {"assignee": task.assignee})


def _not_ready(task: HumanTask) -> Conflict:
    if task.state == "completed":
        return Conflict(f"this task was just completed by {task.completed_by}",
                        {"state": task.state, "completed_by": task.completed_by})
    return Conflict(f"this task is already {task.state}", {"state": task.state})


def _moved(task: HumanTask) -> Conflict:
    if task.assignee is None:
        return Conflict(f"this task was just handed back to the {task.candidate_group or 'team'} group",
                        {"assignee": None})
    return Conflict(f"this task was just reassigned to {task.assignee}", {"assignee": task.assignee})


def _lost_race(task_id: str) -> Conflict:
    """What the change that got there first did to the task, for the one that lost."""
    db.session.expire_all()
    task = db.session.get_one(HumanTask, task_id)
    return _not_ready(task) if task.state != "ready" else _moved(task)


def _change_if_held(task: HumanTask, holder: str | None, **values: Any) -> None:
    """Set ``values`` on the task's row if it is still ready and held by ``holder`` (None:
    unclaimed), in one conditional UPDATE.

    :raises Conflict: saying what happened to it when someone else changed it first.
    """
    held = HumanTask.assignee.is_(None) if holder is None else HumanTask.assignee == holder
    result = cast(CursorResult[Any], db.session.execute(
        update(HumanTask).where(HumanTask.id == task.id, HumanTask.state == "ready", held)
        .values(**values).execution_options(synchronize_session=False)))
    if result.rowcount != 1:
        raise _lost_race(task.id)
    _written(task, **values)


def _written(task: HumanTask, **values: Any) -> None:
    """Tell the loaded ``task`` what a conditional UPDATE just wrote to its row, instead of
    reading the row back."""
    for name, value in values.items():
        set_committed_value(task, name, value)


def _taken_from(task: HumanTask, user: User) -> bool:
    """Whether someone else took the task from ``user`` (reassigned it or handed it back).

    The same query reads the newest event of the complaint's chain, which the trail then
    appends to without asking again."""
    moved = and_(AuditEvent.task_id == task.id, AuditEvent.action.in_(("task_assigned", "task_unclaimed")))
    complaint = _complaint(task)
    if complaint is None:
        events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.complaint_id.is_(None), moved)
                                          .order_by(AuditEvent.seq.desc())))
    else:
        stream = trail.stream_for(complaint)
        head = select(func.max(AuditEvent.seq)).where(AuditEvent.stream == stream).scalar_subquery()
        events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.stream == stream,
                                                                  or_(AuditEvent.seq == head, moved))
                                         .order_by(AuditEvent.seq.desc())))
        if events:
            trail.known_head(stream, events[0].seq, events[0].hash)
    moves = [e for e in events if e.task_id == task.id and e.action in ("task_assigned", "task_unclaimed")]
    lost = next((e for e in moves if e.details.get("before") == user.name), None)
    return lost is not None and lost.actor != user.name


def claim(task_id: str, user: User) -> HumanTask:
    """Claim a task. Claiming your own task again changes nothing.

    :raises Conflict: if someone else holds it, or it is no longer ready.
    """
    task = get_task(task_id, user)
    if task.state == "ready" and task.assignee == user.name:
        return task
    _check_may_work(user, task)
    _take(task, user)
    return task


def _take(task: HumanTask, user: User, now: datetime | None = None, **values: Any) -> None:
    """Make ``user`` the holder of the unclaimed ``task`` in one conditional UPDATE, and
    record the claim. ``values`` are written with it (a completion that claims)."""
    now = now or utcnow()
    values = {"assignee": user.name, "claimed_at": now, **values}
    result = cast(CursorResult[Any], db.session.execute(
        update(HumanTask)
        .where(HumanTask.id == task.id, HumanTask.state == "ready", HumanTask.assignee.is_(None))
        .values(**values)
        .execution_options(synchronize_session=False)
    ))
    if result.rowcount != 1:
        raise _holder_conflict(task.id)
    _written(task, **values)
    trail.record("task_claimed", user.name, _complaint(task), task_id=task.id, bpmn_id=task.bpmn_id,
                 name=task.name)


def unclaim(task_id: str, user: User) -> HumanTask:
    task = get_task(task_id, user)
    if task.state != "ready":
        raise _not_ready(task)
    if task.assignee is None:
        return task
    if task.assignee != user.name and not allows(user, ASSIGN_TASKS):
        raise Conflict(f"{task.assignee} holds this task; only they or a supervisor can hand it back",
                       {"assignee": task.assignee})
    before = task.assignee
    _change_if_held(task, before, assignee=None, claimed_at=None)
    trail.record("task_unclaimed", user.name, _complaint(task), task_id=task.id, bpmn_id=task.bpmn_id,
                 before=before)
    notifications.task_moved(_complaint(task), task, before, None, user.name)
    return task


def assign(task_id: str, user: User, assignee_name: str) -> HumanTask:
    """A supervisor gives a task to someone (or takes it).

    :raises Conflict: if the task was completed, or someone else reassigned or handed it back, first.
    """
    if not allows(user, ASSIGN_TASKS):
        raise Forbidden("only supervisors assign tasks")
    task = get_task(task_id, user)
    if task.state != "ready":
        raise _not_ready(task)
    assignee = get_user(assignee_name)
    _check_may_work(assignee, task, you=assignee.name == user.name)
    before = task.assignee
    _change_if_held(task, before, assignee=assignee.name, claimed_at=utcnow())
    trail.record("task_assigned", user.name, _complaint(task), task_id=task.id, bpmn_id=task.bpmn_id,
                 before=before, after=assignee.name)
    notifications.task_moved(_complaint(task), task, before, assignee.name, user.name)
    return task


def comment(task_id: str, user: User, body: str) -> Comment:
    task = get_task(task_id, user)
    if not body or not body.strip():
        raise BadRequest("a comment needs some text")
    complaint = _complaint(task)
    if complaint is None:
        raise Conflict("this task belongs to no complaint")
    return comments.add(complaint, user.name, body.strip(), task)


def complete(task_id: str, user: User, data: dict) -> HumanTask:
    """Complete a task you hold, with form data validated against its JSON Schema. An
    unclaimed task that is yours to take is claimed in the same change (as Camunda's
    complete allows), so a client needs one request, not two; if the completion fails,
    the claim is rolled back with it.

    :raises Conflict: if someone else holds it, or it is no longer ready; a supervisor's
        reassignment or hand-back that got there first is named ("this task was just
        reassigned to X").
    :raises ValidationFailed: with per-field messages.
    """
    task = get_task(task_id, user)
    if task.state != "ready":
        raise _not_ready(task)
    # The instance and its complaint in one query (the form, the trail and the engine need them).
    instance = db.session.execute(select(ProcessInstance).where(ProcessInstance.id == task.instance_id)
                                  .options(joinedload(ProcessInstance.complaint), incident_flag())).scalar_one()
    claiming = False  # the claim rides with the completion: one conditional UPDATE for both
    if task.assignee != user.name:
        if _taken_from(task, user):
            raise _moved(task)
        if task.assignee is not None:
            raise Conflict(f"only the assignee may complete this task ({task.assignee} holds it)",
                           {"assignee": task.assignee})
        _check_may_work(user, task)
        claiming = True
    if user.name in (task.excluded_users or []):
        raise Forbidden("you may not complete this task (a conflict of interest: ISO 10002 4.7)")
    independence.check(user.name, task, you=True)
    schema, _ui = forms.schemas_for(task)
    data = forms.with_defaults(schema, data)
    forms.validate_submission(schema, data)
    done = {"state": "completed", "completed_at": (now := utcnow()), "completed_by": user.name,
            "submitted_data": data, "answer_labels": forms.labels_of(schema)}
    if claiming:
        _take(task, user, now, **done)
    else:
        _change_if_held(task, user.name, **done)
    trail.record("task_completed", user.name, _complaint(task), task_id=task.id, bpmn_id=task.bpmn_id,
                 name=task.name, data=trail.for_trail(data, forms.free_text_fields(schema)))
    # Sent, so nobody's draft of it is needed any more (and its free text is not kept twice).
    db.session.execute(delete(TaskDraft).where(TaskDraft.task_id == task.id))
    # The engine gets codes, flags, dates and numbers; the words stay in the case file.
    routing = case_text.routing_values(data, case_text.task_pointer(task.id), forms.free_text_fields(schema),
                                       forms.declared_fields(schema))
    try:
        runtime.complete_task(instance, task.id, routing, user.name)
    except ProcessFailed as failed:
        failed.after_rollback = _keeping_answers(failed.after_rollback, task.id, user.name, data)
        raise
    return task


def _keeping_answers(keep: Callable[[], None] | None, task_id: str, user_name: str, data: dict) -> Callable[[], None]:
    """After a failed completion is rolled back, its answers stay as the person's draft of
    the task (its owner reads it back, export and erasure cover it), so neither they nor a
    supervisor's retry of the incident has to type them again."""

    def keep_answers() -> None:
        if keep is not None:
            keep()
        db.session.execute(delete(TaskDraft).where(TaskDraft.task_id == task_id, TaskDraft.user_name == user_name))
        db.session.add(TaskDraft(task_id=task_id, user_name=user_name, data=data, updated_at=utcnow()))

    return keep_answers


def list_tasks_for_complaint(complaint: Complaint) -> list[HumanTask]:
    return list(db.session.scalars(
        select(HumanTask).where(HumanTask.complaint_id == complaint.id).order_by(HumanTask.created_at)
    ))
