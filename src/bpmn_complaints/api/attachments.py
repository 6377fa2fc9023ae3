"""A complaint's evidence files: list, attach (multipart) and download."""

from flask import request

from ..db import run_change
from ..exceptions import BadRequest
from ..policy import READ_COMPLAINTS
from ..schemas.resources import AttachmentList, PublicAttachment, TokenQuery
from ..services import attachments, downloads
from .auth import STATUS_TOKEN_PARAMETER, current_user, require, status_credential
from .blueprint import Blueprint

bp = Blueprint("attachments", __name__, url_prefix="/api/complaints", description="Evidence files")


def _received():
    return attachments.receive(f for _, f in request.files.items(multi=True))


@bp.route("/<reference>/attachments", methods=["GET"])
@bp.response(200, AttachmentList)
@require(READ_COMPLAINTS)
def list_attachments(reference):
    """The complaint's files, oldest first (staff who may see the complaint)."""
    items = attachments.for_staff(current_user(), reference)
    return {"items": items, "total": len(items)}


@bp.route("/<reference>/attachments", methods=["POST"])
@bp.arguments(TokenQuery(partial=True), location="query")
@bp.doc(parameters=[STATUS_TOKEN_PARAMETER])
@bp.doc(requestBody={"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "properties": {"files": {"type": "array", "items": {"type": "string", "format": "binary"}}}}}}})
@bp.response(201, AttachmentList)
@bp.alt_response(400, description="No file sent, or a file's type is not accepted (``file_refused``)")
@bp.alt_response(409, description="The complaint would hold more than ``ATTACHMENT_MAX_COUNT`` files")
@bp.alt_response(413, description="A file is larger than ``ATTACHMENT_MAX_BYTES``")
def add_attachments(query, reference):
    """Attach files, sent as ``multipart/form-data`` parts (``-F files=@letter.pdf``): staff
    with a bearer token, or the complainant with ``?token=`` while the complaint is open.
    Content the complaint already holds is not added twice."""
    evidence = _received()
    if not evidence:
        raise BadRequest("send the files as multipart/form-data parts, e.g. -F files=@letter.pdf")
    if (credential := status_credential(query)) is not None:
        rows = run_change(attachments.attach_as_complainant, reference, credential, evidence, "api")
        items = [{name: getattr(row, name) for name in PublicAttachment().fields} for row in rows]
    else:
        items = run_change(attachments.attach_as_staff, current_user(), reference, evidence, "staff_api")
    return {"items": items, "total": len(items)}, 201


@bp.route("/<reference>/attachments/<int:attachment_id>", methods=["GET"])
@bp.arguments(TokenQuery(partial=True), location="query")
@bp.doc(parameters=[STATUS_TOKEN_PARAMETER])
@bp.response(200, description="The file, as a download")
def download(query, reference, attachment_id):
    """Download one file: staff who may see the complaint, or the complainant (``?token=``)
    for the files they sent. Served as an attachment with its detected type, ``nosniff``
    and a sandboxing Content-Security-Policy."""
    if (credential := status_credential(query)) is not None:
        return downloads.send(downloads.for_complainant(reference, credential, attachment_id))
    return downloads.send(downloads.for_staff(current_user(), reference, attachment_id))
