"""Workload per person (ISO 10002 4.3, 4.14): what each staff member holds, how much of
it is overdue, and what they finished lately. Reads only the human-task projection and
the users table; it never deserializes a workflow."""

from collections import Counter
from datetime import timedelta
from typing import Any

from sqlalchemy import case, func, literal_column, select

from ..clock import utcnow
from ..extensions import db
from ..models import HumanTask, User
from ..models.task import DUE_KEY, OPEN
from ..policy import WORK_TASKS, roles_for

RECENT_DAYS = 7


def workload() -> dict:
    """One row per staff member (active users with a staff or supervisor role, and anyone
    else still holding a task), the busiest first."""
    now = utcnow()
    since = now - timedelta(days=RECENT_DAYS)
    held_since = func.coalesce(HumanTask.claimed_at, HumanTask.created_at)
    held = {row.assignee: row for row in db.session.execute(
        select(HumanTask.assignee, func.count().label("held"),
               func.sum(case((DUE_KEY < now, 1), else_=0)).label("overdue"),
               func.min(held_since).label("oldest"))
        .where(OPEN, HumanTask.assignee.is_not(None)).group_by(HumanTask.assignee))}
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
            "held": row.held if row else 0, "overdue": int(row.overdue or 0) if row else 0,
            "completed_recently": completed.get(name, 0),
            "oldest_held_since": row.oldest if row else None,
            "oldest_held_seconds": int((now - row.oldest).total_seconds()) if row else None,
        })
    people.sort(key=lambda p: (-p["overdue"], -p["held"], p["name"]))
    return {"as_of": now, "recent_days": RECENT_DAYS, "people": people}
