"""Messages to running complaints, and incidents."""

from sqlalchemy import select

from ..clock import utcnow
from ..db import trail
from ..engine import runtime
from ..engine.incidents import incident_flag
from ..exceptions import Conflict, NotFound
from ..extensions import db
from ..models import CaseMessage, Complaint, HumanTask, Incident, ProcessInstance, TaskDraft
from . import case_text, complaints, tasks
from .users import get_user


def send_message(reference: str, name: str, payload: dict, actor: str, channel: str | None = None,
                 correlation_key: str | None = None) -> ProcessInstance:
    """Correlate message ``name`` to the complaint with ``reference`` and deliver it to its
    one receiver there (chosen by ``correlation_key`` where the diagram declares one).
    ``channel`` is how it reached us (default: the portal for the complainant, else the API)."""
    complaint = complaints.get_by_reference(reference)
    instance = complaints.instance_of(complaint, incident_flag())
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


def open_incident_complaints(complaint_ids: set[int]) -> set[int]:
    """Which of ``complaint_ids`` have an open incident (one query, for a page of rows)."""
    if not complaint_ids:
        return set()
    return set(db.session.scalars(
        select(ProcessInstance.complaint_id).join(Incident, Incident.instance_id == ProcessInstance.id)
        .where(ProcessInstance.complaint_id.in_(complaint_ids), Incident.resolved_at.is_(None)).distinct()))


def retry_incident(incident_id: int, actor: str) -> Incident:
    """Run the failed step again: a step the engine ran (service task, timer, job) as it
    was; a person's completion that was rolled back with the answers they sent (kept as
    their draft); a failed message is delivered again by sending it again.

    :raises NotFound: for no such incident.
    :raises Conflict: if it is resolved, its complaint is closed, or there is nothing to run again.
    :raises ProcessFailed: if a completion fails once more (its incident counts the attempt).
    """
    incident = db.session.get(Incident, incident_id)
    if incident is None:
        raise NotFound(f"no incident {incident_id}")
    if incident.resolved_at is not None:
        raise Conflict("this incident is already resolved")
    instance = incident.instance
    complaint = db.session.get(Complaint, instance.complaint_id) if instance.complaint_id else None
    if instance.status == "completed" or (complaint is not None and complaint.state != "open"):
        raise Conflict("this complaint is closed: its incident can no longer be retried")
    if incident.kind == "message":
        raise Conflict(f"a message that failed is delivered again by sending it again "
                       f"({(incident.payload or {}).get('message')!r}); the incident is resolved when it goes through")
    trail.record("incident_retried", actor, complaint, task_id=incident.task_id, bpmn_id=incident.bpmn_id,
                 incident_id=incident.id, kind=incident.kind)
    if incident.kind == "completion":
        _complete_again(incident)
        if incident.resolved_at is not None:
            incident.resolved_by = actor
    else:
        runtime.retry(instance, actor)
    return incident


def _complete_again(incident: Incident) -> None:
    task = db.session.get(HumanTask, incident.task_id) if incident.task_id else None
    if task is None or task.state != "ready" or not task.assignee:
        raise Conflict("the task of this incident is no longer waiting to be completed by the person who sent it")
    draft = db.session.scalar(select(TaskDraft).where(TaskDraft.task_id == task.id,
                                                      TaskDraft.user_name == task.assignee))
    if draft is None:
        raise Conflict(f"{task.assignee}'s answers are no longer kept; they complete the task again")
    tasks.complete(task.id, get_user(task.assignee), dict(draft.data))
