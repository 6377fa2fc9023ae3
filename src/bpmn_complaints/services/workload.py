"""Workload per person (ISO 10002 4.3, 4.14): what each staff member holds, how much of
it is overdue, and what they finished lately. Reads only the human-task projection and
the users table; it never deserializes a workflow."""

from collections import Counter
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
    since = now - timedelta(days=RECENT_DAYS)
    # What each person holds, from the counts the database keeps; how much of it is
    # overdue and since when the oldest was held, from two short index ranges per person.
    counts = task_counts.held()
    held = {name: (n, *_held_figures(name, now)) for name, n in counts.items()}
    # Read from the index of completions by date and counted here: a GROUP BY would
    # tempt SQLite into walking every completion ever, in completed_by order.
    completed = Counter(db.session.scalars(
        select(HumanTask.completed_by)
        .where(HumanTask.state == literal_column("'completed'"), HumanTask.completed_at >= since)))
    users = {u.name: u for u in db.session.scalars(select(User))}
    # The roles named for working tasks: an admin is listed only while holding a task.
    names = {name for name, u in users.items() if u.active and set(u.roles) & set(roles_for(WORK_TASKS))} | set(held)
    people: list[dict[str, Any]] = []
    for name in names:
        user, row = users.get(name), held.get(name)
        people.append({
            "name": name, "display_name": (user.display_name if user else "") or name,
            "active": bool(user and user.active), "groups": user.groups if user else [],
            "held": row[0] if row else 0, "overdue": row[1] if row else 0,
            "completed_recently": completed.get(name, 0),
            "oldest_held_since": row[2] if row else None,
            "oldest_held_seconds": int((now - row[2]).total_seconds()) if row and row[2] else None,
        })
    people.sort(key=lambda p: (-p["overdue"], -p["held"], p["name"]))
    return {"as_of": now, "recent_days": RECENT_DAYS, "people": people}


def _held_figures(name: str, now: datetime) -> tuple[int, datetime | None]:
    """How many of ``name``'s open tasks are overdue (``ix_human_tasks_held``), and since
    when they have held the oldest (``ix_human_tasks_held_since``), in one statement."""
    mine = (OPEN, HumanTask.assignee == name)
    overdue = select(func.count()).where(*mine, DUE_KEY < now).scalar_subquery()
    oldest = select(func.min(HELD_SINCE)).where(*mine).scalar_subquery()
    row = db.session.execute(select(overdue, oldest)).one()
    return int(row[0] or 0), row[1]
