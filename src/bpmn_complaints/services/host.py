"""What the host offers built-in handlers through ``ctx.services``."""

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask import current_app
from jinja2 import TemplateError
from sqlalchemy import func, select

from ..business_calendar import BusinessCalendar, business_calendar
from ..clock import utcnow
from ..db import trail
from ..extensions import db
from ..handlers.spec import HandlerIncident, StaffMember
from ..mail import enqueue, links, to_complainant
from ..models import Complaint, HumanTask, OutboxMessage, User
from ..models.task import OPEN
from . import case_text
from .status import change_status
from .users import group_members

if TYPE_CHECKING:
    from ..handlers import spec


class HostServices:
    """The :class:`..handlers.spec.HostServices` of one complaint's engine step."""

    def __init__(self, complaint: Complaint | None):
        self.complaint = complaint

    def now(self) -> datetime:
        return utcnow()

    def calendar(self) -> BusinessCalendar:
        return business_calendar()

    def text(self, value: Any) -> Any:
        """The words a case-file pointer in task data stands for (see :mod:`.case_text`);
        any other value as it is."""
        return case_text.resolve(value)

    def setting(self, key: str) -> Any:
        """A configuration value (e.g. ``PUBLIC_BASE_URL``)."""
        return current_app.config.get(key)

    def record(self, action: str, **details: Any) -> None:
        """Append an event to the complaint's audit trail."""
        trail.record(action, "engine", self.complaint, **details)

    def email(self, to: str | list[str] | None, template: str, **context: Any) -> OutboxMessage:
        """Queue an email in the outbox, in this step's transaction (see :func:`..mail.enqueue`).
        To the complaint's complainant when they have no email address but a postal one,
        it becomes a letter to print (:func:`..mail.enqueue_letter`).

        :raises HandlerIncident: if the template is missing or broken, or an address is bad.
        """
        complaint = self.complaint
        try:
            if not to and complaint is not None:
                return to_complainant(complaint, template, **context)
            return enqueue(to or [], template, complaint, **context)
        except (TemplateError, ValueError) as err:
            raise HandlerIncident(f"the {template!r} email could not be written: {type(err).__name__}: {err}") from err

    def status_token(self) -> str | None:
        """The token in the complaint's status links (``None`` without a complaint)."""
        return links.status_token(self.complaint) if self.complaint is not None else None

    def _reference(self, link: str) -> str:
        if self.complaint is None:
            raise HandlerIncident(f"{link} needs a complaint, and this process instance has none")
        return self.complaint.reference

    def status_link(self) -> str:
        return links.status_link(self._reference("status_link"), self.status_token())

    def staff_link(self) -> str:
        return links.staff_link(self._reference("staff_link"))

    def feedback_link(self) -> str:
        return links.feedback_link(self._reference("feedback_link"))

    def group_members(self, group: str) -> list[User]:
        return group_members(group)

    def task_performers(self, group: str) -> set[str]:
        """Who completed a task of this complaint that was offered to ``group``."""
        complaint = self.complaint
        if complaint is None:
            return set()
        return set(db.session.scalars(
            select(HumanTask.completed_by).where(HumanTask.complaint_id == complaint.id,
                                                 HumanTask.candidate_group == group,
                                                 HumanTask.completed_by.is_not(None))))

    def named_in_complaint(self, user: StaffMember) -> bool:
        """Whether ``user`` is the complainant or is named in the complaint's text."""
        complaint = self.complaint
        if complaint is None:
            return False
        if user.email and complaint.email and user.email.lower() == complaint.email.lower():
            return True
        text = " ".join(filter(None, (complaint.name, complaint.description, complaint.remedy_sought)))
        names = {n for n in (user.name, user.display_name) if n and len(n) > 2}
        return any(re.search(rf"(?<!\w){re.escape(n)}(?!\w)", text, re.IGNORECASE) for n in names)

    def open_workload(self, names: list[str]) -> dict[str, int]:
        """How many ready tasks each named user holds."""
        rows = db.session.execute(
            select(HumanTask.assignee, func.count()).where(OPEN, HumanTask.assignee.in_(names))
            .group_by(HumanTask.assignee)
        )
        counts = {name: 0 for name in names}
        counts.update({name: n for name, n in rows})
        return counts

    def close_complaint(self, reason: str) -> None:
        complaint = self.complaint
        if complaint is None or complaint.state != "open":
            return
        complaint.state, complaint.closed_at, complaint.closure_reason = "closed", utcnow(), reason
        trail.record("complaint_closed", "engine", complaint, reason=reason)
        change_status(complaint, "Closed")


if TYPE_CHECKING:
    # mypy holds this class to the contract the handlers are written against.
    _implements: spec.HostServices = HostServices(None)
