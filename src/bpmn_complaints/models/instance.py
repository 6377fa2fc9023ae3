"""Process instances (serialized SpiffWorkflow state) and their incidents."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from ..extensions import Model
from .complaint import Complaint
from .definition import Definition
from .types import UTCDateTime

STATUSES = ("running", "waiting", "error", "completed")


class ProcessInstance(Model):
    __tablename__ = "process_instances"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int | None] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), index=True
    )  # a reopened complaint has one instance per round; the newest is the live one
    definition_id: Mapped[int] = mapped_column(ForeignKey("definitions.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="running", index=True)
    state: Mapped[str] = mapped_column(Text)
    serializer_version: Mapped[str] = mapped_column(String(20))
    # Optimistic concurrency: SQLAlchemy issues UPDATE ... WHERE id=? AND version=?.
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Whether the instance has an open incident, when the query that loaded it asked
    # (``engine.incidents.WITH_INCIDENT_FLAG``); ``None`` when it did not: look them up.
    has_open_incidents: Mapped[bool | None] = query_expression()

    definition: Mapped[Definition] = relationship(lazy="joined")
    complaint: Mapped[Complaint | None] = relationship(viewonly=True)

    __mapper_args__ = {"version_id_col": version}


INCIDENT_KINDS = ("engine", "completion", "message")


class Incident(Model):
    """A failed step that needs a person: shown, and retryable.

    ``kind`` says what failed: ``engine`` a step the engine or worker ran (a service task,
    a timer, a job: the instance is in ``error``); ``completion`` or ``message`` a person's
    change (completing task ``task_id``, delivering the message ``payload["message"]``) that
    was rolled back, by ``actor``.
    """

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[str | None] = mapped_column(String(36))
    bpmn_id: Mapped[str | None] = mapped_column(String(200))
    handler: Mapped[str | None] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20), default="engine", server_default="engine")
    actor: Mapped[str | None] = mapped_column(String(80))
    payload: Mapped[dict | None] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(80))

    instance: Mapped[ProcessInstance] = relationship()

    @property
    def complaint_reference(self) -> str | None:
        complaint = self.instance.complaint
        return complaint.reference if complaint is not None else None
