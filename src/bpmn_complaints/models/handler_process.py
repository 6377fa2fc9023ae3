"""Which handlers each running web and worker process has loaded, and from which
distribution: deploy checks a diagram's bindings against it."""

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import UTCDateTime


class HandlerProcess(Model):
    __tablename__ = "handler_processes"

    id: Mapped[int] = mapped_column(primary_key=True)
    process: Mapped[str] = mapped_column(String(200), unique=True)  # host:pid
    kind: Mapped[str] = mapped_column(String(20))  # web or worker
    handlers: Mapped[dict] = mapped_column(JSON, default=dict)  # name -> where it came from
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
