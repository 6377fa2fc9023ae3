"""The transactional outbox: emails written by handlers in the engine step's transaction
and delivered by the worker after commit.

A row is its own job: the worker takes due ``pending`` rows under a lock
(``lock_owner``/``lock_expires_at``), exactly as it takes timer jobs, so a worker that
dies mid-delivery leaves the row to be taken over when its lock expires.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .complaint import Complaint
from .types import UTCDateTime

OUTBOX_STATUSES = ("pending", "sent", "failed", "to_print", "posted")  # the last two: letters on paper


class OutboxMessage(Model):
    __tablename__ = "outbox_messages"
    # As for jobs (models/job.py): partial indexes for the pending emails nobody holds,
    # and for the leases on pending emails, so the worker finds its next wake in one probe.
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_free_due", "next_attempt_at",
              sqlite_where=text("status = 'pending' AND lock_expires_at IS NULL"),
              postgresql_where=text("status = 'pending' AND lock_expires_at IS NULL")),
        Index("ix_outbox_lock_expires", "lock_expires_at",
              sqlite_where=text("status = 'pending' AND lock_expires_at IS NOT NULL"),
              postgresql_where=text("status = 'pending' AND lock_expires_at IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The RFC 5322 Message-ID, fixed when the row is written: every delivery attempt of
    # this row carries it, so a receiver can drop a duplicate after a worker crash.
    message_id: Mapped[str] = mapped_column(String(250), unique=True)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id", ondelete="SET NULL"), index=True)
    template: Mapped[str] = mapped_column(String(100))
    to_addrs: Mapped[str] = mapped_column(Text)  # comma-separated
    subject: Mapped[str] = mapped_column(String(400))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lock_owner: Mapped[str | None] = mapped_column(String(120))
    lock_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    complaint: Mapped[Complaint | None] = relationship(lazy="joined")

    @property
    def recipients(self) -> list[str]:
        return [a for a in (s.strip() for s in self.to_addrs.split(",")) if a]
