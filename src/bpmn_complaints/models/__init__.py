"""SQLAlchemy 2.0 typed models."""

from . import search_index  # noqa: F401  (the full-text index follows the complaints table)
from .attachment import Attachment
from .case_message import CaseMessage
from .complaint import Comment, Complaint
from .definition import Definition
from .draft import TaskDraft
from .external_task import ExternalTask, IntegrationTopic
from .handler_process import HandlerProcess
from .heatmap import HeatmapBucket, HeatmapCursor, HeatmapDaily, HeatmapFlow, HeatmapRound, HeatmapVisit
from .inbound_mail import InboundMail
from .instance import Incident, ProcessInstance
from .job import Job
from .outbox import OutboxMessage
from .task import HumanTask, TaskIndependence
from .task_counts import TaskCount  # its triggers follow the human_tasks table
from .trail import AuditEvent
from .user import ApiToken, AuthEpoch, Membership, User, UserSession
from .worker import WorkerHeartbeat

__all__ = [
    "ApiToken",
    "Attachment",
    "AuditEvent",
    "AuthEpoch",
    "CaseMessage",
    "Comment",
    "Complaint",
    "Definition",
    "ExternalTask",
    "HandlerProcess",
    "HeatmapBucket",
    "HeatmapCursor",
    "HeatmapDaily",
    "HeatmapFlow",
    "HeatmapRound",
    "HeatmapVisit",
    "HumanTask",
    "InboundMail",
    "IntegrationTopic",
    "Incident",
    "Job",
    "Membership",
    "OutboxMessage",
    "ProcessInstance",
    "TaskCount",
    "TaskDraft",
    "TaskIndependence",
    "User",
    "UserSession",
    "WorkerHeartbeat",
]
