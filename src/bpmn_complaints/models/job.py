"""Deferred work: timer and retry jobs, taken by workers under a lease."""

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .types import UTCDateTime

if TYPE_CHECKING:
    from .instance import ProcessInstance


class Job(Model):
    __tablename__ = "jobs"
    # The two partial indexes answer the worker's "when is the next job free to take?"
    # (worker/leases.py): the earliest due job nobody holds, and the earliest lease to
    # expire, each without reading the rows the other one covers.
    __table_args__ = (
        Index("ix_jobs_due", "due_at"),
        Index("ix_jobs_free_due", "due_at", sqlite_where=text("lock_expires_at IS NULL"),
              postgresql_where=text("lock_expires_at IS NULL")),
        Index("ix_jobs_lock_expires", "lock_expires_at", sqlite_where=text("lock_expires_at IS NOT NULL"),
              postgresql_where=text("lock_expires_at IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    instance_id: Mapped[int | None] = mapped_column(
        ForeignKey("process_instances.id", ondelete="CASCADE"), index=True
    )
    # Only for the unit of work's order: an instance created in the same change (its id
    # taken before its row is written, engine/runtime.py) is inserted before this row.
    instance: Mapped["ProcessInstance | None"] = relationship("ProcessInstance")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lock_owner: Mapped[str | None] = mapped_column(String(120))
    lock_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
