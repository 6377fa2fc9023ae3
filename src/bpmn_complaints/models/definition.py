"""Deployed process definition versions."""

from datetime import datetime

from sqlalchemy import JSON, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import UTCDateTime


class Definition(Model):
    """One deployed version: the BPMN, DMN and form files exactly as deployed."""

    __tablename__ = "definitions"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), index=True)
    version: Mapped[int]
    name: Mapped[str] = mapped_column(String(400), default="")
    sha256: Mapped[str] = mapped_column(String(64))
    # The bundle's content (100 KB and more) loads only when read: an instance load joins
    # its version's row for the key and hash the parsed-spec cache needs, never the files.
    files: Mapped[dict] = mapped_column(JSON, deferred=True)
    deployed_by: Mapped[str] = mapped_column(String(80))
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime)
