"""Workers' heartbeats: each running ``bpmn-complaints worker`` keeps one row, so that
readiness can say when no worker has been seen for a while, and writers know when the
sleeping workers will next look for work (and need not wake them for later work)."""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import UTCDateTime


class WorkerHeartbeat(Model):
    __tablename__ = "worker_heartbeats"

    owner: Mapped[str] = mapped_column(String(120), primary_key=True)  # host:pid, as on the leases
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When the worker, asleep, will next look for work; NULL while it is awake.
    next_wake_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
