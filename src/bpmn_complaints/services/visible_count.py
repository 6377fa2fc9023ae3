"""The bounded count of the complaints a staff member may see (``complaints.visible_to``),
read from the tasks' side: ranges of ``human_tasks`` indexes, each cut at the bound.

``visible_to`` admits a complaint when one of its tasks was held or completed by the person,
or is open in one of their groups. Asked of each complaint (an ``EXISTS`` over its tasks, as
the page and ``may_see`` ask it), a count up to the bound reads 2.5 complaints for each one
it counts when a person sees 40% of them, and every complaint when they see fewer than the
bound. The ranges here read only what they count."""

from typing import Any

from sqlalchemy import case, func, or_, select, union_all

from ..extensions import db
from ..models import Complaint, HumanTask, User
from ..models.task import OPEN
from . import paging


def _first(index: str, bound: int, *where):
    """The first ``bound + 1`` distinct complaint ids of the tasks ``where`` admits, read from
    ``index`` in complaint order (named to SQLite, which has no statistics to tell it from
    the other indexes that cover it, services.tasks)."""
    query = (select(HumanTask.complaint_id).where(*where, HumanTask.complaint_id.is_not(None))
             .distinct().order_by(HumanTask.complaint_id).limit(bound + 1))
    return query.with_hint(HumanTask, f"INDEXED BY {index}", dialect_name="sqlite").subquery()


def _groups(user: User) -> list[str]:
    return user.groups or [""]  # as visible_to asks


def _visible_ranges(user: User, bound: int) -> list[Any]:
    """The complaints ``visible_to(user)`` admits, as index ranges of ``human_tasks`` read
    from the index alone in complaint order: each group's open tasks, held or not
    (``ix_human_tasks_open_group_complaint``), and the tasks the person held
    (``ix_human_tasks_assignee_complaint``) and completed (``ix_human_tasks_completed_by``).
    Together they are the whole rule."""
    groups = [_first("ix_human_tasks_open_group_complaint", bound, OPEN, HumanTask.candidate_group == group)
              for group in _groups(user)]
    return groups + [_first("ix_human_tasks_assignee_complaint", bound, HumanTask.assignee == user.name),
                     _first("ix_human_tasks_completed_by", bound, HumanTask.completed_by == user.name)]


def count(user: User, filters: list) -> tuple[int, bool] | None:
    """The bounded count of the complaints ``user`` may see (and ``filters`` keep), from
    the tasks' side, or None when only walking the complaints can tell.

    The ranges of :func:`_visible_ranges`, each cut at the bound, are the rule: without
    filters, a range over the bound means "10,000+" (every complaint in it is visible), and
    otherwise the count of their union is exact; so is the union's count with the filters
    when no range was cut. Under filters, a range cut at the bound leaves out complaints
    the filters might keep: that is left to the walk. One statement, whatever the case:
    the ranges' sizes decide, in SQL, between the capped answer and the union's count."""
    bound = paging.count_bound()
    ranges = _visible_ranges(user, bound)

    def size(rows):
        return select(func.count()).select_from(rows.subquery()).scalar_subquery()

    over = or_(*(size(select(ids.c.complaint_id)) > bound for ids in ranges))
    everything = union_all(*(select(ids.c.complaint_id) for ids in ranges)).subquery()
    union = size(select(Complaint.id).where(Complaint.id.in_(select(everything.c.complaint_id)), *filters)
                 .limit(bound + 1))
    found = db.session.scalar(select(case((over, -1), else_=union)))
    if found is None or found < 0:
        return None if filters else (bound, True)
    return (bound, True) if found > bound else (found, False)
