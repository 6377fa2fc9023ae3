"""What the complainant said: each message (a reply, a withdrawal) with its full text,
kept in the case file. The engine gets only the message's coded values."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import UTCDateTime


class CaseMessage(Model):
    __tablename__ = "case_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))  # the BPMN message name, e.g. complainant_reply
    sender: Mapped[str] = mapped_column(String(80))  # "complainant", or the staff member who recorded it
    channel: Mapped[str] = mapped_column(String(40), default="portal")  # portal, api, phone, letter, email, ...
    payload: Mapped[dict] = mapped_column(JSON, default=dict)  # as sent, text included
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
