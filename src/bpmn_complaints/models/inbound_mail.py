"""Mail that came in (`bpmn-complaints mail-in`): every one is kept as a row, matched to its
complaint or not, with what was read from it and why it went where it went."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .complaint import Complaint
from .types import UTCDateTime

# matched: a reply, in its complaint's case file; unmatched: kept for staff, no complaint
# found; new_complaint: it opened one; ignored: sent by a machine (auto-reply, bounce,
# list, our own mail), never answered; rejected: too large, malformed, or refused by the
# checks a new complaint passes.
INBOUND_STATUSES = ("matched", "unmatched", "new_complaint", "ignored", "rejected")


class InboundMail(Model):
    __tablename__ = "inbound_mails"

    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(10))  # smtp, lmtp, imap
    status: Mapped[str] = mapped_column(String(20), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id", ondelete="SET NULL"), index=True)
    # How it was matched: in_reply_to, references, reply_address, subject, body.
    matched_by: Mapped[str | None] = mapped_column(String(20))
    # The headers as read (what a person needs to judge it); personal data, erased with the complaint.
    message_id: Mapped[str | None] = mapped_column(String(250), index=True)
    envelope_from: Mapped[str | None] = mapped_column(String(320))
    envelope_to: Mapped[str | None] = mapped_column(Text)
    from_addr: Mapped[str | None] = mapped_column(String(320))
    from_name: Mapped[str | None] = mapped_column(String(200))
    subject: Mapped[str | None] = mapped_column(String(400))
    headers: Mapped[dict] = mapped_column(JSON, default=dict)
    body_text: Mapped[str | None] = mapped_column(Text)
    reply_text: Mapped[str | None] = mapped_column(Text)  # the new words, without the quoted letter
    attachment_ids: Mapped[list] = mapped_column(JSON, default=list)
    size: Mapped[int]
    # At most INBOUND_RAW_KEEP_BYTES of the mail as it came; raw_truncated says whether that was all.
    raw: Mapped[bytes | None] = mapped_column(LargeBinary)
    raw_truncated: Mapped[bool] = mapped_column(default=False)
    # Set when staff turned this reply into the complainant's decision (the message it became).
    case_message_id: Mapped[int | None] = mapped_column(ForeignKey("case_messages.id", ondelete="SET NULL"))
    decided_by: Mapped[str | None] = mapped_column(String(80))

    complaint: Mapped[Complaint | None] = relationship()
