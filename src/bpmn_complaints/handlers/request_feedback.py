"""``request_feedback``: email the complainant the satisfaction survey link (ISO 10002 8.3).

The link is ``FEEDBACK_SURVEY_URL`` (or ``PUBLIC_BASE_URL/feedback/<reference>``) with a
signature that only fits this complaint (see :func:`bpmn_complaints.mail.links.verify_feedback_signature`).
"""

from typing import Any

from .mailing import complaint_of, sent_record
from .registry import handler
from .spec import HandlerContext


@handler("request_feedback")
def request_feedback(ctx: HandlerContext) -> dict[str, Any]:
    complaint = complaint_of(ctx, "request_feedback")
    message = ctx.services.email(complaint.email, "feedback_request", reference=complaint.reference,
                                 survey_link=ctx.services.feedback_link())
    ctx.services.record("feedback_requested", task=ctx.task.bpmn_id, **sent_record(message))
    return {"requested_at": ctx.services.now().isoformat(), "message_id": message.message_id}
