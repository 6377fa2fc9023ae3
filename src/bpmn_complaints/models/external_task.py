"""External tasks (Camunda 7's): service tasks bound by topic that wait for a worker outside
this application, which fetches and locks them over the REST API; and the topics each
integration account may work on."""

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .types import UTCDateTime

if TYPE_CHECKING:
    from .instance import ProcessInstance


class ExternalTask(Model):
    __tablename__ = "external_tasks"
    __table_args__ = (Index("ix_external_tasks_topic_due", "topic", "due_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # a UUID, the API's task id
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"), index=True)
    # Only for the unit of work's order: an instance created in the same change (its id
    # taken before its row is written, engine/runtime.py) is inserted before this row.
    instance: Mapped["ProcessInstance"] = relationship("ProcessInstance")
    task_id: Mapped[str] = mapped_column(String(36))  # the waiting service task in the workflow
    bpmn_id: Mapped[str] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)  # fetchable from (a failure's retry timeout)
    worker_id: Mapped[str | None] = mapped_column(String(200))
    lock_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retries: Mapped[int | None] = mapped_column()  # None until a worker reports a failure
    error_message: Mapped[str | None] = mapped_column(Text)
    error_details: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class IntegrationTopic(Model):
    """A topic an ``integration`` account's tokens may fetch and complete."""

    __tablename__ = "integration_topics"
    __table_args__ = (UniqueConstraint("user_id", "topic"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    topic: Mapped[str] = mapped_column(String(200))
