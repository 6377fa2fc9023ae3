"""Workload per person (ISO 10002 4.3, 4.14): what each staff member holds, how much of
it is overdue, and what they finished lately. Reads only the human-task projection and
the users table; it never deserializes a workflow."""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, literal_column, select

from ..clock import utcnow
from ..extensions import db
from ..models import HumanTask, User
from ..models.task import DUE_KEY, HELD_SINCE, OPEN
from ..policy import WORK_TASKS, roles_for
from . import task_counts

RECENT_DAYS = 7


def workload() -> dict:
    """One row per staff member (active users with a staff or supervisor role, and anyone
    else still holding a task), the busiest first."""
    now = utcnow()
    held = task_counts.held()  # what each person holds, from the counts the database keeps
    users = {u.name: u for u in db.session.scalars(select(User))}
    # The roles named for working tasks: an admin is listed only while holding a task.
    names = sorted({name for name, u in users.items() if u.active and set(u.roles) & set(roles_for(WORK_TASKS))}
                   | set(held))
    figures = _figures(names, now, now - timedelta(days=RECENT_DAYS))
    people: list[dict[str, Any]] = []
    for name in names:
        user, (overdue, oldest, completed) = users.get(name), figures[name]
        people.append({
            "name": name, "display_name": (user.display_name if user else "") or name,
            "active": bool(user and user.active), "groups": user.groups if user else [],
            "held": held.get(name, 0), "overdue": overdue, "completed_recently": completed,
            "oldest_held_since": oldest,
            "oldest_held_seconds": int((now - oldest).total_seconds()) if oldest else None,
        })
    people.sort(key=lambda p: (-p["overdue"], -p["held"], p["name"]))
    return {"as_of": now, "recent_days": RECENT_DAYS, "people": people}


PEOPLE_PER_STATEMENT = 100


def _figures(names: list[str], now: datetime, since: datetime) -> dict[str, tuple[int, datetime | None, int]]:
    """Per person: how many of their open tasks are overdue (``ix_human_tasks_held``), since
    when they hold the oldest (``ix_human_tasks_held_since``) and how many tasks they
    completed since ``since`` (``ix_human_tasks_completed_by_at``): three index ranges of
    their own each, counted by the database, for up to 100 people a statement."""
    found = {}
    for start in range(0, len(names), PEOPLE_PER_STATEMENT):
        chunk = names[start:start + PEOPLE_PER_STATEMENT]
        columns = []
        for name in chunk:
            mine = (OPEN, HumanTask.assignee == name)
            columns += [select(func.count()).where(*mine, DUE_KEY < now).scalar_subquery(),
                        select(func.min(HELD_SINCE)).where(*mine).scalar_subquery(),
                        select(func.count()).where(HumanTask.state == literal_column("'completed'"),
                                                   HumanTask.completed_by == name,
                                                   HumanTask.completed_at >= since).scalar_subquery()]
        row = db.session.execute(select(*columns)).one()
        for i, name in enumerate(chunk):
            overdue, oldest, completed = row[3 * i:3 * i + 3]
            found[name] = (int(overdue or 0), oldest, int(completed or 0))
    return found
