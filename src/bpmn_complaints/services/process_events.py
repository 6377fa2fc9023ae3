"""What a complaint's process instance does, turned into the complaint's record: its
trail, the complainant-facing status, priority, category, response target and closure
(ISO 10002 7.3, 7.9, 8.4). The engine reports; this module decides what it means for
the complaint."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from ..business_calendar import business_calendar
from ..clock import utcnow
from ..db import trail
from ..engine.observer import Settled, Step
from ..extensions import db
from ..handlers.spec import ComplaintView
from ..logs import redact
from ..models import AuditEvent, Complaint, HumanTask, ProcessInstance
from . import case_text, independence, notifications
from .host import HostServices
from .status import change_status

STATUS_PROPERTY = "complaintStatus"  # the plain-language status the complainant sees
# What the engine reports that an operator must hear of (logs.py), with the complaint's reference.
LOGGED = {"incident": logging.ERROR, "retry_scheduled": logging.WARNING}
log = logging.getLogger(__name__)


class ComplaintObserver:
    """The observer of one instance, for the complaint it serves (if any)."""

    def __init__(self, complaint: Complaint | None):
        self.complaint = complaint
        self._timer_fired = False  # in this change: a task stopped now was stopped by its timer

    @classmethod
    def for_instance(cls, instance: ProcessInstance) -> ComplaintObserver:
        complaint = db.session.get(Complaint, instance.complaint_id) if instance.complaint_id else None
        return cls(complaint)

    def _log(self, action: str, bpmn_id: str | None, details: dict[str, Any]) -> None:
        reference = self.complaint.reference if self.complaint is not None else None
        log.log(LOGGED[action], "%s on %s at %s: %s", action, reference, bpmn_id, redact(details.get("message")),
                extra={"event": action, "complaint": reference, "bpmn_id": bpmn_id,
                       "handler": details.get("handler"), "attempts": details.get("attempts"),
                       "error": redact(details.get("message"))})

    def started(self, instance: ProcessInstance) -> None:
        instance.complaint_id = self.complaint.id if self.complaint is not None else None

    def record(self, action: str, actor: str, *, task_id: str | None = None, bpmn_id: str | None = None,
               **details: Any) -> None:
        payload = details.get("payload")
        if isinstance(payload, dict):
            # A message's words are in the case file; the trail proves them by fingerprint.
            words = {name: case_text.resolve(value) for name, value in payload.items()}
            details["payload"] = trail.for_trail(words, free_text=None)
        trail.record(action, actor, self.complaint, task_id=task_id, bpmn_id=bpmn_id, **details)
        if action in LOGGED:
            self._log(action, bpmn_id, details)
        if action == "task_cancelled" and task_id:
            row = db.session.get(HumanTask, task_id)
            if row is not None:
                notifications.task_stopped(self.complaint, row, by_timer=self._timer_fired)
        elif action == "incident":
            notifications.incident(self.complaint, details.get("handler") or bpmn_id or "")
        elif action == "message_received":
            notifications.complainant_replied(self.complaint, details.get("message", ""))

    def step_completed(self, step: Step) -> None:
        action = "timer_fired" if step.timer else "step_completed"
        self._timer_fired = self._timer_fired or step.timer
        self.record(action, "engine", task_id=step.task_id, bpmn_id=step.bpmn_id, name=step.name, type=step.type)
        # Automatic steps finish within one change; their status is passed through on the way.
        status = step.properties.get(STATUS_PROPERTY)
        if status and self.complaint is not None and not step.manual:
            change_status(self.complaint, status)

    def task_created(self, row: HumanTask) -> None:
        if self.complaint is not None:
            row.complaint_id, row.complaint_reference = self.complaint.id, self.complaint.reference
        reasons = independence.barred(row.assignee, row) if row.assignee else []
        if reasons:
            # The diagram's assignee is someone the task must be independent of (ISO 10002
            # 4.7): offer it to the group instead, and say why.
            self.record("assignee_excluded", "engine", task_id=row.id, bpmn_id=row.bpmn_id, user=row.assignee,
                        reasons=reasons)
            row.assignee, row.claimed_at = None, None
        # Whether the task comes back to its holder a second time matters only to a holder.
        second_round = bool(row.assignee) and row.complaint_id is not None and db.session.scalar(
            select(HumanTask.id).where(HumanTask.complaint_id == row.complaint_id, HumanTask.bpmn_id == row.bpmn_id,
                                       HumanTask.state == "completed").limit(1)) is not None
        notifications.task_created(self.complaint, row, second_round)

    def handler_context(self) -> tuple[ComplaintView | None, HostServices]:
        view = ComplaintView.of(self.complaint) if self.complaint is not None else None
        return view, HostServices(self.complaint)

    def settled(self, settled: Settled) -> None:
        complaint = self.complaint
        if complaint is None:
            return
        data = settled.data
        priority = data.get("priority")
        if isinstance(priority, str) and priority != complaint.priority:
            complaint.priority = priority
        category = data.get("category")
        if isinstance(category, str) and category and category != complaint.category:
            # The intake officer's classification replaces the complainant's own word for it
            # (it picks the investigator and feeds the clause-8 reports).
            trail.record("category_changed", "engine", complaint, before=complaint.category, after=category)
            complaint.category = category
        self._record_target(data.get("target_days"))
        if settled.ended:
            if complaint.state == "open":
                complaint.state = "closed"
                complaint.closed_at = utcnow()
                trail.record("complaint_closed", "engine", complaint, reason=complaint.closure_reason)
            change_status(complaint, "Closed")
            return
        status = settled.active_property(STATUS_PROPERTY)
        if status:
            change_status(complaint, status)

    def _record_target(self, target_days: Any) -> None:
        """Put the response target a diagram set (``target_days`` in task data, business
        days from receipt, or from the reopening, as the initial-assessment decision table
        and the reopen assessment do) in the trail
        when it is first set or changes, so reports can measure "closed within target"
        (ISO 10002 8.4) without opening workflow state."""
        complaint = self.complaint
        if complaint is None or not isinstance(target_days, int) or isinstance(target_days, bool):
            return
        # After a reopen the target counts from the reopening, and only its round's targets compare.
        reopened = db.session.execute(
            select(AuditEvent.id, AuditEvent.at).where(AuditEvent.complaint_id == complaint.id,
                                                      AuditEvent.action == "complaint_reopened")
            .order_by(AuditEvent.id.desc()).limit(1)).first()
        last = db.session.scalar(
            select(AuditEvent.details).where(AuditEvent.complaint_id == complaint.id,
                                             AuditEvent.action == "target_set",
                                             AuditEvent.id > (reopened.id if reopened else 0))
            .order_by(AuditEvent.id.desc()).limit(1))
        if last is not None and last.get("target_days") == target_days:
            return
        start = reopened.at if reopened else complaint.received_at
        target_at = business_calendar().add_business_days(start, target_days)
        trail.record("target_set", "engine", complaint, target_days=target_days, target_at=target_at.isoformat())
