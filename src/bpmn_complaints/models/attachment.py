"""Files attached to a complaint as evidence (ISO 10002 7.6): the row that links stored content to it."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import UTCDateTime


class Attachment(Model):
    """One file on one complaint. The content lives outside the database, named by its
    SHA-256 (``services/file_store.py``); identical content is kept once however many
    complaints hold it, and once per complaint."""

    __tablename__ = "attachments"
    __table_args__ = (UniqueConstraint("complaint_id", "sha256", name="uq_attachments_complaint_content"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int]
    # The type found in the content (never the one the uploader claimed).
    content_type: Mapped[str] = mapped_column(String(120))
    # The name as given, cleaned for display and downloads only; personal data, erased with the row.
    filename: Mapped[str] = mapped_column(String(255))
    # "complainant", or the staff member's name.
    uploaded_by: Mapped[str] = mapped_column(String(80))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Where it came in: complaint_form, status_page, reply, api, staff_page, staff_api.
    surface: Mapped[str] = mapped_column(String(20))
