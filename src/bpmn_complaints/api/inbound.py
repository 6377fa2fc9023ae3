"""The mail that came in, for supervisors: what was matched, what waits to be filed, what
was ignored or rejected, and why; and filing an unmatched mail on its complaint."""

from marshmallow import Schema, fields, validate

from ..db import run_change
from ..models.inbound_mail import INBOUND_STATUSES
from ..policy import FILE_INBOUND_MAIL, READ_INBOUND_MAIL
from ..schemas.resources import Page
from ..services import inbound as service
from .auth import current_user, require
from .blueprint import Blueprint

bp = Blueprint("inbound", __name__, url_prefix="/api/inbound", description="Inbound mail")


class InboundQuery(Page):
    status = fields.String(load_default=None, validate=validate.OneOf(INBOUND_STATUSES))


class FileOn(Schema):
    reference = fields.String(required=True, validate=validate.Length(min=1, max=32))


class InboundMailOut(Schema):
    """A received mail without its text or raw bytes."""

    id = fields.Integer()
    received_at = fields.DateTime()
    source = fields.String(metadata={"description": "smtp, lmtp or imap"})
    status = fields.String(metadata={"description": ", ".join(INBOUND_STATUSES)})
    reason = fields.String(allow_none=True)
    complaint_reference = fields.Function(lambda m: m.complaint.reference if m.complaint else None)
    matched_by = fields.String(allow_none=True, metadata={
        "description": "in_reply_to, references, reply_address, subject or body"})
    message_id = fields.String(allow_none=True)
    sender = fields.String(attribute="from_addr", allow_none=True)
    subject = fields.String(allow_none=True)
    size = fields.Integer(metadata={"description": "bytes"})


class InboundPage(Schema):
    items = fields.List(fields.Nested(InboundMailOut))
    total = fields.Integer()


@bp.route("", methods=["GET"])
@bp.arguments(InboundQuery, location="query")
@bp.response(200, InboundPage)
@require(READ_INBOUND_MAIL)
def list_inbound(query):
    """Received mails, newest first; ``?status=unmatched`` lists those that wait for a person."""
    items, total = service.list_mails(current_user(), query["status"], query["limit"], query["offset"])
    return {"items": items, "total": total}


@bp.route("/<int:mail_id>/file", methods=["POST"])
@bp.arguments(FileOn)
@bp.response(200, InboundMailOut)
@bp.alt_response(409, description="The mail is not unmatched, or the complaint is erased")
@require(FILE_INBOUND_MAIL)
def file_on(body, mail_id):
    """File an unmatched mail on the complaint ``reference``: a reply in its case file from
    then on, and the people working it are told."""
    return run_change(service.file_on, current_user(), mail_id, body["reference"])
