"""Workload per person (ISO 10002 4.3, 4.14): what each staff member holds, how much of
it is overdue, and what they finished lately. Reads only the human-task projection, the
counts the database keeps of it (models/task_counts.py) and the users table; it never
deserializes a workflow.

Its cost does not grow with how many tasks people hold or finish. The held count, the
tasks due on a day before today and the completions on the days after the first of the
last seven are kept counts, read in one statement; what is left is counted from the rows
in a second one, per person: today's tasks due before now (or, after noon, today's kept
count less those due later today), and the first day's completions from that moment on
(an index range within one day each), and the oldest held task (one index seek)."""

from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import String, func, literal, literal_column, select, union_all

from ..clock import utcnow
from ..extensions import db
from ..models import HumanTask, TaskCount, User
from ..models.task import DUE_KEY, HELD_SINCE, OPEN
from ..models.task_counts import DUE
from ..policy import WORK_TASKS, roles_for
from . import task_counts

RECENT_DAYS = 7


def workload() -> dict:
    """One row per staff member (active users with a staff or supervisor role, and anyone
    else still holding a task), the busiest first."""
    now = utcnow()
    since = now - timedelta(days=RECENT_DAYS)
    today = _midnight(now)
    # The first day's completions from ``since`` on are counted from the rows, the days after it are kept.
    first_day_ends = _midnight(since) + timedelta(days=1)
    kept = task_counts.people(today.date(), first_day_ends.date())
    users = {u.name: u for u in db.session.scalars(select(User))}
    # The roles named for working tasks: an admin is listed only while holding a task.
    names = sorted({name for name, u in users.items() if u.active and set(u.roles) & set(roles_for(WORK_TASKS))}
                   | {name for name, (held, _overdue, _done) in kept.items() if held})
    figures = _figures(names, now, today, since, first_day_ends)
    people: list[dict[str, Any]] = []
    for name in names:
        user, (due_today, oldest, done_first_day) = users.get(name), figures[name]
        held, overdue_before_today, done_after = kept.get(name, (0, 0, 0))
        people.append({
            "name": name, "display_name": (user.display_name if user else "") or name,
            "active": bool(user and user.active), "groups": user.groups if user else [],
            "held": held, "overdue": overdue_before_today + due_today,
            "completed_recently": done_first_day + done_after,
            "oldest_held_since": oldest,
            "oldest_held_seconds": int((now - oldest).total_seconds()) if oldest else None,
        })
    people.sort(key=lambda p: (-p["overdue"], -p["held"], p["name"]))
    return {"as_of": now, "recent_days": RECENT_DAYS, "people": people}


def _midnight(moment: datetime) -> datetime:
    """The start of ``moment``'s day (UTC), the edge of the counts' days."""
    return datetime.combine(moment.date(), time(), tzinfo=moment.tzinfo)


PEOPLE_PER_STATEMENT = 100


def _due_today(person: Any, mine: tuple[Any, ...], now: datetime, today: datetime) -> Any:
    """How many of ``person``'s open tasks are due today before ``now``, from the shorter
    part of the day: before noon the range from midnight to now, after it today's kept
    count less the range from now to midnight (both in the one statement, so on one
    snapshot)."""
    tomorrow = today + timedelta(days=1)
    if now - today < tomorrow - now:
        return select(func.count()).where(*mine, DUE_KEY >= today, DUE_KEY < now).scalar_subquery()
    kept = (select(func.coalesce(func.sum(TaskCount.n), 0))
            .where(TaskCount.kind == f"{DUE}{today.date().isoformat()}", TaskCount.key == person).scalar_subquery())
    later = select(func.count()).where(*mine, DUE_KEY >= now, DUE_KEY < tomorrow).scalar_subquery()
    return kept - later


def _figures(names: list[str], now: datetime, today: datetime, since: datetime,
             first_day_ends: datetime) -> dict[str, tuple[int, datetime | None, int]]:
    """Per person: how many of their open tasks are due today before ``now``
    (``_due_today``, ``ix_human_tasks_held``), since when they hold the oldest (``ix_human_tasks_held_since``)
    and how many tasks they completed from ``since`` to the end of its day
    (``ix_human_tasks_completed_by_at``): three index ranges of their own each, none
    longer than a day, counted by the database, for up to 100 people a statement. The
    names are a derived table the three subqueries refer to, so PostgreSQL plans three
    subqueries however many people there are (a column of its own per person cost 0.15 ms
    of planning each)."""
    found = {}
    for start in range(0, len(names), PEOPLE_PER_STATEMENT):
        chunk = names[start:start + PEOPLE_PER_STATEMENT]
        person = union_all(*(select(literal(name, String).label("name")) for name in chunk)).subquery("people").c.name
        mine = (OPEN, HumanTask.assignee == person)
        rows = db.session.execute(select(
            person,
            _due_today(person, mine, now, today),
            select(func.min(HELD_SINCE)).where(*mine).scalar_subquery(),
            select(func.count()).where(HumanTask.state == literal_column("'completed'"),
                                       HumanTask.completed_by == person, HumanTask.completed_at >= since,
                                       HumanTask.completed_at < first_day_ends).scalar_subquery()))
        for name, due_today, oldest, completed in rows:
            found[name] = (int(due_today or 0), oldest, int(completed or 0))
    return found
