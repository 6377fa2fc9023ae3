"""The append-only, hash-chained audit trail.

Events form one chain per stream (``complaint:<reference>`` or ``system``). Each event
stores the hash of the one before it in its stream; a unique (stream, seq) pair makes a
concurrent writer that raced for the same position fail and retry, so a chain never forks.
"""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import UTCDateTime


class AuditEvent(Model):
    __tablename__ = "audit_events"
    __table_args__ = (UniqueConstraint("stream", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    stream: Mapped[str] = mapped_column(String(80))
    seq: Mapped[int]
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(60), index=True)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id", ondelete="SET NULL"), index=True)
    task_id: Mapped[str | None] = mapped_column(String(36))
    bpmn_id: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # How ``hash`` was made: "hmac-sha256:<key id>" (sealed with the trail's key, which is
    # not in the database), or NULL for an event written before the trail was keyed (a
    # plain SHA-256, which anyone could recompute).
    scheme: Mapped[str | None] = mapped_column(String(40))
