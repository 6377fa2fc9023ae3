"""The email outbox, for supervisors: what is waiting, what was sent, what failed."""

from marshmallow import Schema, fields, validate

from ..db import run_change
from ..input_limits import MAX_INT
from ..mail import outbox as service
from ..models.outbox import OUTBOX_STATUSES
from ..policy import MANAGE_OUTBOX, READ_OUTBOX
from .auth import current_user, require
from .blueprint import Blueprint

bp = Blueprint("outbox", __name__, url_prefix="/api/outbox", description="Email outbox")


class OutboxQuery(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf(OUTBOX_STATUSES))
    complaint = fields.String(load_default=None)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_INT))


class OutboxMessageOut(Schema):
    """An outbox row without its bodies (they may hold a complainant's status link)."""

    id = fields.Integer()
    message_id = fields.String()
    complaint_reference = fields.Function(lambda m: m.complaint.reference if m.complaint else None)
    template = fields.String()
    to = fields.Function(lambda m: m.recipients)
    subject = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    next_attempt_at = fields.DateTime()
    created_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)


class OutboxPage(Schema):
    items = fields.List(fields.Nested(OutboxMessageOut))
    total = fields.Integer()


@bp.route("", methods=["GET"])
@bp.arguments(OutboxQuery, location="query")
@bp.response(200, OutboxPage)
@require(READ_OUTBOX)
def list_outbox(query):
    """Outbox messages, newest first; ``?status=failed`` lists the deliveries that gave up."""
    items, total = service.list_messages(query["status"], query["complaint"], query["limit"], query["offset"])
    return {"items": items, "total": total}


@bp.route("/<int:outbox_id>/retry", methods=["POST"])
@bp.response(200, OutboxMessageOut)
@require(MANAGE_OUTBOX)
def retry(outbox_id):
    """Queue a failed message again, for a new round of attempts (same Message-ID)."""
    return run_change(service.requeue, outbox_id, current_user().name)
