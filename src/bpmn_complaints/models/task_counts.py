"""What the inbox tabs and the workload page count, kept by the database as tasks change.

``task_counts`` holds deltas: a trigger on ``human_tasks`` adds a row for each count a row's
insert, update or delete moves (``+1``, ``-1``), in the statement that moves it, so a change
pays no statement of its own and no count can drift from the rows it counts. A count is the
sum of its key's rows; the worker's ``task_counts`` job (services/task_counts.py) folds the
rows into one per key now and then. Rows are only ever inserted by a change, never updated,
so two changes never wait for each other on a hot counter (every new complaint's first task
is in the same group) and cannot deadlock over two of them.

The counts (``kind``, ``key``), each of open tasks (``state = 'ready'``):

- ``open``, ``''``: every open task (the supervisor's "All tasks");
- ``held``, a user name: the open tasks they hold ("My tasks", the workload page);
- ``unclaimed``, a group: its unclaimed tasks. The group tab takes away those whose
  independence rule bars the person asking (services/independence.py), found from what
  that person did;
- ``ruled``, a group: those of its unclaimed tasks with an independence rule, so a group
  with none (the intake, say) costs the group tab no look at anyone's history;
- ``due <day>``, a user name: the open tasks they hold that are due on that day (UTC,
  ``YYYY-MM-DD``; a task without a due date is in none). The workload page's overdue count
  is the sum of the days before today plus today's tasks due before now, counted from the
  rows (services/workload.py), so it costs what a person's days do, not their tasks;
- ``done <day>``, a user name: the tasks they completed that day (UTC): the workload page's
  "completed in the last 7 days" sums the days after the first and counts the first day's
  rows from that moment on. The fold drops the days older than ``DONE_KEPT_DAYS``, which
  nothing reads.

The day is in the kind so that all of one kind's days are one range of the index
(``kind, key``), read in one statement for everyone on the page; a user name (80
characters) fills the key.

The triggers are created with the ``human_tasks`` table (and by the migration), like the
full-text index's (models/search_index.py).
"""

from datetime import date, timedelta

from sqlalchemy import BigInteger, Connection, Index, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .task import HumanTask

OPEN, HELD, UNCLAIMED, RULED = "open", "held", "unclaimed", "ruled"
# The prefixes of the per-day kinds: ``due 2026-12-03``, ``done 2026-12-03``.
DUE, DONE = "due ", "done "
# How many days back the fold keeps the ``done`` days (the workload page reads the last 7).
DONE_KEPT_DAYS = 35


class TaskCount(Model):
    __tablename__ = "task_counts"
    __table_args__ = (Index("ix_task_counts_key", "kind", "key", "n"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(80))
    n: Mapped[int] = mapped_column(Integer)


def _day(dialect: str, value: str) -> str:
    """The UTC day (``YYYY-MM-DD``) of a timestamp column: SQLite stores it as text that
    starts with it (models/types.py), PostgreSQL as a ``timestamptz``."""
    if dialect == "postgresql":
        return f"to_char({value} AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
    return f"substr({value}, 1, 10)"


def _contributions(row: str, sign: int, dialect: str) -> str:
    """SELECTs of the counts one ``human_tasks`` row (``new`` or ``old``) is in, each ``sign``."""
    ready = f"{row}.state = 'ready'"
    return " UNION ALL ".join((
        f"SELECT '{OPEN}' AS kind, '' AS key, {sign} AS n WHERE {ready}",
        f"SELECT '{HELD}', {row}.assignee, {sign} WHERE {ready} AND {row}.assignee IS NOT NULL",
        f"SELECT '{UNCLAIMED}', {row}.candidate_group, {sign} WHERE {ready} AND {row}.assignee IS NULL"
        f" AND {row}.candidate_group IS NOT NULL",
        f"SELECT '{RULED}', {row}.candidate_group, {sign} WHERE {ready} AND {row}.assignee IS NULL"
        f" AND {row}.candidate_group IS NOT NULL AND ({row}.excludes_workers OR {row}.exclude_entered_by)",
        f"SELECT '{DUE}' || {_day(dialect, f'{row}.due_at')}, {row}.assignee, {sign} WHERE {ready}"
        f" AND {row}.assignee IS NOT NULL AND {row}.due_at IS NOT NULL",
        f"SELECT '{DONE}' || {_day(dialect, f'{row}.completed_at')}, {row}.completed_by, {sign}"
        f" WHERE {row}.state = 'completed' AND {row}.completed_by IS NOT NULL AND {row}.completed_at IS NOT NULL",
    ))


def _moves(dialect: str, *rows: tuple[str, int]) -> str:
    """One INSERT of what moves, netted per count (a task edited in place moves nothing)."""
    parts = " UNION ALL ".join(_contributions(row, sign, dialect) for row, sign in rows)
    return (f"INSERT INTO task_counts (kind, key, n) SELECT kind, key, sum(n) FROM ({parts}) AS moved "
            f"GROUP BY kind, key HAVING sum(n) <> 0")


# The columns a count depends on: an update of any other (a draft's label, a priority) fires nothing.
COUNTED = ("state", "assignee", "candidate_group", "excludes_workers", "exclude_entered_by", "due_at",
           "completed_by", "completed_at")
_CHANGED = " OR ".join(f"old.{c} IS NOT new.{c}" for c in COUNTED)
_PG_CHANGED = " OR ".join(f"old.{c} IS DISTINCT FROM new.{c}" for c in COUNTED)
TRIGGERS = ("task_counts_ai", "task_counts_au", "task_counts_ad")
# The rows a count is kept for: the open ones, and the completed ones (``done``).
_COUNTED_STATES = "IN ('ready', 'completed')"

_SQLITE = (
    f"CREATE TRIGGER IF NOT EXISTS task_counts_ai AFTER INSERT ON human_tasks WHEN new.state {_COUNTED_STATES} "
    f"BEGIN {_moves('sqlite', ('new', 1))}; END",
    f"CREATE TRIGGER IF NOT EXISTS task_counts_au AFTER UPDATE OF {', '.join(COUNTED)} ON human_tasks "
    f"WHEN {_CHANGED} BEGIN {_moves('sqlite', ('old', -1), ('new', 1))}; END",
    f"CREATE TRIGGER IF NOT EXISTS task_counts_ad AFTER DELETE ON human_tasks WHEN old.state {_COUNTED_STATES} "
    f"BEGIN {_moves('sqlite', ('old', -1))}; END",
)
_POSTGRES = (
    f"""CREATE OR REPLACE FUNCTION task_counts_moved() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN {_moves('postgresql', ('new', 1))};
      ELSIF TG_OP = 'DELETE' THEN {_moves('postgresql', ('old', -1))};
      ELSE {_moves('postgresql', ('old', -1), ('new', 1))};
      END IF;
      RETURN NULL;
    END $$""",
    "CREATE OR REPLACE TRIGGER task_counts_ai AFTER INSERT ON human_tasks FOR EACH ROW "
    f"WHEN (new.state {_COUNTED_STATES}) EXECUTE FUNCTION task_counts_moved()",
    f"CREATE OR REPLACE TRIGGER task_counts_au AFTER UPDATE OF {', '.join(COUNTED)} ON human_tasks FOR EACH ROW "
    f"WHEN ({_PG_CHANGED}) EXECUTE FUNCTION task_counts_moved()",
    "CREATE OR REPLACE TRIGGER task_counts_ad AFTER DELETE ON human_tasks FOR EACH ROW "
    f"WHEN (old.state {_COUNTED_STATES}) EXECUTE FUNCTION task_counts_moved()",
)


def create_triggers(connection: Connection) -> None:
    for statement in _POSTGRES if connection.dialect.name == "postgresql" else _SQLITE:
        connection.exec_driver_sql(statement)


def drop_triggers(connection: Connection) -> None:
    postgres = connection.dialect.name == "postgresql"
    for name in TRIGGERS:
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}" + (" ON human_tasks" if postgres else ""))
    if postgres:
        connection.exec_driver_sql("DROP FUNCTION IF EXISTS task_counts_moved()")


def every_count(dialect: str) -> str:
    """The counts of every row of ``human_tasks``, one SELECT of (kind, key, n) per row and count."""
    return _contributions("t", 1, dialect).replace(" WHERE ", " FROM human_tasks AS t WHERE ")


def rebuild(connection: Connection) -> None:
    """Count every task again, from nothing (the migration, a bulk load without the
    triggers): one row per count."""
    connection.exec_driver_sql("DELETE FROM task_counts")
    connection.exec_driver_sql(f"INSERT INTO task_counts (kind, key, n) SELECT kind, key, sum(n) "
                               f"FROM ({every_count(connection.dialect.name)}) AS every_count GROUP BY kind, key")


def compact(connection: Connection, today: date | None = None) -> int:
    """Fold each count's rows into one; returns how many rows were folded. Given ``today``,
    first drop the ``done`` days more than ``DONE_KEPT_DAYS`` before it.

    PostgreSQL deletes the rows this statement sees and inserts their sums in the same
    statement: a change still in flight keeps its rows (its ids may be lower than those
    folded), and two workers folding at once fold each row once. SQLite has one writer at
    a time, so the rows up to the highest id are all there is."""
    if today is not None:
        oldest = (today - timedelta(days=DONE_KEPT_DAYS)).isoformat()
        connection.exec_driver_sql(f"DELETE FROM task_counts WHERE kind >= '{DONE}' AND kind < '{DONE}{oldest}'")
    if connection.dialect.name == "postgresql":
        folded = connection.exec_driver_sql(
            "WITH gone AS (DELETE FROM task_counts RETURNING kind, key, n), "
            "summed AS (INSERT INTO task_counts (kind, key, n) SELECT kind, key, sum(n) FROM gone "
            "GROUP BY kind, key HAVING sum(n) <> 0) SELECT count(*) FROM gone").scalar()
        return int(folded or 0)
    last = connection.exec_driver_sql("SELECT max(id) FROM task_counts").scalar()
    if last is None:
        return 0
    connection.exec_driver_sql(
        "INSERT INTO task_counts (kind, key, n) SELECT kind, key, sum(n) FROM task_counts "
        f"WHERE id <= {int(last)} GROUP BY kind, key HAVING sum(n) <> 0")
    return connection.exec_driver_sql(f"DELETE FROM task_counts WHERE id <= {int(last)}").rowcount


@event.listens_for(HumanTask.__table__, "after_create")
def _after_create(_table: object, connection: Connection, **_kw: object) -> None:
    create_triggers(connection)


@event.listens_for(HumanTask.__table__, "before_drop")
def _before_drop(_table: object, connection: Connection, **_kw: object) -> None:
    drop_triggers(connection)
