"""The human-task projection: one row per user or manual task that became ready.

The inbox reads only this table; it never deserializes a workflow. Rows are written in
the same transaction as the workflow state they mirror.
"""

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ColumnElement, Computed, ForeignKey, Index, String, Text, false, func, literal_column, text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .types import UTCDateTime

if TYPE_CHECKING:
    from .instance import ProcessInstance

PRIORITY_RANK = {"urgent": 0, "high": 1, "normal": 2, "low": 3}


class NoDue(ColumnElement[datetime]):
    """The due date that sorts a task without one after every other (9999-12-31 UTC), as a
    literal written the way each database stores the column, so that ``due_key`` compares
    with a cursor's bound value (:data:`NO_DUE`) as equal."""

    type = UTCDateTime()
    inherit_cache = True


@compiles(NoDue)
def _no_due(element, compiler, **kw):
    return "'9999-12-31 00:00:00+00'"


@compiles(NoDue, "sqlite")
def _no_due_sqlite(element, compiler, **kw):
    return "'9999-12-31 00:00:00.000000'"


class HumanTask(Model):
    __tablename__ = "human_tasks"
    # SpiffWorkflow's task UUID.
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"), index=True)
    # Only for the unit of work's order: an instance created in the same change (its id
    # taken before its row is written, engine/runtime.py) is inserted before this row.
    instance: Mapped["ProcessInstance"] = relationship("ProcessInstance")
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"), index=True)
    complaint_reference: Mapped[str | None] = mapped_column(String(32))
    bpmn_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(400))
    lane: Mapped[str | None] = mapped_column(String(80))
    candidate_group: Mapped[str | None] = mapped_column(String(80))
    # "ready", "completed" or "cancelled" (e.g. an interrupting timer or a withdrawal).
    state: Mapped[str] = mapped_column(String(20), default="ready")
    assignee: Mapped[str | None] = mapped_column(String(80))
    excluded_users: Mapped[list] = mapped_column(JSON, default=list)
    # Independence (ISO 10002 4.7), as the diagram declares it: whoever entered the complaint
    # may not work this task, nor whoever completed a task of an element in ``independent_of``.
    exclude_entered_by: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Whether ``independent_of`` has rows: the group inbox looks them up only when it does.
    excludes_workers: Mapped[bool] = mapped_column(default=False, server_default=false())
    independent_of: Mapped[list["TaskIndependence"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="TaskIndependence.bpmn_id")
    priority: Mapped[str] = mapped_column(String(20), default="normal")
    priority_rank: Mapped[int] = mapped_column(default=2)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When to look at the task again (Camunda's follow-up date); the due date is the deadline.
    follow_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The due date as the inbox sorts it, computed by the database: never NULL (a task
    # without one sorts after every date), so a cursor is a plain row comparison, "overdue"
    # and "not overdue" are ranges of one indexed column, and PostgreSQL counts them from
    # the index alone. Never written by us (VIRTUAL on SQLite, STORED on PostgreSQL).
    due_key: Mapped[datetime | None] = mapped_column(
        UTCDateTime, Computed(func.coalesce(literal_column("due_at"), NoDue())))
    form_schema: Mapped[str | None] = mapped_column(String(400))
    form_ui_schema: Mapped[str | None] = mapped_column(String(400))
    instructions: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by: Mapped[str | None] = mapped_column(String(80))
    submitted_data: Mapped[dict | None] = mapped_column(JSON)
    # What the form showed when it was completed: {"fields": {name: label},
    # "choices": {name: {value: title}}}, so the case file reads as the person saw it.
    answer_labels: Mapped[dict | None] = mapped_column(JSON)


class TaskIndependence(Model):
    """One element whose workers may not work the task (``excludeWorkersOf``): rows, not a
    list in a column, so the inbox can leave the task out for them in SQL."""

    __tablename__ = "human_task_independence"

    task_id: Mapped[str] = mapped_column(ForeignKey("human_tasks.id", ondelete="CASCADE"), primary_key=True)
    bpmn_id: Mapped[str] = mapped_column(String(200), primary_key=True)


# The inbox reads open tasks through partial indexes (``WHERE state = 'ready'``): a task
# leaves them when it is completed or cancelled, so they hold only what is open, however
# long the history grows. A query uses them only when its WHERE names the same predicate
# as literal SQL (``OPEN``), which a bound parameter would not be on either database.
OPEN_SQL = "state = 'ready'"
OPEN = HumanTask.state == literal_column("'ready'")
UNCLAIMED_SQL = "state = 'ready' AND assignee IS NULL"


NO_DUE = datetime(9999, 12, 31, tzinfo=UTC)
DUE_KEY = HumanTask.due_key

# The orderings of services.tasks.SORTS, each for every open task, for one person's
# ("My tasks"), for one lane (the lane filter) and for one group's unclaimed tasks (the
# group tab, one index range per group). Each ends with the id, so a page is stable.
ORDERINGS: dict[str, tuple[Any, ...]] = {
    "due": (DUE_KEY, HumanTask.priority_rank, HumanTask.id),
    "priority": (HumanTask.priority_rank, DUE_KEY, HumanTask.id),
    "created": (HumanTask.created_at, HumanTask.id),
}
_SCOPES: tuple[tuple[str, tuple[Any, ...], str], ...] = (
    ("open", (), OPEN_SQL), ("mine", (HumanTask.assignee,), OPEN_SQL),
    ("lane", (HumanTask.candidate_group,), OPEN_SQL), ("unclaimed", (HumanTask.candidate_group,), UNCLAIMED_SQL))
# By (scope, sort): the group tab names its index to SQLite (services.tasks.list_tasks).
INDEXES: dict[tuple[str, str], Index] = {}
for _sort, _keys in ORDERINGS.items():
    for _scope, _lead, _where in _SCOPES:
        INDEXES[_scope, _sort] = Index(f"ix_human_tasks_{_scope}_{_sort}", *_lead, *_keys,
                                       sqlite_where=text(_where), postgresql_where=text(_where))
# Counting a group's unclaimed tasks (the group tab) and what each person holds (the
# workload page) from the index alone: every column those counts read.
Index("ix_human_tasks_unclaimed_count", HumanTask.candidate_group, HumanTask.excludes_workers,
      HumanTask.exclude_entered_by, HumanTask.complaint_id, HumanTask.id,
      sqlite_where=text(UNCLAIMED_SQL), postgresql_where=text(UNCLAIMED_SQL))
Index("ix_human_tasks_held", HumanTask.assignee, HumanTask.due_key, HumanTask.claimed_at, HumanTask.created_at,
      sqlite_where=text(OPEN_SQL), postgresql_where=text(OPEN_SQL))
# When each open task was taken (claimed, or made with its assignee): the workload page
# seeks each person's oldest here.
HELD_SINCE = func.coalesce(HumanTask.claimed_at, HumanTask.created_at)
Index("ix_human_tasks_held_since", HumanTask.assignee, HELD_SINCE,
      sqlite_where=text(OPEN_SQL), postgresql_where=text(OPEN_SQL))
# The open unclaimed tasks with an independence rule, by complaint: the group tab looks up
# the complaints a person worked on or entered here (services.independence.barred_count).
RULED_SQL = {"sqlite": "state = 'ready' AND assignee IS NULL AND (excludes_workers = 1 OR exclude_entered_by = 1)",
             "postgresql": "state = 'ready' AND assignee IS NULL AND (excludes_workers OR exclude_entered_by)"}
Index("ix_human_tasks_ruled", HumanTask.complaint_id, HumanTask.candidate_group,
      sqlite_where=text(RULED_SQL["sqlite"]), postgresql_where=text(RULED_SQL["postgresql"]))
# Whose complaints a person may open (services.complaints.visible_to) over the whole
# history: the tasks they held or completed.
Index("ix_human_tasks_assignee_complaint", HumanTask.assignee, HumanTask.complaint_id)
# ... and each group's open tasks, held or not, by complaint (the count of what a person's
# groups may open, services.visible_count).
Index("ix_human_tasks_open_group_complaint", HumanTask.candidate_group, HumanTask.complaint_id,
      sqlite_where=text(OPEN_SQL), postgresql_where=text(OPEN_SQL))
Index("ix_human_tasks_completed_by", HumanTask.completed_by, HumanTask.complaint_id)
# What each person finished lately (the workload page): each person's completions by date.
Index("ix_human_tasks_completed_by_at", HumanTask.completed_by, HumanTask.completed_at,
      sqlite_where=text("state = 'completed'"), postgresql_where=text("state = 'completed'"))
# Completions by date (the reports).
Index("ix_human_tasks_completed_at", HumanTask.completed_at, HumanTask.completed_by,
      sqlite_where=text("state = 'completed'"), postgresql_where=text("state = 'completed'"))
