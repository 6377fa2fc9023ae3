"""The bounded count of the complaints a staff member may see (``complaints.visible_to``),
read from the tasks' side: ranges of ``human_tasks`` indexes, each cut at the bound.

``visible_to`` admits a complaint when one of its tasks was held or completed by the person,
or is open in one of their groups. Asked of each complaint (an ``EXISTS`` over its tasks, as
the page and ``may_see`` ask it), a count up to the bound reads 2.5 complaints for each one
it counts when a person sees 40% of them, and every complaint when they see fewer than the
bound. The ranges here read only what they count."""

from sqlalchemy import case, func, literal, or_, select, union_all

from ..extensions import db
from ..models import Complaint, HumanTask, User
from ..models.task import INDEXES, OPEN
from . import paging, task_counts


def _first(index: str, bound: int, *where):
    """The first ``bound + 1`` distinct complaint ids of the tasks ``where`` admits, read from
    ``index`` in complaint order (named to SQLite, which has no statistics to tell it from
    the other indexes that cover it, services.tasks)."""
    query = (select(HumanTask.complaint_id).where(*where, HumanTask.complaint_id.is_not(None))
             .distinct().order_by(HumanTask.complaint_id).limit(bound + 1))
    return query.with_hint(HumanTask, f"INDEXED BY {index}", dialect_name="sqlite").subquery()


def _groups(user: User) -> list[str]:
    return user.groups or [""]  # as visible_to asks


def _visible_ranges(user: User, bound: int) -> list:
    """The complaints ``visible_to(user)`` admits through index ranges of ``human_tasks``
    read from the index alone in complaint order: each group's open unclaimed tasks, one
    range per value of the two independence flags that lead the complaint id in
    ``ix_human_tasks_unclaimed_count``, and the tasks the person held
    (``ix_human_tasks_assignee_complaint``) and completed (``ix_human_tasks_completed_by``).
    The rest of the rule, the groups' open tasks someone holds, no index has by complaint."""
    ranges = [_first("ix_human_tasks_unclaimed_count", bound, OPEN, HumanTask.assignee.is_(None),
                     HumanTask.candidate_group == group, HumanTask.excludes_workers == literal(workers),
                     HumanTask.exclude_entered_by == literal(entered))
              for group in _groups(user) for workers in (False, True) for entered in (False, True)]
    return ranges + [_first("ix_human_tasks_assignee_complaint", bound, HumanTask.assignee == user.name),
                     _first("ix_human_tasks_completed_by", bound, HumanTask.completed_by == user.name)]


def count(user: User, filters: list) -> tuple[int, bool] | None:
    """The bounded count of the complaints ``user`` may see (and ``filters`` keep), from
    the tasks' side, or None when only walking the complaints can tell.

    One statement reads each range of :func:`_visible_ranges` up to the bound from its index
    alone and stops at the first range over it: without filters that is "10,000+" (every
    complaint in a range is visible). Otherwise it asks whether anyone holds an open task of
    the person's groups (the lane's index alone, read up to one past the unclaimed tasks the
    database keeps counted). When no one does, the ranges are every complaint the rule
    admits, and a second statement counts their union (with the filters) exactly. A range
    over the bound under filters, or a held task in a group (no index has those by
    complaint, and reading them from the table cost more than the walk), is left to the walk.
    The two statements may see different moments: a claim between them can move a task out
    of the ranges, as one between the page and its count can."""
    bound = paging.count_bound()
    kept = task_counts.sums([(task_counts.UNCLAIMED, _groups(user))])
    unclaimed = {group: kept.get((task_counts.UNCLAIMED, group), 0) for group in _groups(user)}
    if filters and any(n > bound for n in unclaimed.values()):
        return None  # a group's range is over the bound (the kept counts say): the walk it is
    ranges = _visible_ranges(user, bound)

    def size(rows):
        return select(func.count()).select_from(rows.subquery()).scalar_subquery()

    over = or_(*(size(select(ids.c.complaint_id)) > bound for ids in ranges))
    held = or_(*(size(select(literal(1)).where(OPEN, HumanTask.candidate_group == group).limit(n + 1)
                      .with_hint(HumanTask, f"INDEXED BY {INDEXES['lane', 'created'].name}",
                                 dialect_name="sqlite")) > n
                 for group, n in unclaimed.items()))
    verdict = db.session.scalar(select(case((over, 1), (held, 2), else_=0)))
    if verdict == 1 and not filters:
        return bound, True
    if verdict:
        return None
    everything = union_all(*(select(ids.c.complaint_id) for ids in ranges)).subquery()
    found = db.session.scalar(select(func.count()).select_from(
        select(Complaint.id).where(Complaint.id.in_(select(everything.c.complaint_id)), *filters)
        .limit(bound + 1).subquery()))
    return (bound, True) if found > bound else (found, False)
