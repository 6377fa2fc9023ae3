"""SQLAlchemy 2.0 typed models."""

from .complaint import Comment, Complaint
from .definition import Definition
from .instance import Incident, ProcessInstance
from .job import Job
from .outbox import OutboxMessage
from .task import HumanTask, TaskIndependence
from .trail import AuditEvent
from .user import ApiToken, Membership, User

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Comment",
    "Complaint",
    "Definition",
    "HumanTask",
    "Incident",
    "Job",
    "Membership",
    "OutboxMessage",
    "ProcessInstance",
    "TaskIndependence",
    "User",
]
