"""The plain-language status the complainant sees (ISO 10002 7.3)."""

from ..db import trail
from ..models import Complaint


def change_status(complaint: Complaint, status: str, actor: str = "engine") -> None:
    """Set the complainant-facing status, recording the change in the trail."""
    if complaint.status != status:
        trail.record("status_changed", actor, complaint, before=complaint.status, after=status)
        complaint.status = status
