"""Complaints: public submission and status, staff list, detail and history."""

from flask import current_app, request

from .. import status_code
from ..db import run_change
from ..exceptions import Forbidden
from ..extensions import limiter
from ..mail import links
from ..policy import ERASE_PERSONAL_DATA, EXPORT_PERSONAL_DATA, READ_COMPLAINTS, allows
from ..read_only import writes
from ..schemas.flat import flat_dumper
from ..schemas.resources import (
    ComplaintCreated,
    ComplaintDetail,
    ComplaintIn,
    ComplaintList,
    ComplaintPublic,
    ComplaintQuery,
    ComplaintSummary,
    EraseIn,
    EraseOut,
    History,
    PersonalData,
    TokenQuery,
)
from ..services import attachments, privacy, staff_actions
from ..services import complaints as service
from ..services.tasks import list_tasks_for_complaint
from .auth import STATUS_TOKEN_PARAMETER, current_user, require, status_credential
from .blueprint import Blueprint
from .paging import listing_response

bp = Blueprint("complaints", __name__, url_prefix="/api/complaints", description="Complaints")
COMPLAINT_ROW = flat_dumper(ComplaintSummary)


def _submit_limit() -> str:
    return current_app.config["SUBMIT_RATE_LIMIT"]


# The same fields as a form, with any number of file parts beside them.
FILES_WITH_FIELDS = {"allOf": [{"$ref": "#/components/schemas/ComplaintIn"}, {
    "type": "object", "properties": {"files": {"type": "array", "items": {"type": "string", "format": "binary"}}}}]}


def _sent_by_staff() -> bool:
    return current_user(optional=True) is not None


@bp.route("", methods=["POST"])
@limiter.limit(_submit_limit, exempt_when=_sent_by_staff)
@bp.arguments(ComplaintIn, location="json_or_form")
@bp.doc(requestBody={"content": {"multipart/form-data": {"schema": FILES_WITH_FIELDS}}})
@bp.response(201, ComplaintCreated)
@bp.alt_response(400, description="A field is invalid, or a file's type is not accepted (``file_refused``)")
@bp.alt_response(413, description="A file is larger than ``ATTACHMENT_MAX_BYTES`` (``file_too_large``)")
def submit(data):
    """Submit a complaint (public): flat JSON, or the same fields as a ``multipart/form-data``
    form whose file parts (``-F files=@photo.jpg``, any field name) are attached as evidence.
    Staff entering a phone or letter complaint send their token too, and the complaint
    records who entered it. Without a token, submissions are limited per client address
    (``SUBMIT_RATE_LIMIT``), as the web form is."""
    user = current_user(optional=True)
    evidence = attachments.receive(f for _, f in request.files.items(multi=True))
    complaint, token = run_change(attachments.submit_with_evidence, data, user.name if user else None, evidence,
                                  "api")
    return {
        "reference": complaint.reference,
        "status_token": token,
        "status_code": status_code.display(complaint.status_code or ""),
        "status": complaint.status,
        "status_url": links.status_link(complaint.reference, token),
    }


@bp.route("", methods=["GET"])
@bp.arguments(ComplaintQuery, location="query")
@bp.response(200, ComplaintList)
@require(READ_COMPLAINTS)
def list_complaints(query):
    """Complaints the caller may see, newest first. ``total`` stops at ``INBOX_COUNT_BOUND``
    (with ``q``: at 1,000) and ``total_capped`` says there are more. Follow ``links.next``
    and ``links.prev`` (cursors; a search's links page by offset)."""
    return listing_response(service.list_complaints(current_user(), **query), COMPLAINT_ROW)


@bp.route("/<reference>", methods=["GET"])
@bp.arguments(TokenQuery(partial=True), location="query")
@bp.doc(parameters=[STATUS_TOKEN_PARAMETER])
@bp.alt_response(200, schema=ComplaintPublic, description="The complainant's view (with ?token=)")
@bp.alt_response(200, schema=ComplaintDetail, description="The staff view (with a bearer token)")
@limiter.limit(lambda: current_app.config["STATUS_LOOKUP_RATE_LIMIT"],
               deduct_when=lambda response: response.status_code == 404)
def detail(query, reference):
    """The complainant's view with ``?token=`` or an ``X-Status-Token`` header; the staff
    view with a bearer token."""
    if (credential := status_credential(query)) is not None:
        return ComplaintPublic().dump(_public(reference, credential))
    user = current_user()
    if not allows(user, READ_COMPLAINTS):
        raise Forbidden("this needs a staff role")
    complaint = service.get_by_reference(reference)
    service.check_visible(user, complaint)
    return ComplaintDetail().dump(_detail(complaint))


@bp.route("/<reference>/history", methods=["GET"])
@bp.response(200, History)
@require(READ_COMPLAINTS)
def history(reference):
    """The complaint's audit trail, with a check that its hash chain is intact."""
    complaint = service.get_by_reference(reference)
    service.check_visible(current_user(), complaint)
    events, problems = service.history(complaint)
    return {"reference": reference, "events": events, "chain_intact": not problems, "chain_problems": problems}


@bp.route("/<reference>/personal-data", methods=["GET"])
@writes  # the export is an event in the trail
@bp.response(200, PersonalData)
@require(EXPORT_PERSONAL_DATA)
def personal_data(reference):
    """Everything held about the complainant, for a subject access request (ISO 10002
    4.10). The export is recorded in the audit trail."""
    return run_change(privacy.export, service.get_by_reference(reference), current_user().name)


@bp.route("/<reference>/erase", methods=["POST"])
@bp.arguments(EraseIn)
@bp.response(200, EraseOut)
@require(ERASE_PERSONAL_DATA)
def erase(body, reference):
    """Erase the personal data of a closed complaint; records, coded answers and the
    audit trail stay. 409 while it is open or an email to the complainant is pending."""
    counts = run_change(privacy.erase, service.get_by_reference(reference), current_user().name, body["reason"])
    return {"reference": reference, **counts}


def _public(reference, token):
    return {**service.public_status(reference, token), "attachments": attachments.for_complainant(reference, token)}


def _detail(complaint):
    instance = service.instance_of(complaint)
    result = {c: getattr(complaint, c) for c in ComplaintDetail().fields if hasattr(complaint, c)}
    result.update(
        instance_status=instance.status, definition_key=instance.definition.key,
        definition_version=instance.definition.version, tasks=list_tasks_for_complaint(complaint),
        incidents=service.incidents(complaint), comments=complaint.comments,
        attachments=attachments.of_complaint(complaint),
        duplicate_of=getattr(staff_actions.duplicate_of(complaint), "reference", None),
        duplicates=[c.reference for c in staff_actions.duplicates_of(complaint)],
    )
    return result
