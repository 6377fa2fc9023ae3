"""Who may do what: every permission, named once, with the roles that hold it.

The API decorator (``api.auth.require``), the page decorator (``views.auth.staff_required``),
the services and the templates (``can(...)``) all ask :func:`allows`. An admin holds every
permission, whether or not it names them; a permission names ``admin`` only where it is
meant for admins, so that the 403 message says so. Each permission lists its roles in the
order its 403 message names them.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import NewType, Protocol

Permission = NewType("Permission", str)

STAFF = "staff"
SUPERVISOR = "supervisor"
PROCESS_OWNER = "process_owner"
AUDITOR = "auditor"
ADMIN = "admin"
INTEGRATION = "integration"  # an external worker's account: external tasks of its granted topics only
ROLES = (STAFF, SUPERVISOR, PROCESS_OWNER, AUDITOR, ADMIN, INTEGRATION)

_HOLDERS: dict[Permission, tuple[str, ...]] = {}


def _permission(name: str, *roles: str) -> Permission:
    permission = Permission(name)
    if permission in _HOLDERS or not roles or set(roles) - set(ROLES):
        raise ValueError(f"permission {name!r} is defined twice, names no role or an unknown one")
    _HOLDERS[permission] = roles
    return permission


# One's own account: email address, which notifications to get, and one's own API tokens.
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
# Send a staff message (not complainant_*) to a running complaint. The complainant's own
# messages come with their status token, or as a reply staff record (record_replies). An
# auditor only reads.
SEND_MESSAGES = _permission("send_messages", STAFF, SUPERVISOR, PROCESS_OWNER)
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
# Move running complaints to another version of their process (dry run first).
MIGRATE_INSTANCES = _permission("migrate_instances", PROCESS_OWNER)

# Oversight
# Read the management report and export it as CSV (ISO 10002 clause 8).
READ_REPORTS = _permission("read_reports", SUPERVISOR, AUDITOR, PROCESS_OWNER)
# Draw the auditor's sample of closed complaints (ISO 10002 8.5).
DRAW_AUDIT_SAMPLE = _permission("draw_audit_sample", AUDITOR, SUPERVISOR)
# See the workload per person (ISO 10002 4.3, 4.14).
SEE_WORKLOAD = _permission("see_workload", SUPERVISOR)
# List the open incidents (failed steps, and people's changes that were rolled back).
READ_INCIDENTS = _permission("read_incidents", SUPERVISOR, AUDITOR)
# Retry an incident (refused once its complaint is closed).
MANAGE_INCIDENTS = _permission("manage_incidents", SUPERVISOR)
# See a running complaint's process state: where it waits, its variables, its pending timers.
INSPECT_INSTANCES = _permission("inspect_instances", SUPERVISOR, AUDITOR)
# Repair a running complaint, with a reason: set a variable, move a waiting token, cancel it.
REPAIR_INSTANCES = _permission("repair_instances", SUPERVISOR)
# List the email outbox: what is waiting, what was sent, what failed.
READ_OUTBOX = _permission("read_outbox", SUPERVISOR, AUDITOR)
# Queue a failed email again.
MANAGE_OUTBOX = _permission("manage_outbox", SUPERVISOR)
# List the mail that came in (`mail-in`): what was matched, kept for staff, ignored, rejected.
READ_INBOUND_MAIL = _permission("read_inbound_mail", SUPERVISOR)
# File a mail that matched no complaint on the one it is about.
FILE_INBOUND_MAIL = _permission("file_inbound_mail", SUPERVISOR)

# Integrations
# Fetch, lock and report external tasks (the token's account must be granted each topic).
WORK_EXTERNAL_TASKS = _permission("work_external_tasks", INTEGRATION)
# List the handlers the running web and worker processes have loaded.
READ_HANDLERS = _permission("read_handlers", PROCESS_OWNER, SUPERVISOR)

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


# Routes
@dataclass(frozen=True)
class Access:
    """Who may use one route of the app.

    ``permission`` is what a signed-in person (pages) or a bearer token (API) must hold;
    ``None`` means no account is needed. ``complainant`` means the complaint's status token,
    the complainant's own credential, opens the route too (for their own complaint only).
    """

    permission: Permission | None = None
    complainant: bool = False


ANYONE = Access()
COMPLAINANT = Access(complainant=True)

# Every endpoint of the app (``app.url_map``) with who may use it. The decorators
# (``api.auth.require``, ``views.auth.staff_required``) and the services enforce it;
# tests/test_route_matrix.py sends each route as each role and checks the answer against
# this table, and fails for a route that is not in it.
ROUTES: Mapping[str, Access] = MappingProxyType({
    # The public site and the complainant's portal (the status token is their credential).
    "static": ANYONE,
    "vendor.asset": ANYONE,
    "portal.home": ANYONE,
    "portal.complain": ANYONE,
    "portal.received": ANYONE,
    "portal.find_status": ANYONE,
    "portal.status": COMPLAINANT,
    "portal.reply": COMPLAINANT,
    "portal.add_evidence": COMPLAINANT,
    "portal.attachment": COMPLAINANT,
    "portal.feedback": COMPLAINANT,
    "auth.login": ANYONE,
    "auth.logout": ANYONE,
    # What an operator's tools read; /metrics is open only to METRICS_ALLOW or METRICS_TOKEN.
    "operations.healthz": ANYONE,
    "operations.readyz": ANYONE,
    "operations.scrape": ANYONE,
    # The REST API.
    "api-docs.openapi_json": ANYONE,
    "complaints.submit": ANYONE,
    "complaints.detail": Access(READ_COMPLAINTS, complainant=True),
    "complaints.list_complaints": Access(READ_COMPLAINTS),
    "complaints.history": Access(READ_COMPLAINTS),
    "complaints.personal_data": Access(EXPORT_PERSONAL_DATA),
    "complaints.erase": Access(ERASE_PERSONAL_DATA),
    "complaint_actions_api.resend_acknowledgement": Access(RESEND_ACKNOWLEDGEMENTS),
    "complaint_actions_api.mark_duplicate": Access(MARK_DUPLICATES),
    "complaint_actions_api.reopen": Access(REOPEN_COMPLAINTS),
    "complaint_actions_api.decide_from_email": Access(RECORD_REPLIES),
    "inbound.list_inbound": Access(READ_INBOUND_MAIL),
    "inbound.file_on": Access(FILE_INBOUND_MAIL),
    "attachments.list_attachments": Access(READ_COMPLAINTS),
    "attachments.add_attachments": Access(ATTACH_FILES, complainant=True),
    "attachments.download": Access(READ_COMPLAINTS, complainant=True),
    # complainant_* messages; a staff message (any other name) needs send_messages.
    "messages.send": Access(RECORD_REPLIES, complainant=True),
    "tasks.list_tasks": Access(WORK_TASKS),
    "tasks.get_task": Access(WORK_TASKS),
    "tasks.claim": Access(WORK_TASKS),
    "tasks.unclaim": Access(WORK_TASKS),
    "tasks.assign": Access(ASSIGN_TASKS),
    "tasks.add_comment": Access(WORK_TASKS),
    "tasks.complete": Access(WORK_TASKS),
    "task_drafts.get_draft": Access(WORK_TASKS),
    "task_drafts.put_draft": Access(WORK_TASKS),
    "definitions.list_definitions": Access(READ_DEFINITIONS),
    "definitions.deploy": Access(DEPLOY_DEFINITIONS),
    "definitions.rollback": Access(DEPLOY_DEFINITIONS),
    "definitions.migrate": Access(MIGRATE_INSTANCES),
    "definitions.bpmn": Access(READ_BPMN),
    "definitions.compare": Access(READ_DEFINITIONS),
    "editor.check_expression": Access(DEPLOY_DEFINITIONS),
    "editor.timer_preview": Access(DEPLOY_DEFINITIONS),
    "editor.download_bundle": Access(READ_DEFINITIONS),
    "editor.upload_bundle": Access(DEPLOY_DEFINITIONS),
    "external_tasks.fetch_and_lock": Access(WORK_EXTERNAL_TASKS),
    "external_tasks.complete": Access(WORK_EXTERNAL_TASKS),
    "external_tasks.failure": Access(WORK_EXTERNAL_TASKS),
    "external_tasks.bpmn_error": Access(WORK_EXTERNAL_TASKS),
    "external_tasks.extend_lock": Access(WORK_EXTERNAL_TASKS),
    "handlers.list_handlers": Access(READ_HANDLERS),
    "incidents.list_incidents": Access(READ_INCIDENTS),
    "incidents.retry": Access(MANAGE_INCIDENTS),
    "repair.state": Access(INSPECT_INSTANCES),
    "repair.set_variable": Access(REPAIR_INSTANCES),
    "repair.move_token": Access(REPAIR_INSTANCES),
    "repair.cancel": Access(REPAIR_INSTANCES),
    "outbox.list_outbox": Access(READ_OUTBOX),
    "outbox.retry": Access(MANAGE_OUTBOX),
    "reports.summary": Access(READ_REPORTS),
    "reports.summary_csv": Access(READ_REPORTS),
    "audit.sample": Access(DRAW_AUDIT_SAMPLE),
    "workload.workload": Access(SEE_WORKLOAD),
    # Staff pages.
    "inbox.inbox": Access(WORK_TASKS),
    "task_pages.show": Access(WORK_TASKS),
    "task_pages.claim": Access(WORK_TASKS),
    "task_pages.unclaim": Access(WORK_TASKS),
    "task_pages.assign": Access(ASSIGN_TASKS),
    "task_pages.comment": Access(WORK_TASKS),
    "task_pages.complete": Access(WORK_TASKS),
    "task_pages.preview": Access(WORK_TASKS),
    "draft_pages.show": Access(WORK_TASKS),
    "draft_pages.save": Access(WORK_TASKS),
    "complaint_pages.index": Access(READ_COMPLAINTS),
    "complaint_pages.show": Access(READ_COMPLAINTS),
    "complaint_pages.diagram": Access(READ_COMPLAINTS),
    "complaint_pages.new": Access(ENTER_COMPLAINTS),
    "complaint_pages.recorded": Access(ENTER_COMPLAINTS),
    "complaint_pages.attach": Access(ATTACH_FILES),
    "complaint_pages.attachment": Access(READ_COMPLAINTS),
    "complaint_pages.letter_pdf": Access(READ_COMPLAINTS),
    "complaint_pages.letter_posted": Access(RECORD_REPLIES),
    "complaint_pages.retry": Access(MANAGE_INCIDENTS),
    "heatmap_pages.show": Access(READ_REPORTS),
    "heatmap_pages.element": Access(READ_REPORTS),
    "incident_pages.index": Access(READ_INCIDENTS),
    "incident_pages.retry": Access(MANAGE_INCIDENTS),
    "repair_pages.set_variable": Access(REPAIR_INSTANCES),
    "repair_pages.move_token": Access(REPAIR_INSTANCES),
    "repair_pages.cancel": Access(REPAIR_INSTANCES),
    "complaint_actions.record_reply": Access(RECORD_REPLIES),
    "complaint_actions.correct_contact": Access(CORRECT_CONTACT_DETAILS),
    "complaint_actions.resend_acknowledgement": Access(RESEND_ACKNOWLEDGEMENTS),
    "complaint_actions.mark_duplicate": Access(MARK_DUPLICATES),
    "complaint_actions.reopen": Access(REOPEN_COMPLAINTS),
    "complaint_actions.decide_from_email": Access(RECORD_REPLIES),
    "modeler.versions": Access(READ_DEFINITIONS),
    "modeler.download": Access(READ_DEFINITIONS),
    "modeler.compare": Access(READ_DEFINITIONS),
    "modeler.edit": Access(DEPLOY_DEFINITIONS),
    "modeler.check": Access(DEPLOY_DEFINITIONS),
    "modeler.deploy": Access(DEPLOY_DEFINITIONS),
    "modeler.bundle_files": Access(DEPLOY_DEFINITIONS),
    "modeler.handlers": Access(DEPLOY_DEFINITIONS),
    "modeler.check_expression": Access(DEPLOY_DEFINITIONS),
    "modeler.timer_preview": Access(DEPLOY_DEFINITIONS),
    "modeler.form_preview": Access(DEPLOY_DEFINITIONS),
    "modeler.download_bundle": Access(READ_DEFINITIONS),
    "modeler.open_bundle": Access(DEPLOY_DEFINITIONS),
    "modeler.rollback": Access(DEPLOY_DEFINITIONS),
    "modeler.migrate": Access(MIGRATE_INSTANCES),
    "report_pages.index": Access(READ_REPORTS),
    "report_pages.download": Access(READ_REPORTS),
    "report_pages.download_pdf": Access(READ_REPORTS),
    "audit_pages.sample": Access(DRAW_AUDIT_SAMPLE),
    "team_pages.index": Access(SEE_WORKLOAD),
    "account_pages.settings": Access(MANAGE_OWN_SETTINGS),
    "account_pages.new_token": Access(MANAGE_OWN_SETTINGS),
    "account_pages.revoke_token": Access(MANAGE_OWN_SETTINGS),
})
