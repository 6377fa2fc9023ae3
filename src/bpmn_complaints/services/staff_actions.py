"""What staff do on a complaint's page, each a named, audited action (ISO 10002 7.3):
record a reply or withdrawal that came by phone, letter, email or in person, and correct
the complainant's contact details."""

from __future__ import annotations

from typing import Any

from ..db import trail
from ..exceptions import Forbidden
from ..models import Complaint, User
from ..policy import CORRECT_CONTACT_DETAILS, RECORD_REPLIES, allows
from . import complaints, instances

# What the complainant said -> the message the portal would send, and "accepted".
REPLIES: dict[str, tuple[str, bool | None]] = {
    "accept": ("complainant_reply", True),
    "dissatisfied": ("complainant_reply", False),
    "withdraw": ("complainant_withdrew", None),
}
CHANNELS = ("phone", "letter", "email", "in_person")
CONTACT_FIELDS = ("name", "email", "phone", "preferred_contact")


def _complaint_for(reference: str, user: User, permission: Any, what: str) -> Complaint:
    complaint = complaints.get_by_reference(reference)
    complaints.check_visible(user, complaint)
    if not allows(user, permission):
        raise Forbidden(f"you may not {what}")
    return complaint


def record_reply(reference: str, user: User, kind: str, text: str, channel: str) -> Complaint:
    """Record what the complainant told us by ``channel``: it becomes the same message the
    portal sends, with their words, and the trail says who recorded it.

    :raises Conflict: if the complaint is not waiting for that reply now.
    """
    complaint = _complaint_for(reference, user, RECORD_REPLIES, "record a complainant's reply")
    name, accepted = REPLIES[kind]
    payload: dict[str, Any] = {"comment": text} if accepted is None else {"accepted": accepted, "comment": text}
    instances.send_message(reference, name, payload, user.name, channel=channel)
    trail.record("reply_recorded", user.name, complaint, message=name, kind=kind, channel=channel)
    return complaint


def correct_contact(reference: str, user: User, changes: dict[str, Any]) -> list[str]:
    """Correct the complainant's name and contact details; returns the fields changed.
    The trail names the fields, never their values (personal data)."""
    complaint = _complaint_for(reference, user, CORRECT_CONTACT_DETAILS, "correct contact details")
    changed = []
    for name in CONTACT_FIELDS:
        if name in changes and (changes[name] or None) != (getattr(complaint, name) or None):
            setattr(complaint, name, changes[name] or None)
            changed.append(name)
    if changed:
        trail.record("contact_corrected", user.name, complaint, fields=changed)
    return changed
