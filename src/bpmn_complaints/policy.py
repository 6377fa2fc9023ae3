"""Who may do what: every permission, named once, with the roles that hold it.

The API decorator (``api.auth.require``), the page decorator (``views.auth.staff_required``),
the services and the templates (``can(...)``) all ask :func:`allows`. An admin holds every
permission, whether or not it names them; a permission names ``admin`` only where it is
meant for admins, so that the 403 message says so. Each permission lists its roles in the
order its 403 message names them.
"""

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import NewType, Protocol

Permission = NewType("Permission", str)

STAFF = "staff"
SUPERVISOR = "supervisor"
PROCESS_OWNER = "process_owner"
AUDITOR = "auditor"
ADMIN = "admin"
ROLES = (STAFF, SUPERVISOR, PROCESS_OWNER, AUDITOR, ADMIN)

_HOLDERS: dict[Permission, tuple[str, ...]] = {}


def _permission(name: str, *roles: str) -> Permission:
    permission = Permission(name)
    if permission in _HOLDERS or not roles or set(roles) - set(ROLES):
        raise ValueError(f"permission {name!r} is defined twice, names no role or an unknown one")
    _HOLDERS[permission] = roles
    return permission


# One's own account: email address and which notifications to get.
MANAGE_OWN_SETTINGS = _permission("manage_own_settings", STAFF, SUPERVISOR, PROCESS_OWNER, AUDITOR)

# Tasks
# Work the inbox: list, open, claim, hand back, comment on and complete one's tasks.
WORK_TASKS = _permission("work_tasks", STAFF, SUPERVISOR)
# See every task whatever its group: the inbox's "all" scope and any task's page.
SEE_ALL_TASKS = _permission("see_all_tasks", SUPERVISOR)
# Claim, or be given, a task offered to a group one is not in.
WORK_OUTSIDE_GROUPS = _permission("work_outside_groups", SUPERVISOR)
# Give a task to someone, and hand back a task that someone else holds.
ASSIGN_TASKS = _permission("assign_tasks", SUPERVISOR)

# Complaints
# Read the complaints one may see: the list, a complaint's page, detail, history and diagram.
READ_COMPLAINTS = _permission("read_complaints", STAFF, SUPERVISOR, AUDITOR, PROCESS_OWNER)
# See every complaint, not only those one works on or could claim (ISO 10002 4.10).
SEE_ALL_COMPLAINTS = _permission("see_all_complaints", SUPERVISOR, AUDITOR)
# Record a complaint that came by phone, letter, email or in person (ISO 10002 7.2).
ENTER_COMPLAINTS = _permission("enter_complaints", STAFF, SUPERVISOR)
# Send a message to a running complaint as staff (the complainant uses the status token).
SEND_MESSAGES = _permission("send_messages", STAFF, SUPERVISOR, AUDITOR, PROCESS_OWNER)
# Record a reply or withdrawal the complainant gave by phone, letter, email or in person.
RECORD_REPLIES = _permission("record_replies", STAFF, SUPERVISOR)
# Correct a complainant's name and contact details.
CORRECT_CONTACT_DETAILS = _permission("correct_contact_details", STAFF, SUPERVISOR)
# Send the acknowledgement again (after a contact correction, or when it went astray).
RESEND_ACKNOWLEDGEMENTS = _permission("resend_acknowledgements", STAFF, SUPERVISOR)
# Close an open complaint as a duplicate of another one, linking the two.
MARK_DUPLICATES = _permission("mark_duplicates", STAFF, SUPERVISOR)
# Reopen a closed complaint, with a reason (ISO 10002 8.4 counts reopened complaints).
REOPEN_COMPLAINTS = _permission("reopen_complaints", SUPERVISOR)
# Attach evidence files to a complaint one may see (ISO 10002 7.6); reading them needs read_complaints.
ATTACH_FILES = _permission("attach_files", STAFF, SUPERVISOR)
# Export everything held about a complainant, for a subject access request (ISO 10002 4.10).
EXPORT_PERSONAL_DATA = _permission("export_personal_data", SUPERVISOR, ADMIN)
# Erase the personal data of a closed complaint.
ERASE_PERSONAL_DATA = _permission("erase_personal_data", ADMIN)

# The process
# List the deployed process versions, download and compare them (ISO 10002 8.7).
READ_DEFINITIONS = _permission("read_definitions", PROCESS_OWNER, SUPERVISOR, AUDITOR)
# Fetch a deployed version's BPMN XML through the API.
READ_BPMN = _permission("read_bpmn", PROCESS_OWNER, SUPERVISOR, AUDITOR, STAFF)
# Edit, check and deploy a new process version.
DEPLOY_DEFINITIONS = _permission("deploy_definitions", PROCESS_OWNER)

# Oversight
# Read the management report and export it as CSV (ISO 10002 clause 8).
READ_REPORTS = _permission("read_reports", SUPERVISOR, AUDITOR, PROCESS_OWNER)
# Draw the auditor's sample of closed complaints (ISO 10002 8.5).
DRAW_AUDIT_SAMPLE = _permission("draw_audit_sample", AUDITOR, SUPERVISOR)
# See the workload per person (ISO 10002 4.3, 4.14).
SEE_WORKLOAD = _permission("see_workload", SUPERVISOR)
# List the open incidents (failed service tasks and jobs).
READ_INCIDENTS = _permission("read_incidents", SUPERVISOR, AUDITOR)
# Retry a failed service task or job.
MANAGE_INCIDENTS = _permission("manage_incidents", SUPERVISOR)
# List the email outbox: what is waiting, what was sent, what failed.
READ_OUTBOX = _permission("read_outbox", SUPERVISOR, AUDITOR)
# Queue a failed email again.
MANAGE_OUTBOX = _permission("manage_outbox", SUPERVISOR)
# List the mail that came in (`mail-in`): what was matched, kept for staff, ignored, rejected.
READ_INBOUND_MAIL = _permission("read_inbound_mail", SUPERVISOR)
# File a mail that matched no complaint on the one it is about.
FILE_INBOUND_MAIL = _permission("file_inbound_mail", SUPERVISOR)

PERMISSIONS: Mapping[Permission, tuple[str, ...]] = MappingProxyType(_HOLDERS)


class HasRoles(Protocol):
    """Anything with roles, such as a :class:`~bpmn_complaints.models.User`."""

    @property
    def roles(self) -> Sequence[str]: ...


def roles_for(permission: Permission) -> tuple[str, ...]:
    """The roles ``permission`` names (admins hold it besides).

    :raises KeyError: for a name that is no permission.
    """
    return PERMISSIONS[permission]


def roles_allow(roles: Sequence[str], permission: Permission) -> bool:
    """Whether someone holding ``roles`` has ``permission``."""
    named = roles_for(permission)
    return ADMIN in roles or any(role in roles for role in named)


def allows(user: HasRoles, permission: Permission) -> bool:
    """Whether ``user`` has ``permission``."""
    return roles_allow(user.roles, permission)
