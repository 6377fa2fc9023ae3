"""A complaint's content lives here, never in workflow task data."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .types import UTCDateTime


class Complaint(Model):
    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    # Every suffix of the reference, for the full-text index (see models.search_index).
    reference_suffixes: Mapped[str] = mapped_column(Text, default="", server_default="")
    status_token_hash: Mapped[str] = mapped_column(String(64))  # of the token in links (older complaints' too)
    # The short code the complainant reads out (see bpmn_complaints.status_code).
    status_code: Mapped[str | None] = mapped_column(String(10))
    # Receipt (ISO 10002 7.2)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))  # none for a complainant reached by post
    postal_address: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(40))
    product: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[str | None] = mapped_column(String(100), index=True)
    description: Mapped[str] = mapped_column(Text)
    remedy_sought: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(40), default="web")
    preferred_contact: Mapped[str | None] = mapped_column(String(40))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # Indexed: the group inbox leaves out what a person entered themselves (independence).
    entered_by: Mapped[str | None] = mapped_column(String(80), index=True)
    # Tracking (7.3): the plain-language status the complainant sees, and the outcome.
    status: Mapped[str] = mapped_column(String(200), default="Received")
    state: Mapped[str] = mapped_column(String(20), default="open", index=True)
    priority: Mapped[str | None] = mapped_column(String(20))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closure_reason: Mapped[str | None] = mapped_column(String(100))
    # Closed as a duplicate of another complaint (a staff action); both pages link the pair.
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"), index=True)

    comments: Mapped[list["Comment"]] = relationship(
        back_populates="complaint", order_by="Comment.id", cascade="all, delete-orphan"
    )


class Comment(Model):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[str | None] = mapped_column(String(36))
    author: Mapped[str] = mapped_column(String(80))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    complaint: Mapped[Complaint] = relationship(back_populates="comments")
