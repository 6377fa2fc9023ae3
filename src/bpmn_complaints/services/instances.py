"""Messages to running complaints, and incidents."""

from sqlalchemy import select

from ..clock import utcnow
from ..engine import runtime
from ..exceptions import Conflict, NotFound
from ..extensions import db
from ..models import CaseMessage, Incident, ProcessInstance
from . import case_text, complaints


def send_message(reference: str, name: str, payload: dict, actor: str, channel: str | None = None,
                 correlation_key: str | None = None) -> ProcessInstance:
    """Correlate message ``name`` to the complaint with ``reference`` and deliver it to its
    one receiver there (chosen by ``correlation_key`` where the diagram declares one).
    ``channel`` is how it reached us (default: the portal for the complainant, else the API)."""
    complaint = complaints.get_by_reference(reference)
    instance = complaints.instance_of(complaint)
    if instance.status == "completed":
        raise Conflict(f"complaint {reference} is closed")
    # What the complainant wrote is kept in the case file; the engine gets its codes.
    channel = channel or ("portal" if actor == "complainant" else "api")
    message = CaseMessage(complaint_id=complaint.id, name=name, sender=actor, channel=channel, payload=payload,
                          received_at=utcnow())
    db.session.add(message)
    db.session.flush()
    routing = case_text.routing_values(payload, case_text.message_pointer(message.id))
    runtime.send_message(instance, name, routing, actor, correlation_key)
    return instance


def list_incidents(open_only=True) -> list[Incident]:
    query = select(Incident).order_by(Incident.id)
    if open_only:
        query = query.where(Incident.resolved_at.is_(None))
    return list(db.session.scalars(query))


def retry_incident(incident_id: int, actor: str) -> Incident:
    incident = db.session.get(Incident, incident_id)
    if incident is None:
        raise NotFound(f"no incident {incident_id}")
    if incident.resolved_at is not None:
        raise Conflict("this incident is already resolved")
    runtime.retry(incident.instance, actor)
    return incident
