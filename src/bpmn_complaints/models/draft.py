"""What a person has typed into a task's form but not yet sent: one draft per task and person."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import UTCDateTime


class TaskDraft(Model):
    """Kept apart from the task's submitted data and from the engine's task data: a draft is
    the person's own unfinished text, and only they read it back."""

    __tablename__ = "task_drafts"
    # Its index also serves the lookups and deletes by task.
    __table_args__ = (UniqueConstraint("task_id", "user_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("human_tasks.id", ondelete="CASCADE"))
    user_name: Mapped[str] = mapped_column(String(80))
    data: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
