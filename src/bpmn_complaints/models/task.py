"""The human-task projection: one row per user or manual task that became ready.

The inbox reads only this table; it never deserializes a workflow. Rows are written in
the same transaction as the workflow state they mirror.
"""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .types import UTCDateTime

PRIORITY_RANK = {"urgent": 0, "high": 1, "normal": 2, "low": 3}


class HumanTask(Model):
    __tablename__ = "human_tasks"
    __table_args__ = (
        Index("ix_human_tasks_state_group", "state", "candidate_group"),
        Index("ix_human_tasks_state_due", "state", "due_at"),
    )

    # SpiffWorkflow's task UUID.
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"), index=True)
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


# The inbox's orderings (services.tasks.SORTS), each led by the state, so a page is read in
# index order and stops after its rows instead of sorting every open task; a deep page
# skips index entries, not sorted copies of wide rows. "My tasks" and the groups' unclaimed
# tasks (assignee IS NULL) are an equality prefix of the first.
_DUE_ORDER = (HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.priority_rank, HumanTask.id)
Index("ix_human_tasks_state_assignee", HumanTask.state, HumanTask.assignee, *_DUE_ORDER)
Index("ix_human_tasks_inbox_due", HumanTask.state, *_DUE_ORDER)
Index("ix_human_tasks_inbox_priority", HumanTask.state, HumanTask.priority_rank, HumanTask.due_at.is_(None),
      HumanTask.due_at, HumanTask.id)
Index("ix_human_tasks_inbox_created", HumanTask.state, HumanTask.created_at, HumanTask.id)
