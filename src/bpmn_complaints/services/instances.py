"""Messages to running complaints, and incidents."""

from sqlalchemy import select

from ..engine import runtime
from ..exceptions import Conflict, NotFound
from ..extensions import db
from ..models import Incident, ProcessInstance
from . import complaints


def send_message(reference: str, name: str, payload: dict, actor: str) -> ProcessInstance:
    """Correlate message ``name`` to the complaint with ``reference`` and deliver it."""
    complaint = complaints.get_by_reference(reference)
    instance = complaints.instance_of(complaint)
    if instance.status == "completed":
        raise Conflict(f"complaint {reference} is closed")
    runtime.send_message(instance, name, payload, actor)
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
