"""The auditor's sample (ISO 10002 8.5): a reproducible random draw of complaints closed
in a period, each with a checklist saying whether every step happened, and in time.

Everything comes from the complaints table, the audit trail, the human-task projection,
the process instance's definition and its incidents. The checklist holds references,
codes, staff user names, element ids and dates, never the complainant's personal data.
Targets and business days are the management report's (:mod:`.reports`), so an auditor
and the report agree on what "within target" means.
"""

import random
from datetime import date, datetime

from sqlalchemy import select

from ..business_calendar import business_calendar
from ..db import trail
from ..extensions import db
from ..models import AuditEvent, Complaint, Definition, HumanTask, Incident, ProcessInstance
from .reports import midnight, targets

PASS, FAIL, NOT_APPLICABLE = "pass", "fail", "not_applicable"
PATH_ACTIONS = ("step_completed", "timer_fired", "task_completed")
DEFAULT_SIZE = 10


def default_seed(start: date, end: date) -> str:
    """The seed when the auditor gives none: the period itself, so two auditors asking
    for the same period draw the same complaints."""
    return f"{start.isoformat()}/{end.isoformat()}"


def sample(start: date, end: date, size: int = DEFAULT_SIZE, seed: str | None = None) -> dict:
    """Draw ``size`` complaints closed in ``[start, end)`` (all of them if there are no
    more) and check each one.

    :param seed: any text; the same seed and period always draw the same complaints.
    """
    seed = seed or default_seed(start, end)
    since, until = midnight(start), midnight(end)
    closed = (Complaint.closed_at >= since) & (Complaint.closed_at < until)
    population = db.session.scalars(select(Complaint.reference).where(closed).order_by(Complaint.reference)).all()
    drawn = sorted(random.Random(seed).sample(population, min(size, len(population))))
    complaints = db.session.scalars(select(Complaint).where(Complaint.reference.in_(drawn))
                                    .order_by(Complaint.reference)).all()
    target_of = targets(Complaint.reference.in_(drawn), until)
    calendar = business_calendar()
    checked = [_checklist(c, target_of.get(c.id), calendar) for c in complaints]
    return {
        "period": {"start": start, "end": end}, "seed": seed, "size": size,
        "population": len(population), "with_failures": sum(1 for c in checked if not c["passed"]),
        "complaints": checked,
    }


def _check(name: str, label: str, result: str, reason: str, at: datetime | None = None) -> dict:
    return {"check": name, "label": label, "result": result, "reason": reason, "at": at}


def _checklist(complaint: Complaint, target: datetime | None, calendar) -> dict:
    stream = trail.stream_for(complaint)
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.stream == stream).order_by(AuditEvent.seq)).all()
    created = next((e.task_id for e in events if e.action == "task_created"), None)
    first_task = db.session.get(HumanTask, created) if created else None
    # A reopened complaint has an instance per round: the first names the version it was
    # handled under, and the incidents of every round count.
    instances = select(ProcessInstance.id).where(ProcessInstance.complaint_id == complaint.id)
    first = db.session.scalar(select(ProcessInstance).where(ProcessInstance.complaint_id == complaint.id)
                              .order_by(ProcessInstance.id).limit(1))
    definition = db.session.get(Definition, first.definition_id) if first else None
    incidents = db.session.scalars(select(Incident).where(Incident.instance_id.in_(instances))
                                   .order_by(Incident.id)).all()
    responses = [e for e in events if e.action == "response_delivered"]
    checks = [
        _chain(stream),
        _acknowledged(complaint, events, calendar),
        _assessed(complaint, first_task),
        _responded(complaint, responses),
        _within_target(responses, target),
        _reply(events, responses),
        _closure(complaint, events),
        _survey(events),
        _version(definition),
        _incidents(incidents),
        _independence(complaint, events),
    ]
    return {
        "reference": complaint.reference, "received_at": complaint.received_at, "closed_at": complaint.closed_at,
        "closure_reason": complaint.closure_reason, "priority": complaint.priority, "category": complaint.category,
        "target_at": target,
        "definition": {"key": definition.key, "version": definition.version} if definition else None,
        "path": [{"bpmn_id": e.bpmn_id, "name": e.details.get("name"), "at": e.at, "by": e.actor}
                 for e in events if e.action in PATH_ACTIONS],
        "incidents": [{"bpmn_id": i.bpmn_id, "handler": i.handler, "attempts": i.attempts,
                       "created_at": i.created_at, "resolved_at": i.resolved_at} for i in incidents],
        "checks": checks,
        "passed": all(c["result"] != FAIL for c in checks),
    }


def _chain(stream: str) -> dict:
    problems = trail.verify(stream)
    if problems:
        return _check("chain_intact", "Audit trail intact", FAIL, "; ".join(problems))
    return _check("chain_intact", "Audit trail intact", PASS, "every event's hash matches and follows the one before")


def _acknowledged(complaint: Complaint, events, calendar) -> dict:
    label = "Acknowledged"
    event = next((e for e in events if e.action == "acknowledged"), None)
    if event is None:
        return _check("acknowledged", label, FAIL, "no acknowledgement in the trail")
    days = calendar.business_days_between(complaint.received_at, event.at)
    return _check("acknowledged", label, PASS, f"{days} business day(s) after receipt", event.at)


def _assessed(complaint: Complaint, first: HumanTask | None) -> dict:
    """The complaint's first human task (the first created in its trail, which orders
    tasks created in the same instant) is its initial assessment (ISO 10002 7.5)."""
    label = "Assessed"
    if first is None:
        if complaint.closure_reason == "withdrawn":
            return _check("assessed", label, NOT_APPLICABLE, "withdrawn before any task was created")
        return _check("assessed", label, FAIL, "no assessment task was ever created")
    if first.state == "completed":
        return _check("assessed", label, PASS, f"{first.name} ({first.bpmn_id}) completed by {first.completed_by}",
                      first.completed_at)
    if complaint.closure_reason == "withdrawn":
        return _check("assessed", label, NOT_APPLICABLE, f"withdrawn before {first.bpmn_id} was completed")
    return _check("assessed", label, FAIL, f"{first.bpmn_id} is {first.state}, not completed")


def _responded(complaint: Complaint, responses) -> dict:
    label = "Response delivered"
    if not responses:
        if complaint.closure_reason == "withdrawn":
            return _check("response_delivered", label, NOT_APPLICABLE, "withdrawn: no response was due")
        return _check("response_delivered", label, FAIL, "closed without a response in the trail")
    kinds = ", ".join(e.details.get("kind") or "response" for e in responses)
    return _check("response_delivered", label, PASS, f"sent: {kinds}", responses[-1].at)


def _within_target(responses, target: datetime | None) -> dict:
    """The last response sent (the final one) against the target as it stood at the end
    of the period, as the management report counts it."""
    label = "Within target"
    if not responses:
        return _check("within_target", label, NOT_APPLICABLE, "no response was sent")
    if target is None:
        return _check("within_target", label, FAIL, "no target in the trail (target_set or acknowledgement)")
    last = responses[-1]
    if last.at <= target:
        return _check("within_target", label, PASS, f"last response by the target of {target:%Y-%m-%d %H:%M} UTC",
                      last.at)
    return _check("within_target", label, FAIL, f"last response after the target of {target:%Y-%m-%d %H:%M} UTC",
                  last.at)


def _reply(events, responses) -> dict:
    """After a decision the complainant replies, or stays silent until a timer fires."""
    label = "Complainant's reply"
    decision = next((e for e in responses if e.details.get("kind") == "decision"), None)
    if decision is None:
        return _check("complainant_reply", label, NOT_APPLICABLE, "no decision asked for a reply")
    after = [e for e in events if e.seq > decision.seq]
    answer = next((e for e in after if e.action == "message_received"
                   and e.details.get("message") == "complainant_reply"), None)
    if answer is not None:
        accepted = (answer.details.get("payload") or {}).get("accepted")
        said = "accepted the decision" if accepted is True else "was not satisfied"
        return _check("complainant_reply", label, PASS, f"replied: {said}", answer.at)
    silence = next((e for e in after if e.action == "timer_fired"), None)
    if silence is not None:
        return _check("complainant_reply", label, PASS, f"no reply: {silence.bpmn_id} fired", silence.at)
    return _check("complainant_reply", label, FAIL, "neither a reply nor the end of the waiting time is recorded")


def _closure(complaint: Complaint, events) -> dict:
    label = "Closure reason"
    closed = next((e for e in events if e.action == "complaint_closed"), None)
    if not complaint.closure_reason:
        return _check("closure_reason", label, FAIL, "closed without a reason code")
    if closed is None:
        return _check("closure_reason", label, FAIL, f"{complaint.closure_reason}, but no closure in the trail")
    return _check("closure_reason", label, PASS, complaint.closure_reason, closed.at)


def _survey(events) -> dict:
    label = "Survey requested"
    requested = next((e for e in events if e.action == "feedback_requested"), None)
    if requested is None:
        return _check("survey_requested", label, FAIL, "no satisfaction survey was sent")
    return _check("survey_requested", label, PASS, "satisfaction survey sent", requested.at)


def _version(definition: Definition | None) -> dict:
    label = "Process version"
    if definition is None:
        return _check("process_version", label, FAIL, "no process instance is recorded")
    return _check("process_version", label, PASS, f"{definition.key} version {definition.version}")


def _incidents(incidents) -> dict:
    label = "Incidents"
    if not incidents:
        return _check("incidents", label, PASS, "none")
    open_ = [i for i in incidents if i.resolved_at is None]
    if open_:
        return _check("incidents", label, FAIL, f"{len(open_)} of {len(incidents)} unresolved")
    return _check("incidents", label, PASS, f"{len(incidents)}, all resolved")


def _independence(complaint: Complaint, events) -> dict:
    """Each task created under an independence rule (ISO 10002 4.7) was completed by someone
    the rule allowed. The rule is the one its ``task_created`` event recorded, so the check
    reads the tamper-evident trail alone, under the rule the task was really created with."""
    label = "Independence"
    completions = [e for e in events if e.action == "task_completed"]
    done = {e.task_id: e for e in completions}
    ruled = [e for e in events if e.action == "task_created" and e.task_id in done
             and (e.details.get("independent_of") or e.details.get("exclude_entered_by"))]
    if not ruled:
        return _check("independence", label, NOT_APPLICABLE, "no task completed under an independence rule")
    problems = []
    for created in ruled:
        task = done[created.task_id]
        if created.details.get("exclude_entered_by") and task.actor == complaint.entered_by:
            problems.append(f"{task.actor} entered the complaint and completed {task.bpmn_id}")
        for element in created.details.get("independent_of") or []:
            if any(e.actor == task.actor and e.bpmn_id == element and e.task_id != task.task_id for e in completions):
                problems.append(f"{task.actor} completed both {element} and {task.bpmn_id}")
    if problems:
        return _check("independence", label, FAIL, "; ".join(dict.fromkeys(problems)))
    steps = ", ".join(dict.fromkeys(e.bpmn_id for e in ruled))
    return _check("independence", label, PASS, f"each done by someone its rule allows: {steps}")
