"""A supervisor's repairs of a stranded complaint, each an audited change with a reason:
see where its process waits (variables, pending timers), set a variable, move a waiting
token, cancel it. Cancelling closes it as ``cancelled``, its own closure reason: a
complaint stopped by staff is never recorded as withdrawn by the complainant."""

from __future__ import annotations

import json
import keyword
from typing import Any

from flask import current_app
from sqlalchemy import select

from ..clock import utcnow
from ..db import trail
from ..engine import repair, runtime
from ..exceptions import BadRequest, Conflict
from ..extensions import db
from ..models import Complaint, Incident, ProcessInstance, User
from ..policy import INSPECT_INSTANCES, REPAIR_INSTANCES
from . import complaints
from .staff_actions import complaint_for

CANCELLED = "cancelled"  # the closure reason of a complaint a supervisor stopped
REASON_MAX = 2000


def _running(complaint: Complaint) -> ProcessInstance:
    instance = complaints.instance_of(complaint)
    if complaint.state != "open" or instance.status == "completed":
        raise Conflict(f"complaint {complaint.reference} is closed; its process can no longer be repaired")
    return instance


def _reason(reason: str | None) -> str:
    text = " ".join((reason or "").split())
    if not text:
        raise BadRequest("say why: a repair needs a reason", {"reason": ["required"]})
    if len(text) > REASON_MAX:
        raise BadRequest(f"keep the reason under {REASON_MAX} characters", {"reason": ["too long"]})
    return text


def state(reference: str, user: User) -> dict[str, Any]:
    """Where the complaint's process waits, the variables there and its pending timers."""
    complaint = complaint_for(reference, user, INSPECT_INSTANCES, "see a complaint's process state")
    instance = complaints.instance_of(complaint)
    found = repair.state_of(instance)
    return {"status": instance.status, "definition": f"{instance.definition.key} v{instance.definition.version}",
            "tokens": found.tokens, "variables": found.variables, "timers": found.timers}


def set_variable(reference: str, user: User, name: str, value: Any, reason: str | None) -> Complaint:
    """Set process variable ``name`` to ``value`` (a JSON value: codes, flags, dates and
    numbers, never a person's words) where the complaint waits.

    :raises BadRequest: for a name that is no identifier, a value too large, or no reason.
    :raises Conflict: if the complaint is closed.
    """
    complaint = complaint_for(reference, user, REPAIR_INSTANCES, "set a complaint's variables")
    why = _reason(reason)
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_"):
        raise BadRequest("a variable name is a plain identifier (letters, digits and _, not first _)",
                         {"name": ["not an identifier"]})
    if len(json.dumps(value)) > current_app.config["REPAIR_VALUE_MAX_CHARS"]:
        raise BadRequest("this value is too large for a process variable", {"value": ["too large"]})
    repair.set_variable(_running(complaint), name, value, user.name, why)
    return complaint


def move_token(reference: str, user: User, from_element: str, to_element: str, reason: str | None) -> Complaint:
    """Move the token waiting at ``from_element`` to ``to_element`` and let the process run on.

    :raises Conflict: if the complaint is closed or the move is impossible (named).
    :raises ProcessFailed: if the process fails on its way from ``to_element`` (nothing moves).
    """
    complaint = complaint_for(reference, user, REPAIR_INSTANCES, "move a complaint's process")
    why = _reason(reason)
    repair.move(_running(complaint), from_element, to_element, user.name, why)
    return complaint


def cancel(reference: str, user: User, reason: str | None) -> Complaint:
    """Stop the complaint's process and close it as ``cancelled``, for ``reason``; its open
    incidents are resolved by the cancellation.

    :raises Conflict: if the complaint is already closed.
    """
    complaint = complaint_for(reference, user, REPAIR_INSTANCES, "cancel a complaint")
    why = _reason(reason)
    instance = _running(complaint)
    complaint.closure_reason = CANCELLED
    trail.record("complaint_cancelled", user.name, complaint, reason=why)
    now = utcnow()
    for incident in db.session.scalars(select(Incident).where(Incident.instance_id == instance.id,
                                                              Incident.resolved_at.is_(None))):
        incident.resolved_at, incident.resolved_by = now, user.name
        trail.record("incident_resolved", user.name, complaint, task_id=incident.task_id, bpmn_id=incident.bpmn_id,
                     incident_id=incident.id, by="cancellation")
    runtime.cancel(instance, user.name, CANCELLED)
    return complaint
